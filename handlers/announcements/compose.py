"""/thongbao: an official writes an announcement, picks the recipients, sees a preview, then confirms.

Steps of the "thongbao" dialog: text → target → confirm (optionally → time → confirm). Nothing is queued until
the official confirms; the recipients are counted again at that moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.areas import subtree_ids
from bot.context import Context, Reply
from bot.messages import Choice, Outbound
from bot.storage.models import Area
from bot.textutil import fold
from handlers.announcements import texts
from handlers.announcements.models import Announcement, Target
from handlers.announcements.outbox import enqueue
from handlers.announcements.recipients import Preview, preview, push_channels, recipients
from handlers.announcements.timefmt import local_text, parse_chat_time

DIALOG = "thongbao"
MAX_CHARS = 2000  # fits every channel in one message (Zalo: 2000, Telegram: 4096)
MIN_CHARS = 10
MAX_SCHEDULE = timedelta(days=60)
TEAM_VALUE = "to"
SEND_WORDS = {"gui", "gui ngay", "xac nhan", "dong y", "ok", "co"}
SCHEDULE_WORDS = {"hen gio", "hen gio gui", "doi gio"}


def start(ctx: Context) -> Reply:
    """`/thongbao` (optionally with the text right after it) starts the dialog."""
    if ctx.user.area_id is None:
        return texts.NO_AREA
    ctx.start_dialog(DIALOG, "text", {})
    if ctx.args:
        return _take_text(ctx, ctx.args)
    return texts.ASK_TEXT.format(limit=MAX_CHARS)


def step(ctx: Context) -> Reply:
    dialog = ctx.dialog
    assert dialog is not None
    data = dict(dialog.data)
    if dialog.step == "text":
        return _take_text(ctx, ctx.text)
    if dialog.step == "target":
        return _take_target(ctx, data)
    if dialog.step == "time":
        return _take_time(ctx, data)
    return _take_confirmation(ctx, data)


def _take_text(ctx: Context, text: str) -> Reply:
    text = text.strip()
    if len(text) < MIN_CHARS:
        return texts.TEXT_TOO_SHORT
    if len(text) > MAX_CHARS:
        return texts.TEXT_TOO_LONG.format(length=len(text), limit=MAX_CHARS)
    ctx.update_dialog("target", {"text": text})
    return _ask_target(ctx)


def _ask_target(ctx: Context, prefix: str = "") -> Outbound:
    area = ctx.user.area
    assert area is not None
    children = ctx.session.scalars(select(Area).where(Area.parent_id == area.id).order_by(Area.code)).all()
    choices = [Choice(texts.TARGET_AREA.format(area=area.name), area.code)]
    choices += [Choice(texts.TARGET_AREA.format(area=child.name), child.code) for child in children[:6]]
    choices.append(Choice(texts.TARGET_TEAM, TEAM_VALUE))
    return Outbound(prefix + texts.ASK_TARGET, choices=tuple(choices))


def _take_target(ctx: Context, data: dict[str, Any]) -> Reply:
    root = ctx.user.area
    assert root is not None
    answer = ctx.text.strip()
    if fold(answer) in {TEAM_VALUE, "to cong nghe so", "thanh vien"}:
        data.update(area_id=root.id, target=Target.TEAM.value)
    else:
        area = ctx.session.scalar(select(Area).where(Area.code == answer))
        if area is None or area.id not in subtree_ids(ctx.session, root.id):
            return _ask_target(ctx, texts.TARGET_UNKNOWN)
        data.update(area_id=area.id, target=Target.SUBSCRIBERS.value)
    return _show_preview(ctx, data)


def _take_time(ctx: Context, data: dict[str, Any]) -> Reply:
    moment = parse_chat_time(ctx.text, ctx.now)
    if moment is None:
        return texts.TIME_NOT_UNDERSTOOD
    if moment <= ctx.now or moment - ctx.now > MAX_SCHEDULE:
        return texts.TIME_OUT_OF_RANGE.format(days=MAX_SCHEDULE.days)
    data["send_at"] = moment.isoformat()
    return _show_preview(ctx, data)


def _take_confirmation(ctx: Context, data: dict[str, Any]) -> Reply:
    answer = fold(ctx.text)
    if answer in SCHEDULE_WORDS:
        ctx.update_dialog("time", data)
        return texts.ASK_TIME
    if answer not in SEND_WORDS:
        return _confirmation_prompt(data, texts.CONFIRM_NOT_UNDERSTOOD)
    return _queue(ctx, data)


def _show_preview(ctx: Context, data: dict[str, Any]) -> Reply:
    counts = _count(ctx, data)
    if counts.total == 0:
        ctx.update_dialog("target", data)
        return _ask_target(ctx, texts.NOBODY + "\n\n")
    ctx.update_dialog("confirm", data)
    area = ctx.session.get(Area, data["area_id"])
    assert area is not None
    summary = texts.preview_summary(area.name, data["target"], counts, _when(data))
    return [Outbound(texts.PREVIEW_HEADER), Outbound(data["text"]), _confirmation_prompt(data, summary)]


def _confirmation_prompt(data: dict[str, Any], lead: str) -> Outbound:
    first = Choice("Xác nhận gửi" if data.get("send_at") else "Gửi ngay", "gui")
    return Outbound(lead, choices=(first, Choice("Hẹn giờ gửi", "hen gio"), Choice("Hủy", "huy")))


def _count(ctx: Context, data: dict[str, Any]) -> Preview:
    people = recipients(ctx.session, data["area_id"], Target(data["target"]))
    return preview(people, ctx.troly.policies, push_channels(ctx.troly.plugins), _send_at(ctx, data))


def _queue(ctx: Context, data: dict[str, Any]) -> Reply:
    if ctx.user.area_id is None or data["area_id"] not in subtree_ids(ctx.session, ctx.user.area_id):
        ctx.end_dialog()  # the official was moved to another area since choosing the recipients
        return texts.AREA_CHANGED
    target, send_at = Target(data["target"]), _send_at(ctx, data)
    people = recipients(ctx.session, data["area_id"], target)
    announcement = Announcement(
        text=data["text"],
        area_id=data["area_id"],
        target=target,
        created_by_id=ctx.user.id,
        created_by_label=f"{ctx.user.channel}:{ctx.user.id}",
        created_at=ctx.now,
        send_at=send_at,
    )
    number = enqueue(ctx.session, announcement, people, push_channels(ctx.troly.plugins))
    details = {"area_id": data["area_id"], "target": target.value, "recipients": len(people)}
    details["send_at"] = send_at.isoformat()
    ctx.audit("announcement.create", target=f"announcement:{number}", details=details)
    ctx.end_dialog()
    return texts.QUEUED.format(id=number, count=len(people), when=_when(data))


def _send_at(ctx: Context, data: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(data["send_at"]) if data.get("send_at") else ctx.now


def _when(data: dict[str, Any]) -> str:
    return f"lúc {local_text(datetime.fromisoformat(data['send_at']))}" if data.get("send_at") else "ngay"
