"""`troly serve`: one aiohttp server for every channel's webhook, plus /healthz and /metrics (Prometheus).

The core builds the application and the senders; each channel plugin adds its routes and background tasks in
`setup_web`, so the server knows nothing about Telegram or Zalo.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from bot.app import Troly, create_app
from bot.lanes import start_lanes
from bot.metered import MeteredRunner, ServerCollector, meter_sender
from bot.plugins import hooks, make_senders
from bot.push_delivery import PushDelivery, PushOptions
from bot.senders import SENDERS
from bot.settings import Settings
from bot.workers import CORE_RUNNER

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServeOptions:
    polling: bool = False  # Telegram: use getUpdates instead of the webhook


TROLY = web.AppKey("troly", Troly)
SERVE_OPTIONS = web.AppKey("serve_options", ServeOptions)


def create_web_app(troly: Troly, options: ServeOptions | None = None) -> web.Application:
    """The aiohttp application: senders first (channels use them), then every plugin's routes."""
    app = web.Application(client_max_size=256 * 1024)
    app[TROLY] = troly
    app[SERVE_OPTIONS] = options or ServeOptions()
    app.cleanup_ctx.append(_core_ctx)
    app.cleanup_ctx.append(_senders_ctx)
    app.cleanup_ctx.append(_push_ctx)
    app.cleanup_ctx.append(_jobs_ctx)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    troly.metrics.register_once("server", ServerCollector(troly))
    for setup_web in hooks(troly.plugins, "setup_web"):
        setup_web(troly, app)
    return app


async def _core_ctx(app: web.Application) -> AsyncIterator[None]:
    """The core's runners (citizens' and reports' lanes: threads or worker processes), ready before the server
    listens."""
    troly = app[TROLY]
    runner = MeteredRunner(await start_lanes(troly), troly.metrics)
    troly[CORE_RUNNER] = runner
    yield
    await runner.aclose()


async def _senders_ctx(app: web.Application) -> AsyncIterator[None]:
    troly = app[TROLY]
    senders = {channel: meter_sender(sender, troly.metrics) for channel, sender in make_senders(troly).items()}
    troly[SENDERS] = senders
    log.info("channels configured: %s", ", ".join(sorted(senders)) or "none (console only)")
    yield
    for sender in senders.values():
        await sender.aclose()


async def _push_ctx(app: web.Application) -> AsyncIterator[None]:
    """Deliver the push outbox (bot.outbox) through the senders while the server runs."""
    troly = app[TROLY]
    senders = troly[SENDERS] if SENDERS in troly else {}  # noqa: SIM401 - Troly is not a Mapping
    if not senders:
        yield
        return
    options = PushOptions(poll_seconds=troly.settings.push_poll_seconds)
    delivery = PushDelivery(troly.database, senders, troly.policies, troly.clock, options)
    stop = asyncio.Event()
    task = asyncio.create_task(delivery.run(stop), name="push-delivery")
    try:
        yield
    finally:
        stop.set()
        await task


async def _jobs_ctx(app: web.Application) -> AsyncIterator[None]:
    """Run the plugins' scheduled jobs (bot.jobs) while the server runs; each run is claimed in the database."""
    troly = app[TROLY]
    stop = asyncio.Event()
    task = asyncio.create_task(_run_jobs(troly, stop), name="jobs")
    try:
        yield
    finally:
        stop.set()
        await task


async def _run_jobs(troly: Troly, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await asyncio.to_thread(troly.jobs.run_due, troly, troly.clock.now())
        except Exception:  # the database is away: try again at the next tick
            log.exception("scheduled jobs could not run")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=troly.settings.jobs_tick_seconds)


async def healthz(request: web.Request) -> web.Response:
    """200 with the configured channels when the database answers; 503 otherwise."""
    troly = request.app[TROLY]
    try:
        await asyncio.to_thread(_ping_database, troly)
    except Exception:
        log.exception("health check: database unavailable")
        return web.json_response({"status": "unavailable", "database": False}, status=503)
    senders = troly[SENDERS] if SENDERS in troly else {}  # noqa: SIM401 - Troly is not a Mapping
    channels = sorted(senders)
    return web.json_response({"status": "ok", "database": True, "channels": channels})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus' text format. Behind the reverse proxy this path is for the monitoring host only
    (deploy/nginx/troly.conf); the workers' counts arrive with their replies (bot/metrics.py)."""
    troly = request.app[TROLY]
    body = await asyncio.to_thread(troly.metrics.exposition)  # collectors may query the database
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def _ping_database(troly: Troly) -> None:
    with troly.database.engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def run_serve(settings: Settings, args: argparse.Namespace) -> int:
    troly = create_app(settings)
    app = create_web_app(troly, ServeOptions(polling=args.polling))
    log.info("serving on http://%s:%d", settings.host, settings.port)
    try:
        web.run_app(app, host=settings.host, port=settings.port, print=None)
    finally:
        troly.close()
    return 0
