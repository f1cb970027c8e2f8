"""The delivery loop as a background task of `troly serve` (an aiohttp cleanup context)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.alerts import FailureSpike, alerts
from bot.senders import SENDERS
from bot.server import TROLY
from handlers.announcements.worker import DeliveryOptions, DeliveryWorker

log = logging.getLogger(__name__)


async def delivery_context(app: web.Application) -> AsyncIterator[None]:
    troly = app[TROLY]
    senders = troly[SENDERS] if SENDERS in troly else {}  # noqa: SIM401 - Troly is not a Mapping
    if not senders:
        log.info("announcement delivery not started: no channel can send")
        yield
        return
    options = DeliveryOptions.from_settings(troly.settings)
    worker = DeliveryWorker(troly.database, senders, troly.policies, options, spike=FailureSpike(alerts(troly)))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop), name="announcement-delivery")
    log.info("announcement delivery started as %s", worker.worker_id)
    try:
        yield
    finally:
        stop.set()
        await task
