"""What every message goes through first, inside its transaction: claimed once, its sender found or created.

Both are single INSERT ... ON CONFLICT statements written for SQLite and PostgreSQL alike: they run for every
message, so they skip the ORM's unit of work (two round trips cost more than answering the question).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.messages import Inbound
from bot.storage.models import ProcessedMessage, User


class DuplicateMessage(Exception):
    """The channel delivered a message we already processed."""


def claim_message(session: Session, inbound: Inbound, now: datetime) -> None:
    """Record the message id in this transaction; a second delivery fails here and changes nothing."""
    if not inbound.message_id:
        return
    table = cast(Table, ProcessedMessage.__table__)
    statement = (
        _insert_for(session)(table)
        .values(channel=inbound.channel, message_id=inbound.message_id[:128], processed_at=now)
        .on_conflict_do_nothing()
        .returning(table.c.message_id)
    )
    # One statement, no ORM bookkeeping: on PostgreSQL a concurrent redelivery waits here for the first
    # transaction and then inserts nothing, so exactly one of them goes on to the handler.
    if session.execute(statement).first() is None:
        raise DuplicateMessage


def upsert_user(session: Session, inbound: Inbound, now: datetime) -> User:
    """Find or create the sender in one statement; a user who writes again is no longer considered blocked.

    One INSERT ... ON CONFLICT DO UPDATE ... RETURNING instead of a SELECT and a later UPDATE: this runs for
    every message, and two round trips through the ORM's unit of work cost more than the question's answer.
    """
    writes = inbound.event != "unfollow"
    values: dict[str, Any] = {
        "channel": inbound.channel,
        "channel_user_id": inbound.user_id,
        "chat_id": inbound.chat_id,
        "display_name": clean_text(inbound.user_name)[:200],
        "created_at": now,
        "last_interaction_at": now if writes else None,
    }
    changes: dict[str, Any] = {"chat_id": inbound.chat_id}
    if inbound.user_name:
        changes["display_name"] = values["display_name"]
    if writes:
        changes |= {"last_interaction_at": now, "blocked": False}
    statement = (
        _insert_for(session)(User)
        .values(values)
        .on_conflict_do_update(index_elements=["channel", "channel_user_id"], set_=changes)
        .returning(User)
    )
    return cast(User, session.scalars(statement, execution_options={"populate_existing": True}).one())


def _insert_for(session: Session) -> Any:
    """The dialect's INSERT, which has ON CONFLICT (SQLite and PostgreSQL spell it the same way)."""
    return sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert


def clean_text(text: str) -> str:
    """NFC, without control or invisible format characters (keeping line breaks), trimmed."""
    text = unicodedata.normalize("NFC", text)
    kept = (ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co"})
    return "".join(kept).strip()
