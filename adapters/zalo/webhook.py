"""`POST /webhooks/zalo`: verify, handle, answer 200 once the event is stored; replies go out in the background.

Zalo treats anything but a 200 within about two seconds as a failure and sends the event again later (see
docs/zalo.md for what we rely on). So the request reads at most `MAX_BODY` bytes (bot.httpguard), checks the
signature, and hands the event to the core; the 200 comes only once the core has committed it (a few
milliseconds), and the replies go to the core's reply queue (bot.replies). When the core could not store the
event (the database or the disk failed) the answer is 503 and nobody is told anything: Zalo's retry brings
the event back. Events from one user are handled in order (a dialog answer must not overtake the question:
the core's sequencer, bot/sequencer.py, shared with Telegram), and a retried event is recognised twice: here
while the first delivery is still in flight (it gets the first one's answer), and by the core's
processed-message table after that. Receipts and the OA's own messages (adapters/zalo/side_events.py) are
stored before the 200 too; while an OA admin talks with a user from Zalo's console, the bot's replies to that
user's free text are held back.
"""

from __future__ import annotations

import asyncio
import logging
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
from bot.failures import InfrastructureFailure
from bot.httpguard import read_body
from bot.messages import Inbound
from bot.privacy import mask_user_id
from bot.replies import REPLIES
from bot.senders import SENDERS
from bot.sequencer import sequencer
from bot.storage.types import utcnow
from bot.workers import CORE_RUNNER

log = logging.getLogger(__name__)

ROUTE = "/webhooks/zalo"
MAX_BODY = 64 * 1024  # Zalo's events are a few hundred bytes; the signature is checked on no more than this


class ZaloWebhook:
    """Verifies and hands over events; keeps per-user order and the answers of events in flight."""

    def __init__(self, troly: Troly) -> None:
        self.troly = troly
        self.app_id = troly.settings.zalo_app_id
        self.oa_secret_key = troly.settings.zalo_oa_secret_key.get_secret_value()
        self._in_flight: dict[str, asyncio.Future[int]] = {}
        self.order = sequencer(troly)
        self.signatures = SignatureWatch(alerts(troly), troly.settings.zalo_refused_signatures)
        self.admins = RecentAdminReplies(troly.database, timedelta(minutes=troly.settings.zalo_admin_quiet_minutes))

    async def handle(self, request: web.Request) -> web.Response:
        body = await read_body(request, MAX_BODY)
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
        status = await self._once(inbound)
        if status != 200:
            return web.Response(status=status, text="not stored, send it again")
        return web.Response(text="ok")

    async def _once(self, inbound: Inbound) -> int:
        """The event's status, handling it only once at a time: a retry during the first waits for its answer."""
        running = self._in_flight.get(inbound.message_id)
        if running is not None:
            log.info("zalo webhook: retry of %s while it is still being handled", inbound.message_id)
            return await asyncio.shield(running)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._in_flight[inbound.message_id] = future
        try:
            status = await self._process(inbound)
        except BaseException:
            status = 503
            raise
        finally:
            future.set_result(status)
            del self._in_flight[inbound.message_id]
        return status

    async def _process(self, inbound: Inbound) -> int:
        async with self.order.ticket(CHANNEL, inbound.user_id):  # the user's place in line: the arrival order
            try:
                replies = await self.troly[CORE_RUNNER].handle(inbound)
            except InfrastructureFailure as error:
                log.warning("zalo event %s not stored, Zalo will send it again: %s", inbound.message_id, error)
                return 503
            if replies and await self._admin_is_talking(inbound):
                who = mask_user_id(CHANNEL, inbound.user_id)
                log.info("zalo: an OA admin is talking with %s; the bot's reply is held back", who)
                replies = []
            if replies:  # queued while this user's ticket is held, so replies keep the order of the messages
                self.troly[REPLIES].submit(CHANNEL, inbound.chat_id, inbound.user_id, replies)
        return 200

    async def _side_event(self, payload: dict[str, Any]) -> web.Response:
        """Receipts and the OA's own messages: stored before the 200 (a failure gets 503: Zalo sends it again)."""
        sender = self.troly[SENDERS].get(CHANNEL) if SENDERS in self.troly else None
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
        a command is a request to the bot). When that cannot be read, the bot answers."""
        if not self.admins.quiet or inbound.event != "message" or inbound.text.lstrip().startswith("/"):
            return False
        try:
            return await self.admins.spoke_recently(inbound.user_id, utcnow())
        except Exception as error:
            log.warning("zalo: could not read the OA admins' recent replies (%s); the bot answers", error)
            return False


ZALO_WEBHOOK = web.AppKey("zalo_webhook", ZaloWebhook)


def setup_webhook(troly: Troly, app: web.Application) -> None:
    webhook = ZaloWebhook(troly)
    app[ZALO_WEBHOOK] = webhook
    app.router.add_post(ROUTE, webhook.handle)
