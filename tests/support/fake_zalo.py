"""A fake Zalo on 127.0.0.1: the OA API and OAuth, as documented (docs/zalo.md lists the sources).

Endpoints: `POST /v3.0/oa/message/cs` (consultation messages; answers `data.message_id`), `POST /v2.0/oa/message`
(to anonymous users: recipient {anonymous_id, conversation_id}), `POST /v2.0/oa/upload/image` (JPG/PNG up to
1 MB; uploads can be expired, then a send that uses one answers -100), `GET /v3.0/oa/user/detail` and
`GET /v2.0/oa/getoa` (parameters as one JSON `data` query parameter; profiles in `fake.profiles`, the OA in
`fake.oa`), `POST /v3.0/oa/quota/message` (a user's `last_interaction` in milliseconds, from
`fake.last_interactions`), and `POST /v4/oa/access_token` (single-use refresh tokens that rotate).

It behaves like the remote service where our code depends on it: HTTP 200 with an `error` field on
failures, access tokens checked on every call, the documented limits on text and buttons. Tests inject
error codes for the next calls or for one user, and read what was sent. Also: `signed_event(...)` builds a
webhook request body and its `X-ZEvent-Signature`, and the `*_event` builders give the documented payloads
of each event troly handles.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from adapters.zalo.signature import sign

APP_ID = "1234567890123456789"
APP_SECRET = "app-secret-for-tests"
OA_SECRET_KEY = "oa-secret-key-for-tests"
OA_ID = "4321098765432109876"


OA_INFO: dict[str, Any] = {
    "oa_id": OA_ID,
    "name": "Trợ lý số phường Móng Cái 1",
    "description": "Tổ công nghệ số cộng đồng",
    "is_verified": True,
    "oa_type": 2,
    "cate_name": "Cơ quan nhà nước",
    "num_follower": 1250,
    "package_name": "Gói Cơ bản",
}


@dataclass
class Sent:
    user_id: str
    message: dict[str, Any]
    access_token: str
    message_id: str = ""

    @property
    def text(self) -> str:
        return str(self.message.get("text", ""))

    @property
    def buttons(self) -> list[dict[str, Any]]:
        attachment = self.message.get("attachment") or {}
        return list(attachment.get("payload", {}).get("buttons", []))


@dataclass
class Refresh:
    refresh_token: str
    ok: bool
    issued_refresh_token: str = ""


@dataclass
class FakeZalo:
    """Start with `await fake.start()`; `fake.url` is both the API and the OAuth base URL."""

    access_token: str = "access-0"
    refresh_token: str = "refresh-0"
    refresh_delay: float = 0.0
    sent: list[Sent] = field(default_factory=list)
    refreshes: list[Refresh] = field(default_factory=list)
    attempts: int = 0
    url: str = ""
    max_concurrent_refreshes: int = 0
    _valid_access: set[str] = field(default_factory=set)
    _next_errors: deque[int] = field(default_factory=deque)
    _user_errors: dict[str, int] = field(default_factory=dict)
    _errors_at: dict[int, int] = field(default_factory=dict)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    images: dict[str, bytes] = field(default_factory=dict)
    expired_images: set[str] = field(default_factory=set)
    uploads: int = 0
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # user/detail answers by user id
    last_interactions: dict[str, int] = field(default_factory=dict)  # user id → epoch milliseconds
    oa: dict[str, Any] = field(default_factory=lambda: dict(OA_INFO))
    detail_calls: list[str] = field(default_factory=list)
    quota_calls: list[str] = field(default_factory=list)
    listeners: list[Callable[[Sent], None]] = field(default_factory=list)  # called with every recorded send
    _refreshing: int = 0
    _runner: web.AppRunner | None = None

    async def start(self) -> FakeZalo:
        self._valid_access.add(self.access_token)
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self._send)
        app.router.add_post("/v4/oa/access_token", self._oauth)
        app.router.add_post("/v2.0/oa/upload/image", self._upload)
        app.router.add_post("/v2.0/oa/message", self._send_anonymous)
        app.router.add_get("/v3.0/oa/user/detail", self._user_detail)
        app.router.add_post("/v3.0/oa/quota/message", self._quota)
        app.router.add_get("/v2.0/oa/getoa", self._oa_info)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests change -------------------------------------------------------------------------------
    @property
    def refreshing(self) -> int:
        """Refresh calls being answered right now (each waits `refresh_delay` first)."""
        return self._refreshing

    def fail_next(self, code: int, times: int = 1) -> None:
        """The next `times` sends answer with `code` (before any other check)."""
        self._next_errors.extend([code] * times)

    def fail_attempt(self, number: int, code: int) -> None:
        """The send attempt with this number (counting from 1 since the start) answers with `code`."""
        self._errors_at[number] = code

    def fail_user(self, user_id: str, code: int | None) -> None:
        """Every send to `user_id` answers with `code` (None: stop)."""
        if code is None:
            self._user_errors.pop(user_id, None)
        else:
            self._user_errors[user_id] = code

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working (as after 25 hours)."""
        self._valid_access.clear()

    def start_token(self, access_token: str) -> None:
        """Accept `access_token` from now on (as after an admin authorises the app again)."""
        self._valid_access.add(access_token)

    def revoke_refresh_token(self) -> None:
        """The current refresh token stops working (an admin revoked the app, or 3 months passed)."""
        self.refresh_token = "revoked-" + secrets.token_hex(4)

    def expire_uploads(self) -> None:
        """Every upload so far is forgotten (as after 7 days): a send that uses one answers -100."""
        self.expired_images.update(self.images)
        self.images.clear()

    def texts_to(self, user_id: str) -> list[str]:
        return [sent.text for sent in self.sent if sent.user_id == user_id]

    async def wait_for_sends(self, count: int, within: float = 10.0) -> list[Sent]:
        deadline = time.monotonic() + within
        while len(self.sent) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} sends, got {len(self.sent)}: {self.sent}")
            await asyncio.sleep(0.02)
        return self.sent

    # --- the fake service ---------------------------------------------------------------------------------
    async def _send(self, request: web.Request) -> web.Response:
        self.attempts += 1
        if self._next_errors:
            return _error(self._next_errors.popleft(), "injected")
        if self.attempts in self._errors_at:
            return _error(self._errors_at.pop(self.attempts), "injected for this attempt")
        token = request.headers.get("access_token", "")
        if token not in self._valid_access:
            return _error(-216, "Access token is invalid")
        try:
            body = json.loads(await request.read())
            user_id = body["recipient"]["user_id"]
            message = body["message"]
        except (ValueError, KeyError, TypeError):
            return _error(-201, "body is invalid")
        if not isinstance(user_id, str) or not user_id.isdigit():
            return _error(-201, "user_id is invalid")
        if user_id in self._user_errors:
            return _error(self._user_errors[user_id], "injected for user")
        problem = _check_message(message, self.images, self.expired_images)
        if problem == EXPIRED:
            return _error(-100, "attachment_id was expired")
        if problem:
            return _error(-201, problem)
        return self._record(user_id, message, token)

    def _record(self, user_id: str, message: dict[str, Any], token: str) -> web.Response:
        sent = Sent(user_id, message, token, message_id=f"m{next(self._counter)}")
        self.sent.append(sent)
        for listener in self.listeners:
            listener(sent)
        return web.json_response({"error": 0, "message": "Success", "data": {"message_id": sent.message_id}})

    async def _send_anonymous(self, request: web.Request) -> web.Response:
        """`/v2.0/oa/message` with recipient {anonymous_id, conversation_id}: both are required."""
        self.attempts += 1
        token = request.headers.get("access_token", "")
        if token not in self._valid_access:
            return _error(-216, "Access token is invalid")
        try:
            body = json.loads(await request.read())
            recipient, message = body["recipient"], body["message"]
            anonymous_id, conversation_id = recipient["anonymous_id"], recipient["conversation_id"]
        except (ValueError, KeyError, TypeError):
            return _error(-201, "body is invalid")
        if not (
            isinstance(anonymous_id, str) and anonymous_id and isinstance(conversation_id, str) and conversation_id
        ):
            return _error(-201, "anonymous_id or conversation_id is invalid")
        problem = _check_message(message, self.images, self.expired_images)
        if problem:
            return _error(-201, problem)
        return self._record(f"anon:{anonymous_id}:{conversation_id}", message, token)

    async def _user_detail(self, request: web.Request) -> web.Response:
        user_id = self._data_param(request).get("user_id")
        if request.headers.get("access_token", "") not in self._valid_access:
            return _error(-216, "Access token is invalid")
        self.detail_calls.append(str(user_id))
        profile = self.profiles.get(str(user_id))
        if profile is None:
            return _error(-201, "user_id is invalid")
        return web.json_response({"error": 0, "message": "Success", "data": {"user_id": str(user_id), **profile}})

    async def _quota(self, request: web.Request) -> web.Response:
        if request.headers.get("access_token", "") not in self._valid_access:
            return _error(-216, "Access token is invalid")
        try:
            user_id = str(json.loads(await request.read())["user_id"])
        except (ValueError, KeyError, TypeError):
            return _error(-201, "user_id is invalid")
        self.quota_calls.append(user_id)
        last = self.last_interactions.get(user_id)
        if last is None:
            return _error(-201, "user_id is invalid")
        data = {"last_interaction": str(last), "cs_reply": {"remain": 8, "total": 8}}
        return web.json_response({"error": 0, "message": "Success", "data": data})

    async def _oa_info(self, request: web.Request) -> web.Response:
        if request.headers.get("access_token", "") not in self._valid_access:
            return _error(-216, "Access token is invalid")
        return web.json_response({"error": 0, "message": "Success", "data": dict(self.oa)})

    @staticmethod
    def _data_param(request: web.Request) -> dict[str, Any]:
        """Zalo's GET endpoints take their parameters as one JSON-encoded `data` query parameter."""
        try:
            data = json.loads(request.query.get("data", "{}"))
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    async def _upload(self, request: web.Request) -> web.Response:
        """Like Zalo: a multipart `file`, JPG or PNG up to 1 MB, answered with an `attachment_id`."""
        self.attempts += 1
        if request.headers.get("access_token", "") not in self._valid_access:
            return _error(-216, "Access token is invalid")
        form = await request.post()
        upload = form.get("file")
        data = upload.file.read() if isinstance(upload, web.FileField) else b""
        if not data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8")) or len(data) > 1024 * 1024:
            return _error(-201, "file is invalid")
        attachment_id = f"att-{next(self._counter)}"
        self.images[attachment_id] = data
        self.uploads += 1
        return web.json_response({"error": 0, "message": "Success", "data": {"attachment_id": attachment_id}})

    async def _oauth(self, request: web.Request) -> web.Response:
        form = await request.post()
        self._refreshing += 1
        self.max_concurrent_refreshes = max(self.max_concurrent_refreshes, self._refreshing)
        try:
            if self.refresh_delay:
                await asyncio.sleep(self.refresh_delay)
            return self._rotate(request.headers.get("secret_key", ""), dict(form))
        finally:
            self._refreshing -= 1

    def _rotate(self, secret_key: str, form: dict[str, Any]) -> web.Response:
        given = str(form.get("refresh_token", ""))
        if secret_key != APP_SECRET or form.get("app_id") != APP_ID:
            self.refreshes.append(Refresh(given, ok=False))
            return web.json_response({"error": -14002, "error_name": "Invalid app_id or secret_key"})
        if form.get("grant_type") != "refresh_token" or given != self.refresh_token:
            self.refreshes.append(Refresh(given, ok=False))
            return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
        number = next(self._counter)
        self.access_token, self.refresh_token = f"access-{number}", f"refresh-{number}"
        self._valid_access.add(self.access_token)
        self.refreshes.append(Refresh(given, ok=True, issued_refresh_token=self.refresh_token))
        body = {"access_token": self.access_token, "refresh_token": self.refresh_token, "expires_in": "90000"}
        return web.json_response(body)


