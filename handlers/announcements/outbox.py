"""The outbox's state machine: queue, claim, finish, retry, and take over the rows of dead workers.

queued → sending (claimed: committed BEFORE the send, with the worker's id) → sent | failed | skipped(reason).
A retry puts the row back to queued with a later `not_before`. Every transition from "sending" is guarded by
the worker id, so a worker that lost its claim (it was presumed dead) cannot overwrite another's result.
Claiming uses SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL, so concurrent workers never claim the same row;
on SQLite the core's BEGIN IMMEDIATE makes the claim transaction the only writer, which is as safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, delete, false, func, insert, literal, null, select, update
from sqlalchemy.orm import Session

from bot.channels import ChannelPolicy
from bot.storage.db import Database
from bot.storage.models import User
from bot.storage.types import UTCDateTime
from handlers.announcements.models import Announcement, DeliveryWorker, OutboxItem, OutboxState, Target
from handlers.announcements.recipients import Recipient

QUEUED, SENDING = OutboxState.QUEUED, OutboxState.SENDING
OUTBOX_COLUMNS = (
    "announcement_id", "user_id", "channel", "chat_id", "state", "reason", "not_before", "attempts", "worker_id",
    "uncertain", "finished_at",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row this worker now owns, with what it needs to send it."""

    id: int
    announcement_id: int
    channel: str
    chat_id: str
    channel_user_id: str
    text: str
    attempts: int


def enqueue(
    session: Session,
    announcement: Announcement,
    people: Iterable[Recipient],
    pushable: set[str],
) -> int:
    """Add the announcement and one outbox row per recipient; returns the announcement id."""
    session.add(announcement)
    session.flush()
    rows: list[dict[str, Any]] = []
    for person in people:
        can_push = person.channel in pushable
        rows.append(
            {
                "announcement_id": announcement.id,
                "user_id": person.user_id,
                "channel": person.channel,
                "chat_id": person.chat_id,
                "state": QUEUED if can_push else OutboxState.SKIPPED,
                "reason": "" if can_push else "no_push_channel",
                "not_before": announcement.send_at,
                "attempts": 0,
                "worker_id": "",
                "uncertain": False,
                "finished_at": None if can_push else announcement.created_at,
            }
        )
    if rows:
        session.execute(insert(OutboxItem), rows)
    return announcement.id


def enqueue_for(
    session: Session, announcement: Announcement, recipients: list[ColumnElement[bool]], pushable: set[str]
) -> int:
    """Add the announcement and one outbox row per user matching `recipients` (recipients.who) in one
    INSERT ... SELECT: 200,000 subscribers never pass through Python. Returns how many rows were queued."""
    session.add(announcement)
    session.flush()
    can_push = User.channel.in_(sorted(pushable)) if pushable else false()
    rows = select(
        literal(announcement.id),
        User.id,
        User.channel,
        User.chat_id,
        case((can_push, literal(QUEUED.value)), else_=literal(OutboxState.SKIPPED.value)),
        case((can_push, literal("")), else_=literal("no_push_channel")),
        literal(announcement.send_at, UTCDateTime()),
        literal(0),
        literal(""),
        false(),
        case((can_push, null()), else_=literal(announcement.created_at, UTCDateTime())),
    ).where(*recipients)
    session.execute(insert(OutboxItem).from_select(OUTBOX_COLUMNS, rows))
    # Counted, not taken from the rowcount: Python's sqlite3 reports none for a statement that starts with WITH.
    queued = select(func.count()).where(OutboxItem.announcement_id == announcement.id)
    return int(session.scalar(queued) or 0)


