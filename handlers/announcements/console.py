"""The announcements pages of the web console (the `console_pages` hook; see bot/console.py).

/quan-ly/p/thong-bao           list of the viewer's area's announcements, newest first, with delivery counts
/quan-ly/p/thong-bao/moi       compose: text, area, recipients, time → preview with counts per channel → queue
/quan-ly/p/thong-bao/<id>      status per channel and state, reasons; POST …/<id>/huy cancels what is unsent

The same functions as /thongbao and `troly announce` (recipients, preview, enqueue, cancel, load_status), so the
web, the chat and the command line queue and count alike. Nothing is queued before the confirmation step.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.app import Troly
from bot.areas import subtree_ids
from bot.console import (
    ConsoleDenied,
    ConsoleInvalid,
    ConsoleNotFound,
    ConsolePage,
    ConsoleRequest,
    ConsoleResult,
    Page,
    Redirect,
)
from bot.storage.models import Area, Role
from handlers.announcements.compose import MAX_CHARS, MAX_SCHEDULE, MIN_CHARS
from handlers.announcements.models import Announcement, OutboxItem, Target
from handlers.announcements.outbox import cancel, enqueue
from handlers.announcements.recipients import preview, push_channels, recipients
from handlers.announcements.status import REASON_LABELS, STATE_LABELS, STATES, load_status
from handlers.announcements.texts import TARGET_NAMES
from handlers.announcements.timefmt import parse_iso

TEMPLATES = Path(__file__).parent / "templates"
OFFICIALS = frozenset({Role.OFFICIAL, Role.ADMIN})
PAGE_SIZE = 20


def console_pages(troly: Troly) -> list[ConsolePage]:
    return [
        ConsolePage(
            "thong-bao",
            "Thông báo",
            announcements_page,
            roles=OFFICIALS,
            template_dir=TEMPLATES,
            order=20,
            methods=frozenset({"GET", "POST"}),
        )
    ]


def announcements_page(request: ConsoleRequest) -> ConsoleResult:
    parts = request.subpath.split("/") if request.subpath else []
    if not parts:
        return _list(request)
    if parts == ["moi"]:
        return _compose(request) if request.method == "POST" else _form(request, {}, "")
    if parts[0].isdigit() and len(parts[0]) < 10:
        number = int(parts[0])
        if parts[1:] == ["huy"] and request.method == "POST":
            return _cancel(request, number)
        if not parts[1:]:
            return _status(request, number)
    raise ConsoleNotFound()


def _visible(request: ConsoleRequest) -> Any:
    query = select(Announcement)
    if request.viewer.area_ids is not None:
        query = query.where(Announcement.area_id.in_(sorted(request.viewer.area_ids)))
    return query


def _list(request: ConsoleRequest) -> Page:
    session = request.session
    text = request.query.get("trang", "1")
    page = int(text) if text.isdigit() and len(text) < 6 else 1
    found = list(
        session.scalars(
            _visible(request).order_by(Announcement.id.desc()).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
        )
    )
    counts: dict[int, dict[str, int]] = {item.id: dict.fromkeys(STATES, 0) for item in found}
    rows = session.execute(
        select(OutboxItem.announcement_id, OutboxItem.state, func.count())
        .where(OutboxItem.announcement_id.in_(list(counts)))
        .group_by(OutboxItem.announcement_id, OutboxItem.state)
    )
    for number, state, count in rows:
        counts[number][state.value] = count
    items = [
        {"a": item, "area": item.area.name, "counts": counts[item.id], "total": sum(counts[item.id].values())}
        for item in found
    ]
    context = {
        "items": items,
        "page": page,
        "more": len(found) == PAGE_SIZE,
        "labels": STATE_LABELS,
        "targets": TARGET_NAMES,
    }
    return Page("announcements/list.html", context, "Thông báo")


def _areas(request: ConsoleRequest) -> list[Area]:
    """The viewer's area and its direct sub-areas: where an announcement may go from the web."""
    if request.viewer.area_id is None:
        return list(request.session.scalars(select(Area).where(Area.parent_id.is_(None)).order_by(Area.code)))
    root = request.session.get(Area, request.viewer.area_id)
    assert root is not None
    children = request.session.scalars(select(Area).where(Area.parent_id == root.id).order_by(Area.code))
    return [root, *children]