def _error(code: int, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message})


EXPIRED = "attachment_id was expired"


def _check_message(message: Any, images: dict[str, bytes], expired: set[str] | None = None) -> str:
    """Zalo's documented limits: text ≤ 2000 characters; ≤ 5 buttons, titles ≤ 100, payloads ≤ 1000;
    media messages refer to an uploaded image (one older than 7 days has expired)."""
    if not isinstance(message, dict):
        return "message is invalid"
    attachment = message.get("attachment")
    if isinstance(attachment, dict) and attachment.get("payload", {}).get("template_type") == "media":
        elements = attachment["payload"].get("elements") or [{}]
        known = elements[0].get("attachment_id")
        if known in (expired or set()):
            return EXPIRED
        return "" if known in images else "attachment_id is invalid"
    if isinstance(attachment, dict) and attachment.get("payload", {}).get("template_type") == "request_user_info":
        elements = attachment["payload"].get("elements")
        if not isinstance(elements, list) or len(elements) != 1:  # "maximum 1 element"
            return "elements is invalid"
        title, subtitle = elements[0].get("title"), elements[0].get("subtitle")
        if not (isinstance(title, str) and 0 < len(title) <= 100 and isinstance(subtitle, str) and subtitle):
            return "title or subtitle is invalid"
        return ""
    if not isinstance(message.get("text"), str) or not message["text"]:
        return "message.text is required"
    if len(message["text"]) > 2000:
        return "text exceeds 2000 characters"
    if attachment is None:
        return ""
    buttons = attachment.get("payload", {}).get("buttons") if isinstance(attachment, dict) else None
    if attachment.get("type") != "template" or not isinstance(buttons, list) or not 0 < len(buttons) <= 5:
        return "attachment is invalid"
    for button in buttons:
        if button.get("type") != "oa.query.show" or not 0 < len(str(button.get("title", ""))) <= 100:
            return "button is invalid"
        if not isinstance(button.get("payload"), str) or not 0 < len(button["payload"]) <= 1000:
            return "button payload is invalid"
    return ""


