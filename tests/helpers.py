"""Small builders shared by tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from bot.app import Troly
from bot.messages import Inbound, Location, Outbound

_ids = itertools.count(1)


def inbound(
    text: str = "",
    *,
    user: str = "u1",
    channel: str = "console",
    message_id: str | None = None,
    location: Location | None = None,
    **extra: object,
) -> Inbound:
    return Inbound(
        channel=channel,
        user_id=user,
        chat_id=user,
        text=text,
        message_id=message_id if message_id is not None else f"m{next(_ids)}",
        sent_at=datetime.now(UTC),
        user_name=extra.pop("user_name", "Lan"),  # type: ignore[arg-type]
        location=location,
        **extra,
    )  # type: ignore[arg-type]


def say(app: Troly, text: str, **kwargs: object) -> list[Outbound]:
    return app.handle(inbound(text, **kwargs))  # type: ignore[arg-type]


def joined(replies: list[Outbound]) -> str:
    return "\n".join(reply.text for reply in replies)
