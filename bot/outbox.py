"""The push outbox: messages to users that are not the reply to their own message, sent after the commit.

A handler that must tell someone else (a team member gets a help request, a citizen learns who took it, an
operator gets an alert) calls `ctx.push(...)`; the row is written in the handler's transaction, so the decision
and the message stand or fall together, and `troly serve`'s delivery loop (bot.push_delivery) sends it once the
transaction has committed. A `key` makes a push idempotent: the same key is queued once, whatever retries the
handler's message goes through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.messages import Choice, Outbound
from bot.storage.db import Database
from bot.storage.models import PushMessage, PushState, User

REPLY_PRIORITY = 0  # a reply the user is owed (for example one left unsent at shutdown)
NOTICE_PRIORITY = 1


@dataclass(frozen=True, slots=True)
class ClaimedPush:
    id: int
    channel: str
    chat_id: str
    user_id: int | None
    channel_user_id: str | None
    message: Outbound
    attempts: int


def push(
    session: Session,
    *,
    channel: str,
    chat_id: str,
    message: Outbound,
    now: datetime,
    user_id: int | None = None,
    key: str | None = None,
    not_before: datetime | None = None,
    priority: int = NOTICE_PRIORITY,
) -> None:
    """Queue `message` for `chat_id` on `channel` in the caller's transaction (once per `key`, when given)."""
    table = cast(Table, PushMessage.__table__)
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    statement = insert(table).values(
        channel=channel,
        chat_id=chat_id,
        user_id=user_id,
        text=message.text,
        payload=encode(message),
        image=message.image,
        priority=priority,
        dedupe_key=key[:128] if key else None,
        state=PushState.QUEUED.value,
        reason="",
        attempts=0,
        worker_id="",
        created_at=now,
        not_before=not_before or now,
    )
    session.execute(statement.on_conflict_do_nothing(index_elements=["dedupe_key"]) if key else statement)


def push_to_user(session: Session, user: User, message: Outbound, *, now: datetime, **options: Any) -> None:
    push(session, channel=user.channel, chat_id=user.chat_id or user.channel_user_id, message=message, now=now,
         user_id=user.id, **options)  # fmt: skip


def encode(message: Outbound) -> dict[str, Any]:
    return {
        "choices": [[choice.label, choice.value] for choice in message.choices],
        "request_location": message.request_location,
        "request_contact": message.request_contact,
        "meta": dict(message.meta),
    }


def decode(text: str, payload: dict[str, Any], image: bytes | None) -> Outbound:
    choices = tuple(Choice(str(label), str(value)) for label, value in payload.get("choices", []))
    return Outbound(
        text,
        choices=choices,
        request_location=bool(payload.get("request_location")),
        request_contact=bool(payload.get("request_contact")),
        image=image,
        meta=dict(payload.get("meta") or {}),
    )


def claim(
    database: Database, worker_id: str, channels: set[str], limit: int, now: datetime, lease_from: datetime
) -> list[ClaimedPush]:
    """Mark up to `limit` due messages for these channels as sending by this worker, and return them.

    Messages another worker claimed before `lease_from` (it died mid-send) are taken over: the user may get
    such a message twice, which beats never.
    """
    if not channels:
        return []
    with database.transaction() as session:
        due = or_(
            and_(PushMessage.state == PushState.QUEUED, PushMessage.not_before <= now),
            and_(PushMessage.state == PushState.SENDING, PushMessage.claimed_at < lease_from),
        )
        rows = session.execute(
            select(PushMessage, User.channel_user_id)
            .outerjoin(User, User.id == PushMessage.user_id)
            .where(due, PushMessage.channel.in_(sorted(channels)))
            .order_by(PushMessage.priority, PushMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=PushMessage)
        ).all()
        claimed = []
        for row, channel_user_id in rows:
            row.state, row.worker_id, row.claimed_at = PushState.SENDING, worker_id, now
            row.attempts += 1
            message = decode(row.text, row.payload, row.image)
            claimed.append(
                ClaimedPush(row.id, row.channel, row.chat_id, row.user_id, channel_user_id, message, row.attempts)
            )
        return claimed


def finish(database: Database, push_id: int, worker_id: str, state: PushState, now: datetime, reason: str = "") -> None:
    """Record the outcome of a claimed message (only while this worker still holds it)."""
    with database.transaction() as session:
        session.execute(
            update(PushMessage)
            .where(_held_by(push_id, worker_id))
            .values(state=state, finished_at=now, reason=reason[:200])
        )


def retry_later(database: Database, push_id: int, worker_id: str, when: datetime, reason: str) -> None:
    with database.transaction() as session:
        session.execute(
            update(PushMessage)
            .where(_held_by(push_id, worker_id))
            .values(state=PushState.QUEUED, not_before=when, reason=reason[:200])
        )


def _held_by(push_id: int, worker_id: str) -> Any:
    return and_(PushMessage.id == push_id, PushMessage.worker_id == worker_id, PushMessage.state == PushState.SENDING)


def prune_finished(session: Session, before: datetime) -> int:
    """Forget messages that were sent, failed or skipped before `before` (they hold personal text)."""
    result = session.execute(
        delete(PushMessage).where(PushMessage.finished_at.is_not(None), PushMessage.finished_at < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def cancel(session: Session, key: str) -> bool:
    """Withdraw the message queued under `key` if it has not been claimed for sending yet (a notice that became
    pointless in the same breath, such as "someone else took it" to the person who just learnt it first-hand)."""
    result = session.execute(
        delete(PushMessage).where(PushMessage.dedupe_key == key[:128], PushMessage.state == PushState.QUEUED)
    )
    return int(getattr(result, "rowcount", 0) or 0) > 0