def signed_event(event: dict[str, Any], *, secret: str = OA_SECRET_KEY) -> tuple[bytes, dict[str, str]]:
    """The raw body and headers Zalo would POST for `event` (app_id and timestamp filled in when absent)."""
    full = {"app_id": APP_ID, "timestamp": str(int(time.time() * 1000)), **event}
    body = json.dumps(full, ensure_ascii=False).encode()
    return body, {"X-ZEvent-Signature": sign(body, secret), "Content-Type": "application/json"}


def text_event(user_id: str, text: str, msg_id: str) -> dict[str, Any]:
    return {
        "event_name": "user_send_text",
        "sender": {"id": user_id},
        "recipient": {"id": OA_ID},
        "message": {"msg_id": msg_id, "text": text},
        "user_id_by_app": "5" + user_id[1:],
    }


def zalo_settings(fake: FakeZalo) -> dict[str, Any]:
    """Settings overrides pointing troly at the fake."""
    return {
        "zalo_app_id": APP_ID,
        "zalo_app_secret": APP_SECRET,
        "zalo_oa_secret_key": OA_SECRET_KEY,
        "zalo_access_token": "access-0",
        "zalo_refresh_token": "refresh-0",
        "zalo_api_url": fake.url,
        "zalo_oauth_url": fake.url,
    }


