"""One message model for every channel.

Adapters translate Telegram updates, Zalo events and console lines into `Inbound`, and render `Outbound`
in whatever the channel supports. Handlers only ever see these types; the raw payload rides along for logs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

# "reaction": the user reacted to one of our messages (Zalo's `user_reacted_message`). The adapter maps its
# channel's icons to `text` "+" (approval: like, heart...) or "-" (disapproval); it is not a message to answer.
# "open": the user opened the chat with the bot without writing yet (Zalo's `user_click_chatnow`); it counts
# as an interaction (Zalo's window) and a first-time visitor is greeted.
EventKind = Literal["message", "follow", "unfollow", "reaction", "open"]


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Attachment:
    """Something other than text the user sent; only its kind matters to the core."""

    kind: str  # photo | sticker | voice | audio | video | file | gif | other


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message or event from a user, whatever the channel."""

    channel: str
    user_id: str
    chat_id: str
    text: str = ""
    message_id: str = ""
    sent_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    user_name: str = ""
    location: Location | None = None
    attachments: tuple[Attachment, ...] = ()
    event: EventKind = "message"
    # A phone number the user shared as their own (Telegram's contact button; on Zalo, the channel may map its
    # consent form `user_submit_info` here). Not validated: the feature that asked for it checks the format.
    contact: str | None = None
    # The channel cannot tell who this is (Zalo's anonymous chat, before a follow): questions are answered, but
    # commands that need to know the person (joining a team, subscriptions...) politely ask for a follow.
    anonymous: bool = False
    raw: Mapping[str, Any] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Choice:
    """An option the user can tap (or answer by number); `value` comes back as the user's text."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Outbound:
    """A reply or push message. `image` is PNG bytes; `text` then goes with it.

    `meta` says what produced the reply (for example {"kind": "answer", "outcome": "fallback", "topic": ...}) so
    that other plugins' reply hooks can add to it (a rating, "still need a person?"); channels never show it.
    """

    text: str
    choices: tuple[Choice, ...] = ()
    request_location: bool = False
    image: bytes | None = field(default=None, repr=False)
    # Ask for the user's own phone number with the channel's sharing button where it has one (Telegram);
    # channels without one show a hint to type it.
    request_contact: bool = False
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


def check_inbound(inbound: Inbound) -> None:
    """TypeError unless every field has the type the core relies on.

    Dataclasses do not check types at run time, and a channel payload may hold a number where text belongs:
    adapters validate what they read, and the core calls this before touching a message, as a backstop.
    """
    for name in ("channel", "user_id", "chat_id", "text", "message_id", "user_name", "event"):
        value = getattr(inbound, name)
        if not isinstance(value, str):
            raise TypeError(f"Inbound.{name} is {type(value).__name__}, not str")
    if inbound.contact is not None and not isinstance(inbound.contact, str):
        raise TypeError(f"Inbound.contact is {type(inbound.contact).__name__}, not str")
    if not isinstance(inbound.anonymous, bool):
        raise TypeError("Inbound.anonymous is not a bool")
    location = inbound.location
    if location is not None and not (_coordinate(location.latitude, 90) and _coordinate(location.longitude, 180)):
        raise TypeError("Inbound.location is not a pair of real coordinates")
    if not isinstance(inbound.attachments, tuple) or not all(isinstance(a, Attachment) for a in inbound.attachments):
        raise TypeError("Inbound.attachments is not a tuple of Attachment")


def _coordinate(value: object, bound: float) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and abs(value) <= bound
