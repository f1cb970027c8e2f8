"""Zalo OA webhook events → the core's `Inbound`. Everything Zalo-specific about the payload shape is here.

Ids are kept as strings: Zalo user ids overflow JavaScript numbers and some senders quote them, others not;
Python's json reads big integers exactly, so `str()` of either form is the same id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.messages import Attachment, Inbound, Location
from bot.payloads import MAX_DEPTH, deeper_than

CHANNEL = "zalo"
MAX_ID_CHARS = 64

# Zalo event name → our attachment kind (the core answers these politely; only the kind matters).
ATTACHMENT_EVENTS = {
    "user_send_image": "photo",
    "user_send_gif": "gif",
    "user_send_sticker": "sticker",
    "user_send_file": "file",
    "user_send_audio": "voice",
    "user_send_video": "video",
    "user_send_link": "other",
    "user_send_business_card": "other",
}
FOLLOW_EVENTS = {"follow": "follow", "unfollow": "unfollow"}
ANONYMOUS_EVENTS = {
    "anonymous_send_text": "",
    "anonymous_send_image": "photo",
    "anonymous_send_file": "file",
    "anonymous_send_sticker": "sticker",
}
ANONYMOUS_PREFIX = "anon:"
# Zalo's reaction icons (Official Account API, "thả biểu tượng cảm xúc"): approval and disapproval; the
# others (wow, haha...) say nothing about an answer and are ignored.
APPROVING_ICONS = frozenset({"/-strong", "/-heart", ":>", "/-ok"})
DISAPPROVING_ICONS = frozenset({"/-weak", "-:((", ":-((", ":-h", ":(("})


class MalformedEvent(ValueError):
    """A correctly signed event we know by name but whose fields make no sense."""


def parse_event(payload: Mapping[str, Any]) -> Inbound | None:
    """The inbound message for a known user event; None for events we ignore (OA echoes, seen receipts…)."""
    if deeper_than(payload, MAX_DEPTH):
        raise MalformedEvent(f"nested more than {MAX_DEPTH} levels")
    name = payload.get("event_name")
    if not isinstance(name, str):
        raise MalformedEvent("event_name is not text")
    if name in FOLLOW_EVENTS:
        user_id = _id(payload.get("follower"), "follower")
        return _inbound(payload, user_id, event_id(payload, name, user_id), event=FOLLOW_EVENTS[name])
    if name in OTHER_USER_EVENTS:
        return OTHER_USER_EVENTS[name](payload, name)
    if name == "user_send_text":
        message = _message(payload)
        return _inbound(payload, _id(payload.get("sender"), "sender"), _msg_id(message), text=_text(message))
    if name == "user_send_location":
        message = _message(payload)
        return _inbound(payload, _id(payload.get("sender"), "sender"), _msg_id(message), location=_location(message))
    if name in ATTACHMENT_EVENTS:
        message = _message(payload)
        attachment = Attachment(ATTACHMENT_EVENTS[name])
        return _inbound(payload, _id(payload.get("sender"), "sender"), _msg_id(message), attachments=(attachment,))
    return None


def _chat_opened(payload: Mapping[str, Any], name: str) -> Inbound:
    """`user_click_chatnow`: the user tapped «Nhắn tin» on the OA (an interaction for Zalo's window)."""
    holder = payload.get("sender") if isinstance(payload.get("sender"), Mapping) else {"id": payload.get("user_id")}
    user_id = _id(holder, "user")
    return _inbound(payload, user_id, event_id(payload, name, user_id), event="open")


def _info_submitted(payload: Mapping[str, Any], name: str) -> Inbound:
    """`user_submit_info`: the consent form («chia sẻ thông tin»); its phone number answers whoever asked."""
    user_id = _id(payload.get("sender"), "sender")
    info = payload.get("info")
    phone = info.get("phone") if isinstance(info, Mapping) else None
    if isinstance(phone, int) and not isinstance(phone, bool):
        phone = str(phone)
    if not isinstance(phone, str) or not phone.strip():
        raise MalformedEvent("user_submit_info without a phone number")
    return _inbound(payload, user_id, event_id(payload, name, user_id), contact=phone.strip()[:32])


def _reacted(payload: Mapping[str, Any], name: str) -> Inbound | None:
    """`user_reacted_message`: an approving or disapproving icon on one of our messages becomes "+" or "-"."""
    user_id = _id(payload.get("sender"), "sender")
    message = _message(payload)
    icon = message.get("react_icon")
    polarity = "+" if icon in APPROVING_ICONS else "-" if icon in DISAPPROVING_ICONS else None
    if polarity is None:
        return None
    basis = f"{_msg_id(message)}:{icon}"
    return _inbound(payload, user_id, event_id(payload, f"{name}:{basis}", user_id), text=polarity, event="reaction")


def _anonymous(payload: Mapping[str, Any], name: str) -> Inbound:
    """`anonymous_send_*`: someone writing without a Zalo identity the OA may know (no follow). Their chat is
    `anon:<anonymous id>:<conversation id>`, which the sender answers through the anonymous API."""
    message = _message(payload)
    anonymous_id = _id(payload.get("sender"), "sender")
    conversation = message.get("conversation_id", payload.get("conversation_id"))
    conversation_id = _id({"id": conversation}, "conversation")
    kind = ANONYMOUS_EVENTS[name]
    fields: dict[str, Any] = {"attachments": (Attachment(kind),)} if kind else {"text": _text(message)}
    chat_id = f"{ANONYMOUS_PREFIX}{anonymous_id}:{conversation_id}"
    if len(chat_id) > MAX_ID_CHARS:  # users.chat_id holds 64 characters; Zalo's ids are about 20 digits
        raise MalformedEvent("anonymous ids too long to answer")
    return _inbound(
        payload, ANONYMOUS_PREFIX + anonymous_id, _msg_id(message), chat_id=chat_id, anonymous=True, **fields
    )


def anonymous_recipient(chat_id: str) -> tuple[str, str] | None:
    """(anonymous id, conversation id) of an anonymous chat id, else None."""
    if not chat_id.startswith(ANONYMOUS_PREFIX):
        return None
    anonymous_id, _, conversation_id = chat_id[len(ANONYMOUS_PREFIX) :].partition(":")
    return (anonymous_id, conversation_id) if anonymous_id and conversation_id else None


def _text(message: Mapping[str, Any]) -> str:
    text = message.get("text")
    if not isinstance(text, str):
        raise MalformedEvent("a text event without text")
    return text


OTHER_USER_EVENTS = {
    "user_click_chatnow": _chat_opened,
    "user_submit_info": _info_submitted,
    "user_reacted_message": _reacted,
    **{name: _anonymous for name in ANONYMOUS_EVENTS},
}


def event_id(payload: Mapping[str, Any], name: str, user_id: str) -> str:
    """A stable id for events without `msg_id` (follow/unfollow), so Zalo's retries are still recognised."""
    basis = f"{name}:{user_id}:{payload.get('timestamp', '')}"
    return f"{name.split(':', 1)[0]}-" + hashlib.sha256(basis.encode()).hexdigest()[:32]


def _inbound(payload: Mapping[str, Any], user_id: str, message_id: str, *, chat_id: str = "", **fields: Any) -> Inbound:
    return Inbound(
        channel=CHANNEL,
        user_id=user_id,
        chat_id=chat_id or user_id,
        message_id=message_id,
        sent_at=_sent_at(payload.get("timestamp")),
        raw={"event_name": payload.get("event_name"), "message_id": message_id},  # for logs; cheap to pickle
        **fields,
    )


def _message(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    message = payload.get("message")
    if not isinstance(message, Mapping):
        raise MalformedEvent("event without a message object")
    return message


def _msg_id(message: Mapping[str, Any]) -> str:
    value = message.get("msg_id")
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise MalformedEvent("message without msg_id")
    return str(value).strip()[:128]


def _id(holder: Any, what: str) -> str:
    value = holder.get("id") if isinstance(holder, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise MalformedEvent(f"{what}.id missing")
    text = str(value).strip()
    if not text or len(text) > MAX_ID_CHARS:
        raise MalformedEvent(f"{what}.id invalid")
    return text


def _location(message: Mapping[str, Any]) -> Location:
    """Zalo puts coordinates in attachments[].payload.coordinates (latitude/longitude, sometimes lat/long)."""
    candidates: list[Any] = [message.get("location")]
    attachments = message.get("attachments") or []
    if not isinstance(attachments, list):
        raise MalformedEvent("attachments is not a list")
    for attachment in attachments:
        if isinstance(attachment, Mapping) and isinstance(attachment.get("payload"), Mapping):
            candidates.append(attachment["payload"].get("coordinates"))
    for found in candidates:
        if isinstance(found, Mapping):
            latitude = _number(found.get("latitude", found.get("lat")))
            longitude = _number(found.get("longitude", found.get("long", found.get("lng"))))
            if latitude is not None and longitude is not None and abs(latitude) <= 90 and abs(longitude) <= 180:
                return Location(latitude=latitude, longitude=longitude)
    raise MalformedEvent("location without valid coordinates")


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):  # "abc"; an integer too large for a float
        return None
    return number if number == number and abs(number) != float("inf") else None


def _sent_at(timestamp: Any) -> datetime:
    """Zalo timestamps are milliseconds since the epoch, as a string; anything odd means 'now'."""
    try:
        return datetime.fromtimestamp(int(str(timestamp)) / 1000, UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return datetime.now(UTC)