def claim(
    database: Database, worker_id: str, channel: str, limit: int, now: datetime, policy: ChannelPolicy | None
) -> list[Claimed]:
    """Mark up to `limit` due rows of `channel` as sending by this worker, and return them.

    Rows whose recipient blocked the bot, unsubscribed, or left the channel's push window since the
    announcement was queued are skipped here, in the same transaction, and not returned; for a channel whose
    sender checks the window with the channel's own figure (`verifies_window`: Zalo counts interactions troly
    never sees), the sender decides instead.
    """
    with database.transaction() as session:
        due = (
            select(OutboxItem.id)
            .where(OutboxItem.state == QUEUED, OutboxItem.channel == channel, OutboxItem.not_before <= now)
            .order_by(OutboxItem.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list(session.scalars(due))
        if not ids:
            return []
        details = session.execute(
            select(OutboxItem, User, Announcement.text, Announcement.target)
            .join(User, User.id == OutboxItem.user_id)
            .join(Announcement, Announcement.id == OutboxItem.announcement_id)
            .where(OutboxItem.id.in_(ids))
            .order_by(OutboxItem.id)
        )
        claimed: list[Claimed] = []
        for item, user, text, target in details:
            reason = _skip_reason(user, target, policy, now)
            if reason:
                item.state, item.reason, item.finished_at = OutboxState.SKIPPED, reason, now
                continue
            item.state, item.worker_id, item.claimed_at = SENDING, worker_id, now
            item.attempts += 1
            claimed.append(
                Claimed(item.id, item.announcement_id, channel, item.chat_id, user.channel_user_id, text, item.attempts)
            )
        return claimed


def _skip_reason(user: User, target: Target, policy: ChannelPolicy | None, now: datetime) -> str:
    if user.blocked:
        return "blocked"
    if target is Target.SUBSCRIBERS and user.subscribed_area_id is None:
        return "unsubscribed"
    if policy is not None and not policy.verifies_window and not policy.can_push(user.last_interaction_at, now):
        return "outside_window"  # a channel that asks its own figure (Zalo) decides when sending
    return ""


def finished(state: OutboxState, now: datetime, reason: str = "") -> dict[str, Any]:
    """The values of a final transition (sent, failed, skipped)."""
    return {"state": state, "reason": reason[:200], "finished_at": now}


def requeued(not_before: datetime, reason: str, *, count: bool = True) -> dict[str, Any]:
    """The values that put a row back in the queue; a rate-limited send does not use up one of its attempts."""
    values: dict[str, Any] = {"state": QUEUED, "reason": reason[:200], "not_before": not_before, "worker_id": ""}
    if not count:
        values["attempts"] = OutboxItem.attempts - 1
    return values


def finish(
    database: Database, item_id: int, worker_id: str, state: OutboxState, now: datetime, reason: str = ""
) -> bool:
    """Record the outcome of a send; False when this worker no longer owned the row."""
    return _transition(database, item_id, worker_id, finished(state, now, reason))


def retry_later(
    database: Database, item_id: int, worker_id: str, not_before: datetime, reason: str, *, count: bool = True
) -> bool:
    """Put a row back in the queue (see `requeued`)."""
    return _transition(database, item_id, worker_id, requeued(not_before, reason, count=count))


def record(database: Database, owner: str, outcomes: Sequence[tuple[int, dict[str, Any]]]) -> list[int]:
    """Apply several transitions out of "sending" in one transaction; returns the ids no longer owned."""
    lost = []
    with database.transaction() as session:
        for item_id, values in outcomes:
            if not _update_owned(session, item_id, owner, values):
                lost.append(item_id)
    return lost


def _transition(database: Database, item_id: int, owner: str, values: dict[str, Any]) -> bool:
    with database.transaction() as session:
        return _update_owned(session, item_id, owner, values)


def _update_owned(session: Session, item_id: int, owner: str, values: dict[str, Any]) -> bool:
    result = session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == item_id, OutboxItem.state == SENDING, OutboxItem.worker_id == owner)
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def heartbeat(database: Database, worker_id: str, now: datetime) -> None:
    with database.transaction() as session:
        worker = session.get(DeliveryWorker, worker_id)
        if worker is None:
            session.add(DeliveryWorker(id=worker_id, started_at=now, heartbeat_at=now))
        else:
            worker.heartbeat_at = now


def retire(database: Database, worker_id: str) -> None:
    """A worker that stops cleanly removes its heartbeat (it owns no row in "sending" by then)."""
    with database.transaction() as session:
        session.execute(delete(DeliveryWorker).where(DeliveryWorker.id == worker_id))


def recover(database: Database, now: datetime, lease: timedelta) -> int:
    """Requeue the "sending" rows of workers whose heartbeat is older than `lease`, marking them uncertain.

    Such a worker died (or hung) between committing the claim and recording the result: the send may or may
    not have reached the channel. We resend (a subscriber must not be missed) and count it as uncertain.
    """
    with database.transaction() as session:
        live = select(DeliveryWorker.id).where(DeliveryWorker.heartbeat_at >= now - lease)
        result = session.execute(
            update(OutboxItem)
            .where(OutboxItem.state == SENDING, OutboxItem.worker_id.not_in(live))
            .values(state=QUEUED, uncertain=True, worker_id="", reason="worker_died")
            .execution_options(synchronize_session=False)
        )
        session.execute(delete(DeliveryWorker).where(DeliveryWorker.heartbeat_at < now - lease))
        return int(result.rowcount)  # type: ignore[attr-defined]


def pending(database: Database, channels: Iterable[str]) -> int:
    """Rows of these channels still queued (due or scheduled) or in flight."""
    with database.transaction() as session:
        query = select(func.count()).where(
            OutboxItem.state.in_([QUEUED, SENDING]), OutboxItem.channel.in_(list(channels))
        )
        return int(session.scalar(query) or 0)


def cancel(session: Session, announcement_id: int, now: datetime) -> int:
    """Skip the rows not yet claimed ("cancelled"); sends already in flight finish normally."""
    result = session.execute(
        update(OutboxItem)
        .where(OutboxItem.announcement_id == announcement_id, OutboxItem.state == QUEUED)
        .values(state=OutboxState.SKIPPED, reason="cancelled", finished_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