def _form(request: ConsoleRequest, values: dict[str, str], problem: str) -> Page:
    context = {
        "areas": _areas(request),
        "values": values,
        "problem": problem,
        "max_chars": MAX_CHARS,
        "targets": TARGET_NAMES,
    }
    return Page("announcements/compose.html", context, "Soạn thông báo")


def _read(request: ConsoleRequest) -> tuple[str, Area, Target, datetime]:
    form = request.form
    text = form.get("text", "").replace("\r\n", "\n").strip()
    if len(text) < MIN_CHARS:
        raise ValueError(f"Nội dung thông báo cần ít nhất {MIN_CHARS} ký tự.")
    if len(text) > MAX_CHARS:
        raise ValueError(f"Thông báo dài {len(text)} ký tự, vượt quá {MAX_CHARS} ký tự cho phép.")
    area = request.session.scalar(select(Area).where(Area.code == form.get("area", "").strip()[:32]))
    if area is None or not request.viewer.may_see(area.id):
        raise ConsoleDenied("Bạn không có quyền gửi thông báo cho khu vực này.")
    target = Target.TEAM if form.get("target") == Target.TEAM.value else Target.SUBSCRIBERS
    send_at = request.now
    if form.get("send_at", "").strip():
        try:
            send_at = parse_iso(form["send_at"])
        except ValueError:
            raise ValueError("Thời điểm gửi không hợp lệ.") from None
        if send_at <= request.now or send_at - request.now > MAX_SCHEDULE:
            raise ValueError(f"Thời điểm hẹn gửi phải ở sau bây giờ và trong vòng {MAX_SCHEDULE.days} ngày tới.")
    return text, area, target, send_at


def _compose(request: ConsoleRequest) -> ConsoleResult:
    values = {key: request.form.get(key, "") for key in ("text", "area", "target", "send_at")}
    if request.form.get("action") == "edit":
        return _form(request, values, "")
    try:
        text, area, target, send_at = _read(request)
    except ValueError as problem:
        return _form(request, values, str(problem))
    people = recipients(request.session, area.id, target)
    pushable = push_channels(request.troly.plugins)
    if request.form.get("action") != "send":
        counts = preview(people, request.troly.policies, pushable, send_at)
        context = {
            "values": values,
            "area": area,
            "counts": counts,
            "send_at": send_at,
            "text": text,
            "targets": TARGET_NAMES,
        }
        return Page("announcements/preview.html", context, "Xem trước thông báo")
    if not people:
        return _form(request, values, "Chưa có ai trong nhóm này để nhận thông báo.")
    announcement = Announcement(
        text=text, area_id=area.id, target=target, created_by_id=request.viewer.user_id,
        created_by_label=f"web:{request.viewer.user_id}", created_at=request.now, send_at=send_at,
    )  # fmt: skip
    number = enqueue(request.session, announcement, people, pushable)
    details = {"area": area.code, "target": target.value, "recipients": len(people), "send_at": send_at.isoformat()}
    request.audit("announcement.create", f"announcement:{number}", details)
    return Redirect(f"{request.base_url}/{number}", f"Đã xếp thông báo #{number} cho {len(people)} người.")


def _owned(request: ConsoleRequest, number: int) -> Announcement:
    announcement = request.session.get(Announcement, number)
    if announcement is None:
        raise ConsoleNotFound("Không có thông báo này.")
    if not request.viewer.may_see(announcement.area_id):
        raise ConsoleDenied("Thông báo này thuộc khu vực bạn không phụ trách.")
    return announcement


def _status(request: ConsoleRequest, number: int) -> Page:
    _owned(request, number)
    status = load_status(request.session, number)
    assert status is not None
    context = {"s": status, "labels": STATE_LABELS, "reasons": REASON_LABELS, "states": STATES, "targets": TARGET_NAMES}
    return Page("announcements/status.html", context, f"Thông báo #{number}")


def _cancel(request: ConsoleRequest, number: int) -> Redirect:
    _owned(request, number)
    skipped = cancel(request.session, number, request.now)
    request.audit("announcement.cancel", f"announcement:{number}", {"cancelled": skipped})
    return Redirect(f"{request.base_url}/{number}", f"Đã hủy {skipped} tin chưa gửi.")


__all__ = ["ConsoleInvalid", "console_pages", "subtree_ids", "timedelta"]
