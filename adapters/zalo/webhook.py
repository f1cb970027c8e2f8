"""`POST /webhooks/zalo`: verify, answer 200 at once, then handle the event and reply in the background.

Zalo waits about two seconds for the 200 and retries otherwise, so the request only verifies the signature
and parses the event; the core runs afterwards, off the event loop (bot.workers). Events from one user are
handled in order (a dialog answer must not overtake the question: the core's sequencer, bot/sequencer.py),
and a retried event is recognised twice: here while the first delivery is still in flight, and by the core's
processed-message table after that.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from aiohttp import web

from adapters.zalo.events import CHANNEL, MalformedEvent, parse_event
from adapters.zalo.sender import ZaloSender
from adapters.zalo.side_events import RecentAdminReplies, is_side_event, record_side_event
from adapters.zalo.signature import HEADER, verify
from adapters.zalo.watch import SignatureWatch
from bot.alerts import alerts
from bot.app import Troly
from bot.messages import Inbound, Outbound
from bot.privacy import mask_user_id
from bot.senders import SENDERS, Sender
from bot.sequencer import Ticket, sequencer
from bot.storage.types import utcnow
from bot.workers import CORE_RUNNER

log = logging.getLogger(__name__)

ROUTE = "/webhooks/zalo"


class ZaloWebhook:
    """Owns the background work started by webhook requests, so shutdown can wait for it."""

    def __init__(self, troly: Troly) -> None:
        self.troly = troly
        self.app_id = troly.settings.zalo_app_id
        self.oa_secret_key = troly.settings.zalo_oa_secret_key.get_secret_value()
        self.retry_delays: tuple[float, ...] = (1.0, 5.0)  # between attempts of a reply Zalo did not take
        self.shutdown_grace = 15.0
        self.tasks: set[asyncio.Task[None]] = set()
        self._in_flight: set[str] = set()
        self.order = sequencer(troly)
        self.signatures = SignatureWatch(alerts(troly), troly.settings.zalo_refused_signatures)
        self.admins = RecentAdminReplies(troly.database, timedelta(minutes=troly.settings.zalo_admin_quiet_minutes))

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        payload = verify(body, request.headers.get(HEADER), self.oa_secret_key, self.app_id)
        if payload is None:
            log.warning("zalo webhook: missing or wrong signature from %s; ignored", request.remote)
            self.signatures.refused(request.remote)
            return web.Response(status=403, text="invalid signature")
        try:
            inbound = parse_event(payload)
        except MalformedEvent as error:
            log.warning("zalo webhook: signed %s event ignored: %s", payload.get("event_name", "?"), error)
            return web.Response(text="ignored")
        if inbound is None:
            if is_side_event(str(payload.get("event_name"))):
                return await self._side_event(payload)
            log.debug("zalo webhook: event %s ignored", payload.get("event_name", "?"))
            return web.Response(text="ignored")
        if inbound.message_id in self._in_flight:
            log.info("zalo webhook: retry of %s while it is still being handled; ignored", inbound.message_id)
            return web.Response(text="ok")
        self._in_flight.add(inbound.message_id)
        ticket = self.order.ticket(CHANNEL, inbound.user_id)  # the user's place in line is the arrival order
        task = asyncio.create_task(self._process(inbound, ticket), name=f"zalo:{inbound.message_id}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return web.Response(text="ok")

    async def _process(self, inbound: Inbound, ticket: Ticket) -> None:
        try:
            async with ticket:
                replies = await self.troly[CORE_RUNNER].handle(inbound)
                if replies and await self._admin_is_talking(inbound):
                    log.info("zalo: an OA admin is talking with %s; the bot's reply is held back", inbound.user_id)
                    replies = []
                for reply in replies:
                    if not await self._deliver(inbound.chat_id, reply):
                        break
        except Exception:
            log.exception("zalo: handling %s failed", inbound.message_id)
        finally:
            self._in_flight.discard(inbound.message_id)

    async def _deliver(self, chat_id: str, reply: Outbound) -> bool:
        """Send one reply, retrying parts that may pass later; False when the user cannot be reached now."""
        sender = self._sender()
        who = mask_user_id(CHANNEL, chat_id)
        if not isinstance(sender, ZaloSender):
            log.warning("zalo: no sender configured (app id, secret or tokens missing); reply to %s dropped", who)
            return False
        result = await sender.send(chat_id, reply, retry_delays=self.retry_delays)
        if not result.ok:
            log.warning("zalo: reply to %s not delivered: %s %s", who, result.status, result.detail)
        return result.ok

    async def _side_event(self, payload: dict[str, Any]) -> web.Response:
        """Receipts and the OA's own messages: stored before the 200 (a failure gets 503: Zalo sends it again)."""
        sender = self._sender()
        sent_by_us = sender.sent_by_us if isinstance(sender, ZaloSender) else (lambda _message_id: False)
        try:
            said = await asyncio.to_thread(
                record_side_event, self.troly.database, payload, utcnow(), sent_by_us, self.admins
            )
        except Exception:
            log.exception("zalo webhook: %s event not stored", payload.get("event_name"))
            return web.Response(status=503, text="not stored, send it again")
        if said:
            log.info("zalo webhook: %s: %s", payload.get("event_name"), said)
        return web.Response(text="ok")

    async def _admin_is_talking(self, inbound: Inbound) -> bool:
        """Whether an OA admin wrote to this user from Zalo's console within the quiet period (free text only:
        a command is a request to the bot)."""
        if not self.admins.quiet or inbound.event != "message" or inbound.text.lstrip().startswith("/"):
            return False
        return await self.admins.spoke_recently(inbound.user_id, utcnow())

    def _sender(self) -> Sender | None:
        senders = self.troly[SENDERS] if SENDERS in self.troly else {}  # noqa: SIM401 - Troly is not a Mapping
        return senders.get(CHANNEL)

    async def drain(self) -> None:
        """Let running work finish (bounded), then cancel what is left."""
        if not self.tasks:
            return
        _done, pending = await asyncio.wait(set(self.tasks), timeout=self.shutdown_grace)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("zalo: %d events still running at shutdown were cancelled", len(pending))
            await asyncio.gather(*pending, return_exceptions=True)


ZALO_WEBHOOK = web.AppKey("zalo_webhook", ZaloWebhook)


def setup_webhook(troly: Troly, app: web.Application) -> None:
    webhook = ZaloWebhook(troly)
    app[ZALO_WEBHOOK] = webhook
    app.router.add_post(ROUTE, webhook.handle)
    app.cleanup_ctx.append(_background_ctx)


async def _background_ctx(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[ZALO_WEBHOOK].drain()
