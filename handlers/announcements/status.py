"""What happened to an announcement: counts per channel and state, reasons, and uncertain sends."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.storage.models import User
from bot.vocabulary import role_label
from handlers.announcements.models import Announcement, OutboxItem, OutboxState
from handlers.announcements.timefmt import local_text

STATES = [state.value for state in OutboxState]
STATE_LABELS = {
    "queued": "đang chờ gửi",
    "sending": "đang gửi",
    "sent": "đã gửi",
    "failed": "gửi lỗi",
    "skipped": "bỏ qua",
}
REASON_LABELS = {
    "blocked": "đã chặn trợ lý",
    "unsubscribed": "đã hủy đăng ký",
    "outside_window": "quá 7 ngày chưa nhắn tin nên kênh không cho gửi",
    "no_push_channel": "kênh không hỗ trợ gửi thông báo",
    "cancelled": "đã hủy trước khi gửi",
}


@dataclass
class Status:
    id: int
    area_code: str
    area_name: str
    target: str
    created_by: str
    created_by_name: str
    created_at: datetime
    send_at: datetime
    text: str
    channels: dict[str, dict[str, int]] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)  # skipped/failed reasons
    uncertain: int = 0
    receipts: dict[str, dict[str, int]] = field(default_factory=dict)  # channel → {"delivered": n, "seen": n}

    @property
    def total(self) -> int:
        return sum(sum(states.values()) for states in self.channels.values())

    def count(self, state: str) -> int:
        return sum(states.get(state, 0) for states in self.channels.values())

    @property
    def done(self) -> bool:
        return self.count("queued") + self.count("sending") == 0

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "area": self.area_code,
            "target": self.target,
            "created_by": self.created_by,
            "created_by_name": self.created_by_name,
            "created_at": self.created_at.isoformat(),
            "send_at": self.send_at.isoformat(),
            "total": self.total,
            "done": self.done,
            "states": {state: self.count(state) for state in STATES},
            "channels": self.channels,
            "reasons": self.reasons,
            "uncertain": self.uncertain,
            "receipts": self.receipts,
        }


def load_status(
    session: Session,
    announcement_id: int,
    providers: Sequence[Callable[[Session, str, list[str]], dict[str, str]]] = (),
) -> Status | None:
    """What happened to the announcement; `providers` (bot.extensions.DELIVERY_STATES) add what the channels
    reported after delivery (Zalo: delivered, seen)."""
    announcement = session.get(Announcement, announcement_id)
    if announcement is None:
        return None
    status = Status(
        id=announcement.id,
        area_code=announcement.area.code,
        area_name=announcement.area.name,
        target=announcement.target.value,
        created_by=announcement.created_by_label,
        created_by_name=creator_name(session, announcement),
        created_at=announcement.created_at,
        send_at=announcement.send_at,
        text=announcement.text,
    )
    where = OutboxItem.announcement_id == announcement_id
    counts = session.execute(
        select(OutboxItem.channel, OutboxItem.state, func.count())
        .where(where)
        .group_by(OutboxItem.channel, OutboxItem.state)
    )
    for channel, state, number in counts:
        status.channels.setdefault(channel, {name: 0 for name in STATES})[state.value] = number
    reasons: Counter[str] = Counter()
    finished = session.execute(
        select(OutboxItem.reason, func.count())
        .where(where, OutboxItem.state.in_([OutboxState.SKIPPED, OutboxState.FAILED]))
        .group_by(OutboxItem.reason)
    )
    for reason, number in finished:
        reasons[reason or "unknown"] += number
    status.reasons = dict(reasons)
    status.uncertain = int(session.scalar(select(func.count()).where(where, OutboxItem.uncertain.is_(True))) or 0)
    status.receipts = receipts(session, announcement_id, providers)
    return status


def receipts(
    session: Session, announcement_id: int, providers: Sequence[Callable[[Session, str, list[str]], dict[str, str]]]
) -> dict[str, dict[str, int]]:
    """Per channel, how many sent messages the channel reported delivered (or better) and seen."""
    if not providers:
        return {}
    sent = session.execute(
        select(OutboxItem.channel, OutboxItem.channel_message_id).where(
            OutboxItem.announcement_id == announcement_id,
            OutboxItem.state == OutboxState.SENT,
            OutboxItem.channel_message_id != "",
        )
    )
    by_channel: dict[str, list[str]] = {}
    for channel, message_id in sent:
        by_channel.setdefault(channel, []).append(message_id)
    found: dict[str, dict[str, int]] = {}
    for channel, ids in by_channel.items():
        states: dict[str, str] = {}
        for provider in providers:
            states.update(provider(session, channel, ids))
        if states:
            seen = sum(1 for state in states.values() if state == "seen")
            found[channel] = {"delivered": len(states), "seen": seen}
    return found


def creator_name(session: Session, announcement: Announcement) -> str:
    """Who wrote it, as a reader says it: the official's name (or role and channel), or the command line."""
    user = session.get(User, announcement.created_by_id) if announcement.created_by_id else None
    if user is not None:
        return user.display_name or f"{role_label(user.role)} (trên {user.channel}, chưa có tên)"
    if announcement.created_by_label == "cli":
        return "quản trị viên (dòng lệnh)"
    return announcement.created_by_label or "không rõ"


def render(status: Status) -> str:
    """A plain Vietnamese report, for the CLI and for the official in chat."""
    lines = [
        f"Thông báo #{status.id} gửi {status.area_name} ({status.area_code}), "
        f"{'thành viên Tổ công nghệ số' if status.target == 'team' else 'người đăng ký'}, "
        f"do {status.created_by_name} tạo, gửi từ {local_text(status.send_at)}.",
        f"Tổng số người nhận: {status.total}. " + ("Đã xử lý xong." if status.done else "Đang xử lý."),
    ]
    for channel, states in sorted(status.channels.items()):
        parts = [f"{STATE_LABELS[state]} {number}" for state, number in states.items() if number]
        receipt = status.receipts.get(channel)
        if receipt:
            parts.append(f"trong đó {receipt['delivered']} đã nhận trên điện thoại, {receipt['seen']} đã xem")
        lines.append(f"• {channel}: " + ", ".join(parts))
    for reason, number in sorted(status.reasons.items()):
        lines.append(f"  – {REASON_LABELS.get(reason, reason)}: {number}")
    if status.uncertain:
        lines.append(
            f"Có {status.uncertain} lần gửi không chắc chắn (tiến trình gửi bị dừng đúng lúc đang gửi); "
            "những người này đã được gửi lại và có thể nhận tin hai lần."
        )
    return "\n".join(lines)
