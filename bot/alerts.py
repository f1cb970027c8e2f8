"""Operational alerts: tell the operators (`TROLY_ADMIN_CHATS`) in time, and keep a trace in the audit log.

Anything that silently stops the bot from serving people is raised here: the Zalo token cannot be refreshed,
the Zalo webhook has gone quiet or refuses signatures, sends are failing in bulk, a core worker process died.
An alert is written to the audit log (action `alert.<key>`, so `troly zalo status` and an SQL query find it)
and queued in the core's push outbox (bot/outbox.py) for every configured operator chat, in one transaction;
`troly serve`'s delivery loop sends it. Each key is rate-limited: after one alert the same key stays quiet for
`TROLY_ALERT_REPEAT_MINUTES` (the audit log still counts every occurrence in the alert's details), and the
push carries a dedupe key per period, so two processes raising the same alert at once send it once.

`TROLY_ADMIN_CHATS` lists `channel:id` pairs, e.g. `telegram:123456789,zalo:8421...` (the id is what `/toi`
shows). A Zalo operator only gets alerts while inside Zalo's 7-day window: Telegram is the safer choice.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import outbox
from bot.clock import Clock
from bot.messages import Outbound
from bot.services import ServiceKey
from bot.settings import ADMIN_CHAT
from bot.storage.db import Database
from bot.storage.models import AuditLog

if TYPE_CHECKING:
    from bot.app import Troly

log = logging.getLogger(__name__)

ACTION_PREFIX = "alert."
HEADER = "⚠️ Cảnh báo vận hành troly"


@dataclass(frozen=True, slots=True)
class AdminChat:
    channel: str
    chat_id: str


def parse_admin_chats(values: tuple[str, ...]) -> tuple[AdminChat, ...]:
    """The operator chats of the settings (already validated there)."""
    chats = []
    for value in values:
        found = ADMIN_CHAT.fullmatch(value.strip())
        if found is not None:
            chats.append(AdminChat(found.group(1), found.group(2)))
    return tuple(chats)


class Alerts:
    """Raises alerts for one installation; safe to call from any thread (each call is one transaction)."""

    def __init__(self, database: Database, chats: tuple[AdminChat, ...], repeat: timedelta, clock: Clock) -> None:
        self.database = database
        self.chats = chats
        self.repeat = repeat
        self.clock = clock

    def raise_alert(self, key: str, text: str, details: dict[str, Any] | None = None) -> bool:
        """Record and send the alert unless the same key was sent within the repeat period; True when sent."""
        try:
            with self.database.transaction() as session:
                return self.raise_in(session, key, text, details)
        except Exception:  # the database is away: the log line is all that can be done now
            log.exception("ALERT %s could not be recorded: %s", key, text)
            return False

    def raise_in(
        self, session: Session, key: str, text: str, details: dict[str, Any] | None = None, now: datetime | None = None
    ) -> bool:
        """The same, in the caller's transaction."""
        now = now or self.clock.now()
        action = ACTION_PREFIX + key[:58]
        latest = session.scalar(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.at.desc()).limit(1))
        if latest is not None and now - latest.at < self.repeat:
            latest.details = {**latest.details, "repeats": int(latest.details.get("repeats", 0)) + 1}
            log.info("alert %s repeated (sent at %s, quiet for %s)", key, latest.at.isoformat(), self.repeat)
            return False
        session.add(
            AuditLog(
                at=now, actor_label="system", action=action, target=key[:200], details={"text": text, **(details or {})}
            )
        )
        period = int(now.timestamp() // max(1, int(self.repeat.total_seconds())))
        message = Outbound(f"{HEADER}\n{text}", meta={"kind": "alert", "key": key})
        for chat in self.chats:
            dedupe = f"alert:{key}:{period}:{chat.channel}:{chat.chat_id}"
            outbox.push(session, channel=chat.channel, chat_id=chat.chat_id, message=message, now=now, key=dedupe)
        log.warning("ALERT %s: %s (to %d operator chat(s))", key, text, len(self.chats))
        return True


def recent_alerts(session: Session, since: datetime, limit: int = 10) -> list[AuditLog]:
    """The alerts raised since `since`, newest first (for status commands)."""
    return list(
        session.scalars(
            select(AuditLog)
            .where(AuditLog.action.startswith(ACTION_PREFIX), AuditLog.at >= since)
            .order_by(AuditLog.at.desc())
            .limit(limit)
        )
    )


# The installation's alerts, made on first use from the settings.
ALERTS: ServiceKey[Alerts] = ServiceKey("core.alerts")


def alerts(troly: Troly) -> Alerts:
    if ALERTS not in troly:
        settings = troly.settings
        repeat = timedelta(minutes=settings.alert_repeat_minutes)
        chats = parse_admin_chats(settings.admin_chats)
        troly.provide(ALERTS, lambda: Alerts(troly.database, chats, repeat, troly.clock))
    return troly[ALERTS]


class FailureSpike:
    """Counts failed sends per channel over a sliding window; `threshold` of them raise one alert (then the
    count starts again). Delivery loops call `failed` from their event loop; the alert is written in a thread."""

    def __init__(self, alerts: Alerts, *, threshold: int = 20, window: timedelta = timedelta(minutes=10)) -> None:
        self.alerts = alerts
        self.threshold = threshold
        self.window = window
        self._failures: dict[str, deque[datetime]] = {}
        self._tasks: set[asyncio.Future[bool]] = set()

    def failed(self, channel: str, detail: str, now: datetime, what: str = "tin nhắn") -> None:
        failures = self._failures.setdefault(channel, deque())
        failures.append(now)
        while failures and now - failures[0] > self.window:
            failures.popleft()
        if len(failures) < self.threshold:
            return
        count = len(failures)
        failures.clear()
        minutes = int(self.window.total_seconds() // 60)
        text = (
            f"{count} {what} gửi qua {channel} bị lỗi trong {minutes} phút qua (lỗi gần nhất: {detail[:160]}). "
            "Kiểm tra kết nối tới kênh, mã truy cập và nhật ký của troly serve."
        )
        task = asyncio.ensure_future(
            asyncio.to_thread(self.alerts.raise_alert, f"delivery.{channel}", text, {"count": count})
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
