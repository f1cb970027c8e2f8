"""Translating Telegram updates into the core's `Inbound`. PTB types stop here.

The update id becomes the message id, so a redelivered or replayed update is recognised by the core's
de-duplication (it commits the id together with the handler's effects).
"""

from __future__ import annotations

import math
from typing import Any

from telegram import ChatMember, Message, Update, User

from bot.messages import Attachment, EventKind, Inbound, Location

CHANNEL = "telegram"

# Checked in order, first match wins: an animation also carries a `document`.
_MEDIA: tuple[tuple[str, str], ...] = (
    ("photo", "photo"),
    ("sticker", "sticker"),
    ("voice", "voice"),
    ("audio", "audio"),
    ("video", "video"),
    ("video_note", "video"),
    ("animation", "gif"),
    ("document", "file"),
    ("contact", "other"),
    ("poll", "other"),
    ("dice", "other"),
    ("story", "other"),
)


def message_inbound(update: Update) -> Inbound | None:
    """A private message: text (or a caption), a location, or a kind of media. Service messages give None."""
    message, user = update.message, update.effective_user
    if message is None or user is None:
        return None
    location = _location(message)
    contact = _own_phone(message, user)
    kinds = [kind for attribute, kind in _MEDIA if getattr(message, attribute, None)]
    attachments = (Attachment(kinds[0]),) if kinds and contact is None else ()
    text = _text(message.text) or _text(message.caption)
    if not text and location is None and contact is None and not attachments:
        return None
    chat_id = str(message.chat.id)
    return _inbound(update, user, chat_id, text, location=location, attachments=attachments, contact=contact)


def choice_inbound(update: Update) -> Inbound | None:
    """A tapped inline button: its callback data comes back to the core as the user's text."""
    query = update.callback_query
    if query is None or not query.data or not isinstance(query.data, str):
        return None
    chat_id = str(query.message.chat.id) if query.message is not None else str(query.from_user.id)
    return _inbound(update, query.from_user, chat_id, query.data)


def membership_inbound(update: Update) -> Inbound | None:
    """In a private chat, `kicked` means the user blocked the bot and `member` that they unblocked it."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return None
    status = change.new_chat_member.status
    events: dict[str, EventKind] = {ChatMember.BANNED: "unfollow", ChatMember.MEMBER: "follow"}
    event = events.get(status)
    if event is None:
        return None
    return _inbound(update, change.from_user, str(change.chat.id), "", event=event)


def _inbound(
    update: Update,
    user: User,
    chat_id: str,
    text: str,
    *,
    location: Location | None = None,
    attachments: tuple[Attachment, ...] = (),
    event: EventKind = "message",
    contact: str | None = None,
) -> Inbound:
    # The time the user acted: a message's date; a tap has none of its own (its message is the bot's), so now.
    extra: dict[str, Any] = {"sent_at": update.message.date} if update.message is not None else {}
    return Inbound(
        channel=CHANNEL,
        user_id=str(user.id),
        chat_id=chat_id,
        text=text,
        message_id=str(update.update_id),
        user_name=user.full_name,
        location=location,
        attachments=attachments,
        event=event,
        contact=contact,
        raw={"update_id": update.update_id},  # for logs; the whole update is not copied (it costs per update)
        **extra,
    )


def _location(message: Message) -> Location | None:
    """The coordinates sent, when they are real ones (the webhook checks them; polling trusts Telegram)."""
    found = message.location or (message.venue.location if message.venue else None)
    if found is None:
        return None
    try:
        latitude, longitude = float(found.latitude), float(found.longitude)
    except (TypeError, ValueError, OverflowError):
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude) and abs(latitude) <= 90 and abs(longitude) <= 180):
        return None
    return Location(latitude, longitude)


def _text(value: object) -> str:
    """Text, or "" when the field holds something else: the core only ever gets strings."""
    return value if isinstance(value, str) else ""


def _own_phone(message: Message, user: User) -> str | None:
    """The number of a contact the user shared as their own (the «send my number» button); a contact card of
    somebody else stays an attachment the bot does not read."""
    contact = message.contact
    if contact is None or not isinstance(contact.phone_number, str) or contact.user_id != user.id:
        return None
    return contact.phone_number[:32] or None
