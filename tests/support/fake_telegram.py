"""A fake Telegram Bot API server on 127.0.0.1, for end-to-end tests and benchmarks.

The real python-telegram-bot client talks HTTP to it exactly as it would to api.telegram.org: point
`TROLY_TELEGRAM_API_URL` (Settings.telegram_api_url) at `fake.api_url` and use `fake.token` as the token.
It answers like Telegram (`{"ok": true, "result": ...}`), checks what Telegram checks where a test could
otherwise pass by accident (text length after HTML parsing, HTML well-formedness, callback data of at most
64 bytes, the token), records every call, and can inject the failures the adapter must survive.

Running it
    async with FakeTelegram() as fake: ...            # in the current event loop (async tests)
    with FakeTelegram().in_thread() as fake: ...      # in a background thread with its own loop (sync code)
    await fake.start() / await fake.stop()            # explicit lifecycle

Looking at what the bot did
    fake.token, fake.api_url (".../bot", the base URL PTB appends the token to), fake.base_url
    fake.calls(method=None, chat_id=None) -> list[ApiCall]     every call, including refused ones
    fake.sent(chat_id=None) -> list[ApiCall]                   accepted sendMessage / sendPhoto calls
    fake.texts(chat_id=None) -> list[str]                      their text (or caption), as sent (HTML)
    fake.plain_texts(chat_id=None) -> list[str]                the same with HTML entities unescaped
    fake.webhook -> dict | None                                last setWebhook parameters (None after deleteWebhook)
    fake.commands -> list[dict]                                last setMyCommands list
    await fake.wait_for(method, count=1, chat_id=None, timeout=5.0) -> list[ApiCall]   (accepted calls)
    fake.wait_for_sync(...)                                    the same from another thread
    fake.clear()                                               forget recorded calls
    fake.listeners.append(callback)                            callback(ApiCall) for every call, in the server's
                                                               loop (benchmarks use it instead of polling)

Injecting trouble (thread-safe; may be called from any thread while the server runs)
    fake.rate_limit(chat_id=None, retry_after=1, times=1)      next sends (to chat_id, or any) get 429 RetryAfter
    fake.block(chat_id) / fake.unblock(chat_id)                sends to chat_id get 403 "bot was blocked by the user"
    fake.fail(method, error_code=400, description=..., chat_id=None, times=1)   any other error
    fake.delay = 0.0                                           seconds to wait before answering each call

Updates for getUpdates (polling)
    fake.push_update(update_dict)                              queued; getUpdates long-polls for them

ApiCall fields: method, params (form fields, JSON fields decoded), chat_id (str | None), text (str | None),
reply_markup (dict | None), ok (bool), error_code (int | None), at (time.monotonic() on arrival).
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JSON_FIELDS = frozenset({"reply_markup", "commands", "allowed_updates", "link_preview_options", "reply_parameters"})
SEND_METHODS = frozenset({"sendMessage", "sendPhoto"})
_TAG = re.compile(r"</?(b|strong|i|em|u|ins|s|strike|del|span|tg-spoiler|a|code|pre|blockquote|tg-emoji)(\s[^<>]*)?>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


@dataclass(frozen=True, slots=True)
class ApiCall:
    method: str
    params: dict[str, Any]
    chat_id: str | None
    text: str | None
    reply_markup: dict[str, Any] | None
    ok: bool
    error_code: int | None
    at: float


@dataclass(slots=True)
class _Failure:
    method: str | None
    chat_id: str | None
    error_code: int
    description: str
    times: int | None  # None: until removed
    retry_after: int | None = None


class ApiError(Exception):
    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code, self.description, self.retry_after = error_code, description, retry_after


@dataclass
class FakeTelegram:
    """See the module docstring."""

    token: str = "123456:TEST-token"
    bot_username: str = "troly_test_bot"
    delay: float = 0.0
    webhook: dict[str, Any] | None = None
    commands: list[dict[str, Any]] = field(default_factory=list)
    _calls: list[ApiCall] = field(default_factory=list)
    _failures: list[_Failure] = field(default_factory=list)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    listeners: list[Callable[[ApiCall], None]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    port: int = 0

    # -- lifecycle -------------------------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @contextmanager
    def in_thread(self) -> Iterator[FakeTelegram]:
        """Run the server in a daemon thread with its own event loop, for synchronous callers."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.start())
            ready.set()
            loop.run_forever()

        thread = threading.Thread(target=serve, name="fake-telegram", daemon=True)
        thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake Telegram server did not start")
        try:
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/bot"

    # -- inspection ------------------------------------------------------------------------------------------------
    def calls(self, method: str | None = None, chat_id: str | int | None = None) -> list[ApiCall]:
        with self._lock:
            calls = list(self._calls)
        return [
            c
            for c in calls
            if (method is None or c.method == method) and (chat_id is None or c.chat_id == str(chat_id))
        ]

    def sent(self, chat_id: str | int | None = None) -> list[ApiCall]:
        return [c for c in self.calls(chat_id=chat_id) if c.ok and c.method in SEND_METHODS]

    def texts(self, chat_id: str | int | None = None) -> list[str]:
        return [c.text or "" for c in self.sent(chat_id)]

    def plain_texts(self, chat_id: str | int | None = None) -> list[str]:
        return [html.unescape(_TAG.sub("", text)) for text in self.texts(chat_id)]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    async def wait_for(
        self,
        method: str,
        count: int = 1,
        *,
        chat_id: str | int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - a polling helper
    ) -> list[ApiCall]:
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls(method, chat_id) if c.ok]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.005)

    def wait_for_sync(
        self, method: str, count: int = 1, *, chat_id: str | int | None = None, timeout: float = 5.0
    ) -> list[ApiCall]:
        deadline = time.monotonic() + timeout
        while True:
            found = [c for c in self.calls(method, chat_id) if c.ok]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.005)

    # -- injection -------------------------------------------------------------------------------------------------
    def rate_limit(self, chat_id: str | int | None = None, retry_after: int = 1, times: int = 1) -> None:
        description = f"Too Many Requests: retry after {retry_after}"
        self._add_failure(_Failure(None, _str(chat_id), 429, description, times, retry_after))

    def block(self, chat_id: str | int) -> None:
        self._add_failure(_Failure(None, str(chat_id), 403, "Forbidden: bot was blocked by the user", None))

    def unblock(self, chat_id: str | int) -> None:
        with self._lock:
            self._failures = [f for f in self._failures if not (f.error_code == 403 and f.chat_id == str(chat_id))]

    def fail(
        self,
        method: str | None,
        error_code: int = 400,
        description: str = "Bad Request: injected failure",
        *,
        chat_id: str | int | None = None,
        times: int | None = 1,
    ) -> None:
        self._add_failure(_Failure(method, _str(chat_id), error_code, description, times))

    def push_update(self, update: dict[str, Any]) -> None:
        with self._lock:
            self._updates.append(update)

    def _add_failure(self, failure: _Failure) -> None:
        with self._lock:
            self._failures.append(failure)

    # -- the API ---------------------------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        method = request.match_info["method"]
        params = await _read_params(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        chat_id = _str(params.get("chat_id"))
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            self._injected(method, chat_id)
            result = await self._answer(method, params, request)
        except ApiError as error:
            self._record(method, params, chat_id, arrived, error.error_code)
            body: dict[str, Any] = {"ok": False, "error_code": error.error_code, "description": error.description}
            if error.retry_after is not None:
                body["parameters"] = {"retry_after": error.retry_after}
            return web.json_response(body, status=error.error_code)
        self._record(method, params, chat_id, arrived, None)
        return web.json_response({"ok": True, "result": result})

    def _record(self, method: str, params: dict[str, Any], chat_id: str | None, at: float, error: int | None) -> None:
        text = params.get("text", params.get("caption"))
        markup = params.get("reply_markup")
        call = ApiCall(
            method, params, chat_id, text if isinstance(text, str) else None,
            markup if isinstance(markup, dict) else None, error is None, error, at,
        )  # fmt: skip
        with self._lock:
            self._calls.append(call)
        for listener in self.listeners:
            listener(call)

    def _injected(self, method: str, chat_id: str | None) -> None:
        with self._lock:
            for failure in self._failures:
                if failure.method is None and method not in SEND_METHODS:
                    continue
                if failure.method not in (None, method) or failure.chat_id not in (None, chat_id):
                    continue
                if failure.times is not None:
                    failure.times -= 1
                    if failure.times <= 0:
                        self._failures.remove(failure)
                raise ApiError(failure.error_code, failure.description, failure.retry_after)

    async def _answer(self, method: str, params: dict[str, Any], request: web.Request) -> Any:
        if method == "getMe":
            return {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "Trợ lý số",
                    "username": self.bot_username, "can_join_groups": True,
                    "can_read_all_group_messages": False, "supports_inline_queries": False}  # fmt: skip
        if method == "sendMessage":
            return self._message(params, text=_checked_text(params, "text", 4096, required=True))
        if method == "sendPhoto":
            _checked_text(params, "caption", 1024, required=False)
            return self._message(params, photo=True)
        if method == "getUpdates":
            return await self._get_updates(params, request)
        if method == "setWebhook":
            self.webhook = params
            return True
        if method == "deleteWebhook":
            self.webhook = None
            return True
        if method == "getWebhookInfo":
            return {"url": (self.webhook or {}).get("url", ""), "has_custom_certificate": False,
                    "pending_update_count": 0}  # fmt: skip
        if method == "setMyCommands":
            self.commands = list(params.get("commands", []))
            return True
        if method in {"answerCallbackQuery", "editMessageReplyMarkup", "sendChatAction", "deleteMyCommands"}:
            return True
        raise ApiError(404, "Not Found: method not found")

    def _message(self, params: dict[str, Any], *, text: str | None = None, photo: bool = False) -> dict[str, Any]:
        _check_markup(params.get("reply_markup"))
        chat = params.get("chat_id")
        if chat in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat_id: int | str = int(chat) if str(chat).lstrip("-").isdigit() else str(chat)
        message: dict[str, Any] = {"message_id": next(self._ids), "date": int(time.time()),
                                   "chat": {"id": chat_id, "type": "private"}}  # fmt: skip
        if text is not None:
            message["text"] = text
        if photo:
            message["photo"] = [{"file_id": "photo-1", "file_unique_id": "p1", "width": 1, "height": 1}]
        return message

    async def _get_updates(self, params: dict[str, Any], request: web.Request) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 30.0)
        while True:
            with self._lock:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                pending = list(self._updates)
            gone = request.transport is None or request.transport.is_closing()  # the client gave up (stopping)
            if pending or gone or time.monotonic() >= deadline:
                return pending
            await asyncio.sleep(0.02)


