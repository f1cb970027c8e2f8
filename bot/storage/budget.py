"""The database side of the shared send budget (bot.sendbudget): one transaction hands out send slots.

Every process that sends on a channel (each `troly serve`, each `troly deliver`, on one machine or several)
asks here for the moment it may send each waiting message. The channel's row is locked for the transaction
(SELECT ... FOR UPDATE on PostgreSQL; on SQLite every transaction already holds the cross-process writer
lock, bot.storage.writer_lock), so slots handed to different processes never overlap:

* channel-wide, slots are `spacing` seconds apart (a GCRA without bursts: `next_at` is the next free slot);
* per chat, a GCRA with a burst allowance: a chat may get `burst` messages at once, then one per `interval`;
* a pause (a 429's `retry_after`) refuses every slot of the channel, or of one chat, until it ends.

Times are seconds on the database's clock (PostgreSQL's `clock_timestamp()`; SQLite lives on one machine and
uses that machine's clock), and slots are returned relative to the moment that clock was read, which the
caller maps onto its own monotonic clock: machines whose clocks disagree still share one timeline.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.storage.db import Database
from bot.storage.models import SendBudgetChat, SendBudgetRow

PRUNE_AFTER = 60.0  # seconds after which a chat's row says nothing any more, and may be deleted


class Refusal(Enum):
    PAUSED = "paused"  # the channel asked us to wait (a 429 or Zalo's -32)
    CHAT = "chat"  # the chat had its share for now, or was paused
    BUSY = "busy"  # a bulk send would wait behind replies: come back when the queue is shorter


@dataclass(frozen=True, slots=True)
class Ask:
    chat_id: str | None
    bulk: bool


@dataclass(frozen=True, slots=True)
class Answer:
    """`delay`: seconds after the clock reading until the granted slot, or until it is worth asking again."""

    delay: float
    refusal: Refusal | None = None


@dataclass(frozen=True, slots=True)
class Rules:
    spacing: float  # seconds between two messages of the channel
    chat_interval: float | None = None  # seconds between two messages to one chat (None: no per-chat limit)
    chat_burst: int = 1
    bulk_horizon: float = 0.25  # bulk sends take only slots at most this far ahead: replies come first


@dataclass(frozen=True, slots=True)
class Claim:
    answers: list[Answer]
    read_at: float  # time.monotonic() of this process when the database clock was read


def claim(database: Database, channel: str, asks: Sequence[Ask], rules: Rules, lead: float = 0.0) -> Claim:
    """Hand out a slot (or a refusal) for every ask, in order, in one transaction.

    No slot is earlier than `lead` seconds after the clock reading: the caller's estimate of how long the answer
    takes to reach it, so that a slot is still ahead when it arrives.
    """
    with database.transaction() as session:
        row = _locked_row(session, channel)
        read_at, now = _clock(session)
        chats = _chat_times(session, channel, asks) if rules.chat_interval else {}
        before = dict(chats)
        answers, row.next_at = _assign(asks, rules, now, max(row.next_at, now + lead), row.paused_until, chats)
        changed = {chat: at for chat, at in chats.items() if before.get(chat) != at}
        if changed:
            _save_chats(session, channel, changed)
    return Claim(answers, read_at)


def pause(database: Database, channel: str, seconds: float, rules: Rules, chat_id: str | None = None) -> None:
    """Refuse the channel's slots (or one chat's) for `seconds`, in every process."""
    with database.transaction() as session:
        row = _locked_row(session, channel)
        _, now = _clock(session)
        if chat_id is None or not rules.chat_interval:
            row.paused_until = max(row.paused_until, now + seconds)
            return
        current = _chat_times(session, channel, [Ask(chat_id, False)]).get(chat_id, 0.0)
        _save_chats(session, channel, {chat_id: max(current, now + seconds + _allowance(rules))})


def prune(database: Database, channel: str) -> int:
    """Delete the per-chat rows that no longer limit anything."""
    with database.transaction() as session:
        _, now = _clock(session)
        result = session.execute(
            delete(SendBudgetChat).where(SendBudgetChat.channel == channel, SendBudgetChat.next_at < now - PRUNE_AFTER)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def _assign(
    asks: Sequence[Ask], rules: Rules, now: float, free: float, paused_until: float, chats: dict[str, float]
) -> tuple[list[Answer], float]:
    """The slots, in order; returns them and the channel's next free slot."""
    answers = []
    for ask in asks:
        if paused_until > now:
            answers.append(Answer(paused_until - now, Refusal.PAUSED))
            continue
        chat_ready = _chat_ready(ask.chat_id, rules, chats, now)
        if chat_ready > now:
            answers.append(Answer(chat_ready - now, Refusal.CHAT))
            continue
        if ask.bulk and free - now > rules.bulk_horizon:
            answers.append(Answer(free - now - rules.bulk_horizon, Refusal.BUSY))
            continue
        answers.append(Answer(free - now))
        if ask.chat_id is not None and rules.chat_interval:
            chats[ask.chat_id] = max(chats.get(ask.chat_id, 0.0), free) + rules.chat_interval
        free += rules.spacing
    return answers, free


def _chat_ready(chat_id: str | None, rules: Rules, chats: dict[str, float], now: float) -> float:
    """When the chat may get its next message (GCRA: its arrival time minus the burst allowance)."""
    if chat_id is None or chat_id not in chats:
        return now
    return chats[chat_id] - _allowance(rules)


def _allowance(rules: Rules) -> float:
    """How far ahead of now a chat's arrival time may be while it still gets a message (its burst)."""
    return (rules.chat_interval or 0.0) * (rules.chat_burst - 1)


def _locked_row(session: Session, channel: str) -> SendBudgetRow:
    query = select(SendBudgetRow).where(SendBudgetRow.channel == channel).with_for_update()
    row = session.scalar(query)
    if row is None:
        session.execute(_insert_for(session)(SendBudgetRow).values(channel=channel, next_at=0.0, paused_until=0.0)
                        .on_conflict_do_nothing())  # fmt: skip
        row = session.scalars(query).one()
    return row


def _clock(session: Session) -> tuple[float, float]:
    """(this process's monotonic time, the database's clock in epoch seconds) at about the same moment."""
    if session.get_bind().dialect.name == "sqlite":
        return time.monotonic(), time.time()
    before = time.monotonic()
    now = float(session.execute(text("SELECT extract(epoch FROM clock_timestamp())")).scalar_one())
    return (before + time.monotonic()) / 2, now


def _chat_times(session: Session, channel: str, asks: Sequence[Ask]) -> dict[str, float]:
    chat_ids = sorted({ask.chat_id for ask in asks if ask.chat_id is not None})
    if not chat_ids:
        return {}
    rows = session.execute(
        select(SendBudgetChat.chat_id, SendBudgetChat.next_at).where(
            SendBudgetChat.channel == channel, SendBudgetChat.chat_id.in_(chat_ids)
        )
    )
    return {chat_id: next_at for chat_id, next_at in rows}


def _save_chats(session: Session, channel: str, times: dict[str, float]) -> None:
    values = [{"channel": channel, "chat_id": chat_id, "next_at": at} for chat_id, at in sorted(times.items())]
    statement = _insert_for(session)(SendBudgetChat).values(values)
    session.execute(statement.on_conflict_do_update(
        index_elements=["channel", "chat_id"], set_={"next_at": statement.excluded.next_at}
    ))  # fmt: skip


def _insert_for(session: Session) -> Any:
    """The dialect's INSERT, which has ON CONFLICT (SQLite and PostgreSQL spell it the same way)."""
    return sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
