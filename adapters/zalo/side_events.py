"""Signed Zalo events that are not a user talking to the bot: delivery receipts and the OA's own messages.

- `user_received_message` / `user_seen_message`: Zalo reports that a message the OA sent reached the user's
  phone, or was read (`message.msg_id`; `message.msg_ids` for seen). Kept in `zalo_receipts` by the message
  id the send API returned, so announcements can show delivered and seen counts (bot.extensions
  DELIVERY_STATES).
- `oa_send_*`: Zalo echoes every message the OA sends, troly's own included. One troly did not send (its id
  is not among the sender's recent ids) was written by an OA admin from Zalo's console: it is recorded in
  `zalo_admin_replies`, and the bot holds back its replies to that user's free text for
  `TROLY_ZALO_ADMIN_QUIET_MINUTES`, so it does not talk over a person.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from adapters.zalo.models import ZaloAdminReply, ZaloReceipt
from adapters.zalo.window import parse_milliseconds
from bot.storage.db import Database

log = logging.getLogger(__name__)

RECEIPT_EVENTS = frozenset({"user_received_message", "user_seen_message"})
OA_SEND_PREFIX = "oa_send_"
MAX_IDS = 200
RECEIPTS_KEPT = timedelta(days=30)


def is_side_event(name: str) -> bool:
    return name in RECEIPT_EVENTS or (name.startswith(OA_SEND_PREFIX) and "anonymous" not in name)


def record_side_event(
    database: Database,
    payload: Mapping[str, Any],
    now: datetime,
    sent_by_us: Callable[[str], bool],
    admins: RecentAdminReplies | None = None,
) -> str:
    """Store what the event says; returns a short description for the log ("" when it says nothing usable)."""
    name = str(payload.get("event_name"))
    user_id = _recipient(payload)
    message = payload.get("message")
    if user_id is None or not isinstance(message, Mapping):
        return ""
    with database.transaction() as session:
        if name == "user_received_message":
            when = parse_milliseconds(message.get("delivery_time")) or now
            return _receipts(session, _ids([message.get("msg_id")]), user_id, now, delivered=when)
        if name == "user_seen_message":
            return _receipts(session, _ids(message.get("msg_ids") or [message.get("msg_id")]), user_id, now, seen=now)
        message_id = _ids([message.get("msg_id")])
        if not message_id or sent_by_us(message_id[0]):
            return ""
        row = session.get(ZaloAdminReply, user_id)
        if row is None:
            session.add(ZaloAdminReply(user_id=user_id, at=now))
        else:
            row.at = now
    if admins is not None:
        admins.noted(user_id, now)
    return f"an OA admin wrote to the user ({name})"


class RecentAdminReplies:
    """Which users an OA admin wrote to within the quiet period, checked for every reply without a query.

    The table is read again at most every `refresh_seconds` (admin replies seen by another server process show
    up within that time); replies this process records are known at once.
    """

    def __init__(self, database: Database, quiet: timedelta, refresh_seconds: float = 30.0) -> None:
        self.database = database
        self.quiet = quiet
        self.refresh_seconds = refresh_seconds
        self._recent: dict[str, datetime] = {}
        self._next_read = 0.0

    def noted(self, user_id: str, at: datetime) -> None:
        self._recent[user_id] = at

    async def spoke_recently(self, user_id: str, now: datetime) -> bool:
        if time.monotonic() >= self._next_read:
            self._next_read = time.monotonic() + self.refresh_seconds
            self._recent = await asyncio.to_thread(self._read, now - self.quiet)
        at = self._recent.get(user_id)
        return at is not None and at >= now - self.quiet

    def _read(self, since: datetime) -> dict[str, datetime]:
        with self.database.sessions() as session:
            rows = session.execute(select(ZaloAdminReply.user_id, ZaloAdminReply.at).where(ZaloAdminReply.at >= since))
            return {user_id: at for user_id, at in rows}


def delivery_states(session: Session, channel: str, message_ids: list[str]) -> dict[str, str]:
    """For bot.extensions.DELIVERY_STATES: "seen" or "delivered" for the Zalo message ids Zalo reported on."""
    if channel != "zalo" or not message_ids:
        return {}
    states: dict[str, str] = {}
    for start in range(0, len(message_ids), 500):
        rows = session.execute(
            select(ZaloReceipt.message_id, ZaloReceipt.delivered_at, ZaloReceipt.seen_at).where(
                ZaloReceipt.message_id.in_(message_ids[start : start + 500])
            )
        )
        for message_id, delivered_at, seen_at in rows:
            if seen_at is not None:
                states[message_id] = "seen"
            elif delivered_at is not None:
                states[message_id] = "delivered"
    return states


def prune(session: Session, now: datetime) -> int:
    """Receipts older than RECEIPTS_KEPT (announcement reports are read within days), admin replies older
    than a day (they only matter for the quiet period)."""
    removed = session.execute(delete(ZaloReceipt).where(ZaloReceipt.updated_at < now - RECEIPTS_KEPT))
    stale = session.execute(delete(ZaloAdminReply).where(ZaloAdminReply.at < now - timedelta(days=1)))
    return int(getattr(removed, "rowcount", 0) or 0) + int(getattr(stale, "rowcount", 0) or 0)


def _receipts(
    session: Session,
    message_ids: list[str],
    user_id: str,
    now: datetime,
    *,
    delivered: datetime | None = None,
    seen: datetime | None = None,
) -> str:
    for message_id in message_ids:
        row = session.get(ZaloReceipt, message_id)
        if row is None:
            row = ZaloReceipt(message_id=message_id, user_id=user_id, updated_at=now)
            session.add(row)
        row.delivered_at = row.delivered_at or delivered or seen
        row.seen_at = row.seen_at or seen
        row.updated_at = now
    return f"{len(message_ids)} receipt(s)" if message_ids else ""


def _recipient(payload: Mapping[str, Any]) -> str | None:
    """The user of an OA → user event (Zalo swaps sender and recipient for those)."""
    recipient = payload.get("recipient")
    value = recipient.get("id") if isinstance(recipient, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return text if text and len(text) <= 64 else None


def _ids(values: Iterable[Any]) -> list[str]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        return []
    found = []
    for value in list(values)[:MAX_IDS]:
        if isinstance(value, str | int) and not isinstance(value, bool) and 0 < len(str(value).strip()) <= 64:
            found.append(str(value).strip())
    return found