# --- Documented event payloads (docs/zalo.md): user → OA events carry sender = user, recipient = OA; OA → user
# events (receipts, the OA's own messages) swap them. -------------------------------------------------------


def chat_opened_event(user_id: str) -> dict[str, Any]:
    """`user_click_chatnow`: the user tapped «Nhắn tin» on the OA's page."""
    return {"event_name": "user_click_chatnow", "oa_id": OA_ID, "user_id": user_id, "user_id_by_app": "5" + user_id[1:]}


def submit_info_event(user_id: str, phone: str, name: str = "Nguyễn Thị Lan") -> dict[str, Any]:
    """`user_submit_info`: the user answered the OA's request for information (the consent form)."""
    info = {"name": name, "phone": phone, "address": "Số 12 Trần Phú", "city": "Quảng Ninh", "district": "Móng Cái"}
    return {"event_name": "user_submit_info", "sender": {"id": user_id}, "recipient": {"id": OA_ID}, "info": info}


def reacted_event(user_id: str, msg_id: str, icon: str) -> dict[str, Any]:
    """`user_reacted_message`: the user put an icon on one of the OA's messages."""
    message = {"msg_id": msg_id, "react_icon": icon}
    return {
        "event_name": "user_reacted_message",
        "sender": {"id": user_id},
        "recipient": {"id": OA_ID},
        "message": message,
    }


def received_event(user_id: str, msg_id: str) -> dict[str, Any]:
    """`user_received_message`: a message of the OA reached the user's phone."""
    message = {"msg_id": msg_id, "delivery_time": str(int(time.time() * 1000))}
    return {
        "event_name": "user_received_message",
        "sender": {"id": OA_ID},
        "recipient": {"id": user_id},
        "message": message,
    }


def seen_event(user_id: str, msg_ids: list[str]) -> dict[str, Any]:
    """`user_seen_message`: the user read the OA's messages."""
    return {
        "event_name": "user_seen_message",
        "sender": {"id": OA_ID},
        "recipient": {"id": user_id},
        "message": {"msg_ids": msg_ids},
    }


def oa_sent_event(user_id: str, msg_id: str, text: str, *, admin_id: str = "") -> dict[str, Any]:
    """`oa_send_text`: the OA sent a message (Zalo echoes troly's own too); an admin writing from Zalo's
    console has an `admin_id`."""
    sender: dict[str, Any] = {"id": OA_ID, **({"admin_id": admin_id} if admin_id else {})}
    message = {"msg_id": msg_id, "text": text}
    return {"event_name": "oa_send_text", "sender": sender, "recipient": {"id": user_id}, "message": message}


def anonymous_text_event(anonymous_id: str, conversation_id: str, text: str, msg_id: str) -> dict[str, Any]:
    """`anonymous_send_text`: someone wrote without a Zalo identity the OA may know."""
    message = {"msg_id": msg_id, "text": text, "conversation_id": conversation_id}
    return {
        "event_name": "anonymous_send_text",
        "sender": {"id": anonymous_id},
        "recipient": {"id": OA_ID},
        "message": message,
    }
