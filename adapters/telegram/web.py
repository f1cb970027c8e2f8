"""The Telegram side of `troly serve`: the webhook route, start-up (webhook, command menu) and polling.

POST /webhooks/telegram accepts an update only with the right secret header (compared in constant time),
refuses bodies over 256 KiB (and bodies that take too long to arrive: bot.httpguard); without the secret
nothing is read (403). With it, the body is Telegram's: an update troly cannot read (not JSON, fields of the
wrong type, a newer Bot API shape PTB refuses) is answered 200 and logged once per kind
(adapters/telegram/unparseable.py), because any other answer makes Telegram retry it forever. A readable
update gets 200 once the core has committed it (replies go out in the background). When the core could not
store it (the database or the disk failed) the answer is 503, with no apology to the user: Telegram delivers
the update again. Unknown update types are acknowledged and ignored. A redelivery that arrives while the
first delivery is still being handled gets the first one's answer.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram import Update

from adapters.telegram.inbound import CHANNEL
from adapters.telegram.lifecycle import WEBHOOK_PATH, TelegramRunner
from adapters.telegram.payload import update_problem
from adapters.telegram.sender import TelegramSender
from adapters.telegram.unparseable import UnparseableUpdates
from bot.app import Troly
from bot.httpguard import read_body
from bot.payloads import PayloadError, load_json
from bot.senders import SENDERS
from bot.server import SERVE_OPTIONS, TROLY

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 256 * 1024
_SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass
class TelegramState:
    """Set up before the web app is frozen; the runner is filled in at start-up."""

    secret: bytes
    runner: TelegramRunner | None = None
    in_flight: dict[int, asyncio.Future[int]] = field(default_factory=dict)  # update id -> the answer's status
    unparseable: UnparseableUpdates = field(default_factory=UnparseableUpdates)

    async def once(self, update_id: int, handle: Callable[[], Awaitable[int]]) -> int:
        """Handle an update once at a time: a redelivery during the first delivery waits for its status."""
        running = self.in_flight.get(update_id)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.in_flight[update_id] = future
        try:
            status = await handle()
            future.set_result(status)
            return status
        except BaseException:
            future.set_result(503)
            raise
        finally:
            del self.in_flight[update_id]


TELEGRAM = web.AppKey("telegram", TelegramState)


def setup_web(troly: Troly, app: web.Application) -> None:
    settings = troly.settings
    if not settings.telegram_token.get_secret_value():
        log.info("Telegram: TROLY_TELEGRAM_TOKEN is not set, the Telegram channel is off")
        return
    secret = settings.telegram_webhook_secret.get_secret_value()
    if not app[SERVE_OPTIONS].polling and not _SECRET_FORMAT.fullmatch(secret):
        log.error(
            "Telegram: TROLY_TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ -; "
            "until it is set, every webhook call is refused"
        )
    app[TELEGRAM] = TelegramState(secret=secret.encode())
    app.router.add_post(WEBHOOK_PATH, webhook)
    app.cleanup_ctx.append(_telegram_ctx)


async def _telegram_ctx(app: web.Application) -> AsyncIterator[None]:
    """Start PTB around the Telegram sender the server made (bot.server._senders_ctx runs first)."""
    troly, state = app[TROLY], app[TELEGRAM]
    sender = troly[SENDERS].get(CHANNEL)
    if not isinstance(sender, TelegramSender):
        raise RuntimeError("Telegram: the token is set but no Telegram sender was made (plugin not loaded?)")
    runner = TelegramRunner(troly, sender, polling=app[SERVE_OPTIONS].polling, secret=state.secret.decode())
    await runner.start()
    state.runner = runner
    yield
    state.runner = None
    await runner.stop()


async def webhook(request: web.Request) -> web.Response:
    state = request.app[TELEGRAM]
    # aiohttp keeps bytes that are not UTF-8 as surrogates: encoded back, they simply do not match.
    given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
    if not state.secret or not hmac.compare_digest(given, state.secret):
        return web.json_response({"ok": False, "error": "forbidden"}, status=403)
    body = await read_body(request, MAX_BODY)
    runner = state.runner
    if runner is None or not runner.ready:
        return web.json_response({"ok": False, "error": "starting"}, status=503)
    data, problem = _as_update_data(body)
    update = None
    if data is not None and problem is None:
        try:
            update = Update.de_json(data, runner.application.bot)
        except Exception as error:  # PTB raises TypeError, KeyError... for what a newer Bot API sends
            problem = f"{type(error).__name__}: {error}"
    if update is None:
        state.unparseable.report(data, problem or "unreadable")
        return web.json_response({"ok": True, "dropped": "unreadable update"})
    status = await state.once(update.update_id, lambda: _process(runner, update))
    if status != 200:
        return web.json_response({"ok": False, "error": "not stored, send it again"}, status=status)
    return web.json_response({"ok": True})


async def _process(runner: TelegramRunner, update: Update) -> int:
    """200 once the core has handled the update; 503 when it could not be stored."""
    await runner.application.process_update(update)
    return 503 if runner.bridge.take_failure(update.update_id) else 200


def _as_update_data(body: bytes) -> tuple[Any, str | None]:
    """The body as an update's JSON, and what makes it unreadable (None when troly can read it)."""
    try:
        data = load_json(body)
    except PayloadError as error:
        return None, f"not JSON ({error})"
    if not isinstance(data, dict):
        return data, "not a JSON object"
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or not 0 <= update_id < 2**63:
        return data, "no integer update_id"
    return data, update_problem(data)
