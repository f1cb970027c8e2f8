"""/thongbao: an official writes an announcement, picks the recipients, sees a preview, then confirms.

Steps of the "thongbao" dialog: text → target → confirm (optionally → time → confirm). Nothing is queued until
the official confirms; the recipients are counted again at that moment.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.areas import subtree, subtree_ids
from bot.context import Context, Reply
from bot.messages import Choice, Outbound
from bot.storage.models import Area
from bot.textutil import fold
from handlers.announcements import texts
from handlers.announcements.models import Announcement, Target
from handlers.announcements.outbox import enqueue_for
from handlers.announcements.reach import QuietArea, describe, hand_to_teams, quiet_areas
from handlers.announcements.recipients import Preview, count_recipients, push_channels, who
from handlers.announcements.timefmt import local_text, parse_chat_time

DIALOG = "thongbao"
MAX_CHARS = 2000  # fits every channel in one message (Zalo: 2000, Telegram: 4096)
MIN_CHARS = 10
MAX_SCHEDULE = timedelta(days=60)
TEAM_VALUE = "to"
SEND_WORDS = {"gui", "gui ngay", "xac nhan", "dong y", "ok", "co"}
INFORM_WORDS = {"gui va nho to", "nho to", "gui va nho to bao tan noi"}
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
        area = ctx.session.scalar(select(Area).where(Area.code == answer, Area.id.in_(subtree(root.id))))
        if area is None:
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
    if answer in INFORM_WORDS and data.get("quiet"):
        data["inform"] = True
        return _queue(ctx, data)
    if answer not in SEND_WORDS:
        return _confirmation_prompt(data, texts.CONFIRM_NOT_UNDERSTOOD)
    return _queue(ctx, data)


def _show_preview(ctx: Context, data: dict[str, Any]) -> Reply:
    counts = _count(ctx, data)
    if counts.total == 0:
        ctx.update_dialog("target", data)
        return _ask_target(ctx, texts.NOBODY + "\n\n")
    quiet = _quiet(ctx, data)
    data["quiet"] = bool(quiet)
    ctx.update_dialog("confirm", data)
    area = ctx.session.get(Area, data["area_id"])
    assert area is not None
    summary = texts.preview_summary(area.name, data["target"], counts, _when(data), describe(quiet) if quiet else "")
    return [Outbound(texts.PREVIEW_HEADER), Outbound(data["text"]), _confirmation_prompt(data, summary)]


def _confirmation_prompt(data: dict[str, Any], lead: str) -> Outbound:
    first = Choice("Xác nhận gửi" if data.get("send_at") else "Gửi ngay", "gui")
    inform = (Choice(texts.INFORM_LABEL, "gui va nho to"),) if data.get("quiet") else ()
    return Outbound(lead, choices=(first, *inform, Choice("Hẹn giờ gửi", "hen gio"), Choice("Hủy", "huy")))


def _quiet(ctx: Context, data: dict[str, Any]) -> list[QuietArea]:
    """Where residents the channels will not reach live (subscribers only: team members are told in chat)."""
    if data["target"] != Target.SUBSCRIBERS.value:
        return []
    policies, pushable = ctx.troly.policies, push_channels(ctx.troly.plugins)
    return quiet_areas(ctx.session, data["area_id"], policies, pushable, _send_at(ctx, data))


def _count(ctx: Context, data: dict[str, Any]) -> Preview:
    pushable = push_channels(ctx.troly.plugins)
    target, send_at = Target(data["target"]), _send_at(ctx, data)
    return count_recipients(ctx.session, data["area_id"], target, ctx.troly.policies, pushable, send_at)


def _queue(ctx: Context, data: dict[str, Any]) -> Reply:
    if ctx.user.area_id is None or data["area_id"] not in subtree_ids(ctx.session, ctx.user.area_id):
        ctx.end_dialog()  # the official was moved to another area since choosing the recipients
        return texts.AREA_CHANGED
    target, send_at = Target(data["target"]), _send_at(ctx, data)
    announcement = Announcement(
        text=data["text"],
        area_id=data["area_id"],
        target=target,
        created_by_id=ctx.user.id,
        created_by_label=f"{ctx.user.channel}:{ctx.user.id}",
        created_at=ctx.now,
        send_at=send_at,
    )
    count = enqueue_for(ctx.session, announcement, who(data["area_id"], target), push_channels(ctx.troly.plugins))
    details = {"area_id": data["area_id"], "target": target.value, "recipients": count}
    details["send_at"] = send_at.isoformat()
    ctx.audit("announcement.create", target=f"announcement:{announcement.id}", details=details)
    ctx.end_dialog()
    queued = texts.QUEUED.format(id=announcement.id, count=count, when=_when(data))
    if not data.get("inform"):
        return queued
    number = announcement.id
    quiet = _quiet(ctx, data)
    asked, uncovered = hand_to_teams(ctx, number, data["text"], quiet)
    areas = {"areas": [area.name for area in quiet], "asked": asked, "without_team": [a.name for a in uncovered]}
    ctx.audit("announcement.inform_in_person", target=f"announcement:{number}", details=areas)
    lines = [queued]
    if asked:
        lines.append(texts.HANDED_TO_TEAMS.format(asked=asked, areas=len(quiet) - len(uncovered)))
    if uncovered:
        lines.append(texts.NO_TEAM_TO_ASK.format(areas=", ".join(area.name for area in uncovered)))
    return "\n".join(lines)


def _send_at(ctx: Context, data: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(data["send_at"]) if data.get("send_at") else ctx.now


def _when(data: dict[str, Any]) -> str:
    return f"lúc {local_text(datetime.fromisoformat(data['send_at']))}" if data.get("send_at") else "ngay"
