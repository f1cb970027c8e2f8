"""`POST /webhooks/zalo`: verify, handle, answer 200 once the event is stored; replies go out in the background.

Zalo treats anything but a 200 within about two seconds as a failure and sends the event again later (see
docs/zalo.md for what we rely on). So the request reads at most `MAX_BODY` bytes (bot.httpguard), checks the
signature, and hands the event to the core; the 200 comes only once the core has committed it (a few
milliseconds), and the replies go to the core's reply queue (bot.replies). When the core could not store the
event (the database or the disk failed) the answer is 503 and nobody is told anything: Zalo's retry brings
the event back. Events from one user are handled in order (a dialog answer must not overtake the question),
and a retried event is recognised twice: here while the first delivery is still in flight (it gets the
first one's answer), and by the core's processed-message table after that.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from adapters.zalo.events import CHANNEL, MalformedEvent, parse_event
from adapters.zalo.signature import HEADER, verify
from bot.app import Troly
from bot.failures import InfrastructureFailure
from bot.httpguard import read_body
from bot.messages import Inbound
from bot.replies import REPLIES
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
        self._user_locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def handle(self, request: web.Request) -> web.Response:
        body = await read_body(request, MAX_BODY)
        payload = verify(body, request.headers.get(HEADER), self.oa_secret_key, self.app_id)
        if payload is None:
            log.warning("zalo webhook: missing or wrong signature from %s; ignored", request.remote)
            return web.Response(status=403, text="invalid signature")
        try:
            inbound = parse_event(payload)
        except MalformedEvent as error:
            log.warning("zalo webhook: signed %s event ignored: %s", payload.get("event_name", "?"), error)
            return web.Response(text="ignored")
        if inbound is None:
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
        async with _UserTurn(self._user_locks, inbound.user_id):
            try:
                replies = await self.troly[CORE_RUNNER].handle(inbound)
            except InfrastructureFailure as error:
                log.warning("zalo event %s not stored, Zalo will send it again: %s", inbound.message_id, error)
                return 503
            if replies:  # queued while this user's turn is held, so replies keep the order of the messages
                self.troly[REPLIES].submit(CHANNEL, inbound.chat_id, inbound.user_id, replies)
        return 200


class _UserTurn:
    """One lock per user while that user has work queued; the entry disappears with its last user."""

    def __init__(self, locks: dict[str, tuple[asyncio.Lock, int]], user_id: str) -> None:
        self._locks, self._user_id = locks, user_id

    async def __aenter__(self) -> None:
        lock, users = self._locks.get(self._user_id, (asyncio.Lock(), 0))
        self._locks[self._user_id] = (lock, users + 1)
        try:
            await lock.acquire()
        except BaseException:  # cancelled while waiting: give the place back
            self._leave()
            raise

    async def __aexit__(self, *exc: object) -> None:
        self._locks[self._user_id][0].release()
        self._leave()

    def _leave(self) -> None:
        lock, users = self._locks[self._user_id]
        if users <= 1:
            del self._locks[self._user_id]
        else:
            self._locks[self._user_id] = (lock, users - 1)


ZALO_WEBHOOK = web.AppKey("zalo_webhook", ZaloWebhook)


def setup_webhook(troly: Troly, app: web.Application) -> None:
    webhook = ZaloWebhook(troly)
    app[ZALO_WEBHOOK] = webhook
    app.router.add_post(ROUTE, webhook.handle)
