"""Builders for Telegram update JSON as the Bot API sends it, and a helper to POST one to the webhook."""

from __future__ import annotations

import itertools
import time
from typing import Any

import aiohttp

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_update_ids = itertools.count(1000)
_message_ids = itertools.count(1)


def next_update_id() -> int:
    return next(_update_ids)


def user(user_id: int, first_name: str = "Lan", last_name: str = "Nguyễn") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "last_name": last_name, "language_code": "vi"}


def message(chat_id: int, *, chat_type: str = "private", **fields: Any) -> dict[str, Any]:
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = "Lan"
    else:
        chat["title"] = "Nhóm thôn"
    sender = fields.pop("sender", None) or user(chat_id if chat_type == "private" else 777)
    text = fields.get("text")
    if isinstance(text, str) and text.startswith("/") and "entities" not in fields:  # as Telegram marks commands
        length = len(text.split()[0].encode("utf-16-le")) // 2
        fields["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"message_id": next(_message_ids), "date": int(time.time()), "chat": chat, "from": sender, **fields}


def text_update(chat_id: int, text: str, *, update_id: int | None = None, **fields: Any) -> dict[str, Any]:
    return {"update_id": update_id or next_update_id(), "message": message(chat_id, text=text, **fields)}


def message_update(chat_id: int, *, update_id: int | None = None, **fields: Any) -> dict[str, Any]:
    """Any message: photo=[...], sticker={...}, location={...}, voice={...}, chat_type="group", ..."""
    return {"update_id": update_id or next_update_id(), "message": message(chat_id, **fields)}


def callback_update(chat_id: int, data: str, *, update_id: int | None = None) -> dict[str, Any]:
    bot_message = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private", "first_name": "Lan"},
        "from": {"id": 123456, "is_bot": True, "first_name": "Trợ lý số", "username": "troly_test_bot"},
        "text": "Mời bạn chọn",
    }
    query = {"id": f"cq{next(_message_ids)}", "from": user(chat_id), "chat_instance": "1", "data": data,
             "message": bot_message}  # fmt: skip
    return {"update_id": update_id or next_update_id(), "callback_query": query}


def membership_update(chat_id: int, new_status: str, *, update_id: int | None = None) -> dict[str, Any]:
    """`kicked`: the user blocked the bot; `member`: they unblocked it."""
    bot_user = {"id": 123456, "is_bot": True, "first_name": "Trợ lý số", "username": "troly_test_bot"}
    old = "member" if new_status == "kicked" else "kicked"
    extra = {"until_date": 0} if new_status == "kicked" else {}
    change = {
        "chat": {"id": chat_id, "type": "private", "first_name": "Lan"},
        "from": user(chat_id),
        "date": int(time.time()),
        "old_chat_member": {"user": bot_user, "status": old, **({"until_date": 0} if old == "kicked" else {})},
        "new_chat_member": {"user": bot_user, "status": new_status, **extra},
    }
    return {"update_id": update_id or next_update_id(), "my_chat_member": change}


def poll_update(chat_id: int) -> dict[str, Any]:
    """A message carrying a poll as Bot API 9.5 sent it: its options have no `persistent_id`, which
    python-telegram-bot 22.8 requires ("required since Bot API 9.6") and refuses to parse without."""
    poll = {
        "id": "5123456789012345678",
        "question": "Bạn đã cài VNeID chưa?",
        "options": [{"text": "Rồi", "voter_count": 0}, {"text": "Chưa", "voter_count": 0}],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
    }
    return message_update(chat_id, poll=poll)


async def post_update(
    session: aiohttp.ClientSession, base_url: str, update: Any, secret: str | None
) -> aiohttp.ClientResponse:
    """POST to the real webhook route as Telegram does; `update` may be a dict or raw bytes."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    if isinstance(update, bytes):
        headers["Content-Type"] = "application/json"
        return await session.post(f"{base_url}/webhooks/telegram", data=update, headers=headers)
    return await session.post(f"{base_url}/webhooks/telegram", json=update, headers=headers)
