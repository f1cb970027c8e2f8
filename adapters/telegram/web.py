"""The Telegram side of `troly serve`: the webhook route, start-up (webhook, command menu) and polling.

POST /webhooks/telegram accepts an update only with the right secret header (compared in constant time),
refuses bodies over 256 KiB, answers 400 for anything that is not an update, and 200 once the core has
committed the update (replies go out in the background). Unknown update types are acknowledged and ignored.
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from telegram import Update

from adapters.telegram.inbound import CHANNEL
from adapters.telegram.lifecycle import WEBHOOK_PATH, TelegramRunner
from adapters.telegram.payload import update_problem
from adapters.telegram.sender import TelegramSender
from bot.app import Troly
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
    in_flight: set[int] = field(default_factory=set)


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
    if request.content_length is not None and request.content_length > MAX_BODY:
        return web.json_response({"ok": False, "error": "too large"}, status=413)
    data = _as_update_data(await request.read())  # aiohttp refuses bodies over client_max_size (413)
    runner = state.runner
    if data is None:
        return web.json_response({"ok": False, "error": "not a Telegram update"}, status=400)
    if runner is None or not runner.ready:
        return web.json_response({"ok": False, "error": "starting"}, status=503)
    application = runner.application
    try:
        update = Update.de_json(data, application.bot)
    except Exception as error:  # PTB raises TypeError, AttributeError, KeyError... for malformed parts
        log.warning("Telegram: webhook body is not a valid update: %r", error)
        return web.json_response({"ok": False, "error": "not a Telegram update"}, status=400)
    if update.update_id in state.in_flight:  # a redelivery while the first is still being handled
        return web.json_response({"ok": True})
    state.in_flight.add(update.update_id)
    try:
        await application.process_update(update)
    finally:
        state.in_flight.discard(update.update_id)
    return web.json_response({"ok": True})


def _as_update_data(body: bytes) -> dict[str, Any] | None:
    try:
        data = load_json(body)
    except PayloadError:
        return None
    if not isinstance(data, dict):
        return None
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool) or not 0 <= update_id < 2**63:
        return None
    problem = update_problem(data)
    if problem is not None:
        log.warning("Telegram: update %s refused: %s", update_id, problem)
        return None
    return data
