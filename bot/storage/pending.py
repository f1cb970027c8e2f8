"""Replies kept in the database by a stopping process, and taken back by the next one (bot.replies).

A row is free (`owner` = '') or taken by the process sending it; a row taken more than `LEASE` ago belongs to
a process that died before it could send and delete it, and is free again. Taking rows uses SELECT ... FOR
UPDATE SKIP LOCKED on PostgreSQL, so two processes starting together never take the same row; on SQLite the
writer lock makes the transaction the only writer.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update

from bot.messages import Choice, Outbound
from bot.storage.db import Database
from bot.storage.models import PendingReply
from bot.storage.types import utcnow

LEASE = timedelta(seconds=60)
TAKE_AT_ONCE = 500


@dataclass(frozen=True, slots=True)
class Kept:
    """A reply to keep (id None) or one taken back from the table (its row id)."""

    channel: str
    chat_id: str
    user_id: str
    message: Outbound
    row_id: int | None = None


def keep(database: Database, replies: Sequence[Kept]) -> None:
    """Store new replies (free for any process) and give back the taken ones still unsent, in one transaction."""
    new = [reply for reply in replies if reply.row_id is None]
    taken = [reply.row_id for reply in replies if reply.row_id is not None]
    now = utcnow()
    with database.transaction() as session:
        if new:
            session.execute(insert(PendingReply), [_row(reply, now) for reply in new])
        if taken:
            session.execute(update(PendingReply).where(PendingReply.id.in_(taken)).values(owner="", claimed_at=None))


def take(database: Database, owner: str, channels: Iterable[str], now: datetime | None = None) -> list[Kept]:
    """Take the free rows (and those of dead owners) of these channels, oldest first."""
    now = now or utcnow()
    free = or_(PendingReply.owner == "", PendingReply.claimed_at < now - LEASE)
    with database.transaction() as session:
        query = (
            select(PendingReply)
            .where(PendingReply.channel.in_(list(channels)), free)
            .order_by(PendingReply.id)
            .limit(TAKE_AT_ONCE)
            .with_for_update(skip_locked=True)
        )
        rows = list(session.scalars(query))
        for row in rows:
            row.owner, row.claimed_at = owner, now
        return [Kept(row.channel, row.chat_id, row.user_id, outbound_from(row.message), row.id) for row in rows]


def forget(database: Database, row_ids: Sequence[int]) -> None:
    """Delete rows whose replies have been sent (or given up)."""
    if row_ids:
        with database.transaction() as session:
            session.execute(delete(PendingReply).where(PendingReply.id.in_(list(row_ids))))


def count(database: Database) -> int:
    with database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(PendingReply)) or 0)


def outbound_as_json(message: Outbound) -> dict[str, Any]:
    """What is kept of a reply: everything a channel shows (`meta` is for reply hooks, which have run)."""
    return {
        "text": message.text,
        "choices": [[choice.label, choice.value] for choice in message.choices],
        "request_location": message.request_location,
        "image": base64.b64encode(message.image).decode() if message.image is not None else None,
    }


def outbound_from(data: dict[str, Any]) -> Outbound:
    image = data.get("image")
    return Outbound(
        text=str(data.get("text", "")),
        choices=tuple(Choice(str(label), str(value)) for label, value in data.get("choices", [])),
        request_location=bool(data.get("request_location", False)),
        image=base64.b64decode(image) if image else None,
    )


def _row(reply: Kept, now: datetime) -> dict[str, Any]:
    return {
        "channel": reply.channel,
        "chat_id": reply.chat_id,
        "user_id": reply.user_id,
        "message": outbound_as_json(reply.message),
        "created_at": now,
        "owner": "",
        "claimed_at": None,
    }