async def _read_params(request: web.Request) -> dict[str, Any]:
    """PTB posts form fields (multipart when a file is attached), JSON-encoding nested objects."""
    params: dict[str, Any] = {}
    if request.content_type == "application/json":
        loaded = await request.json()
        return dict(loaded) if isinstance(loaded, dict) else {}
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            params[key] = {"filename": value.filename, "size": len(value.file.read())}
        elif key in JSON_FIELDS and isinstance(value, str):
            params[key] = json.loads(value)
        else:
            params[key] = value
    return params


def _checked_text(params: dict[str, Any], key: str, limit: int, *, required: bool) -> str:
    """Telegram's own checks: entities must parse, and length counts after parsing, in UTF-16 code units."""
    text = str(params.get(key, ""))
    visible = text
    if params.get("parse_mode") == "HTML":
        stripped = _TAG.sub("", text)
        if "<" in stripped or "&" in _ENTITY.sub("", stripped):
            raise ApiError(400, "Bad Request: can't parse entities: unsupported start tag or unescaped character")
        visible = html.unescape(stripped)
    length = len(visible.encode("utf-16-le")) // 2
    if required and not visible.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if length > limit:
        raise ApiError(400, "Bad Request: message is too long" if key == "text" else "Bad Request: caption too long")
    return text


def _check_markup(markup: Any) -> None:
    if not isinstance(markup, dict):
        return
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


@asynccontextmanager
async def fake_telegram(**kwargs: Any) -> AsyncIterator[FakeTelegram]:
    """`async with fake_telegram() as fake:` — the same as `async with FakeTelegram(**kwargs)`."""
    async with FakeTelegram(**kwargs) as fake:
        yield fake
