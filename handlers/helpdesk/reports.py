"""The help desk's figures: received, taken, closed, median time to take and to close, share escalated, ratings
per team and per member, open requests by age. Shared by /baocao (scoped to the reader) and the CLI."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from bot.context import Context
from bot.storage.models import Role
from handlers.helpdesk import places, store
from handlers.helpdesk.models import HelpRequest, Status

AGES = (("dưới 1 ngày", 1), ("1–3 ngày", 3), ("trên 3 ngày", None))


@dataclass(frozen=True, slots=True)
class Scope:
    title: str
    area_ids: list[int] | None = None  # None: everywhere
    assignee_id: int | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.area_ids is not None:
            found.append(HelpRequest.area_id.in_(self.area_ids))
        if self.assignee_id is not None:
            found.append(HelpRequest.assignee_id == self.assignee_id)
        return found


def scope_for(ctx: Context) -> Scope | None:
    """Members their own requests, leaders their team's area, officials their area, admins everything."""
    user = ctx.user
    if user.role is Role.MEMBER:
        return Scope("bạn đã nhận", assignee_id=user.id)
    if user.role in (Role.LEADER, Role.OFFICIAL, Role.ADMIN):
        area_ids = places.scope_area_ids(ctx.session, user)
        title = user.team.name if user.role is Role.LEADER and user.team else "khu vực của bạn"
        return Scope(title if area_ids is not None else "toàn hệ thống", area_ids=area_ids)
    return None


def load(
    session: Session, scope: Scope, start: datetime | None = None, end: datetime | None = None
) -> list[HelpRequest]:
    query = select(HelpRequest).where(*scope.conditions())
    if start is not None:
        query = query.where(HelpRequest.created_at >= start)
    if end is not None:
        query = query.where(HelpRequest.created_at < end)
    options = (selectinload(HelpRequest.assignee), selectinload(HelpRequest.team), selectinload(HelpRequest.area))
    return list(session.scalars(query.options(*options).order_by(HelpRequest.created_at, HelpRequest.id)))


def minutes(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds() / 60, 1) if start is not None and end is not None else None


def summarise(requests: list[HelpRequest], now: datetime) -> dict[str, Any]:
    taken = [m for r in requests if (m := minutes(r.created_at, r.first_taken_at)) is not None]
    closed = [r for r in requests if r.status == Status.CLOSED.value]
    to_close = [m for r in closed if (m := minutes(r.created_at, r.closed_at)) is not None]
    return {
        "received": len(requests),
        "taken": sum(1 for r in requests if r.first_taken_at is not None),
        "closed": len(closed),
        "median_minutes_to_take": round(median(taken), 1) if taken else None,
        "median_minutes_to_close": round(median(to_close), 1) if to_close else None,
        "share_escalated": round(sum(1 for r in requests if r.escalation) / len(requests), 3) if requests else 0.0,
        "ratings_by_team": _ratings(requests, lambda r: r.team.name if r.team else "(chưa có tổ)"),
        "ratings_by_member": _ratings(requests, lambda r: store.helper_name(r.assignee) if r.assignee else "-"),
        "open_by_age": _ages([r for r in requests if r.status in store.ACTIVE], now),
    }


def _ratings(requests: list[HelpRequest], key: Any) -> dict[str, dict[str, float]]:
    scores: dict[str, list[int]] = defaultdict(list)
    for request in requests:
        if request.rating is not None:
            scores[key(request)].append(request.rating)
    return {name: {"count": len(v), "average": round(sum(v) / len(v), 2)} for name, v in sorted(scores.items())}


def _ages(requests: list[HelpRequest], now: datetime) -> dict[str, int]:
    counts = dict.fromkeys((label for label, _ in AGES), 0)
    for request in requests:
        days = (now - request.created_at).total_seconds() / 86400
        label = next(label for label, limit in AGES if limit is None or days < limit)
        counts[label] += 1
    return counts


def report_lines(ctx: Context) -> list[str]:
    """REPORT_SECTIONS: the help desk's part of /baocao for this reader."""
    scope = scope_for(ctx)
    if scope is None:
        return []
    figures = summarise(load(ctx.session, scope), ctx.now)
    if not figures["received"]:
        return [f"Yêu cầu hỗ trợ ({scope.title}): chưa có."]
    take, done = figures["median_minutes_to_take"], figures["median_minutes_to_close"]
    ages = ", ".join(f"{label} {n}" for label, n in figures["open_by_age"].items())
    ratings = [v for v in figures["ratings_by_team"].values()]
    rated = sum(v["count"] for v in ratings)
    average = sum(v["average"] * v["count"] for v in ratings) / rated if rated else None
    return [
        f"Yêu cầu hỗ trợ ({scope.title}):",
        f"• Nhận {figures['received']}, đã có người nhận {figures['taken']}, đã xong {figures['closed']}",
        f"• Thời gian chờ nhận (trung vị): {_duration(take)}; đến khi xong: {_duration(done)}",
        f"• Phải chuyển lên cấp trên: {round(figures['share_escalated'] * 100)}%",
        f"• Đánh giá: {f'{average:.1f}/5 ({rated} lượt)' if average is not None else 'chưa có'}",
        f"• Đang mở theo tuổi: {ages}",
    ]


def _duration(value: float | None) -> str:
    if value is None:
        return "chưa có"
    return f"{value:.0f} phút" if value < 120 else f"{value / 60:.1f} giờ"


def chat_report(ctx: Context) -> str:
    """/baocao when the visits feature is not installed: the help desk's figures alone."""
    lines = report_lines(ctx)
    return "\n".join(lines) if lines else "Tài khoản của bạn chưa được gán tổ hay khu vực nên chưa có báo cáo."
