"""Home visits: the member proposes a time (/hen 12 9h sáng thứ Bảy), the citizen agrees or asks for another;
both are reminded an hour before (a scheduled job, so a changed or closed appointment sends nothing)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select

from bot.context import Context, Reply
from bot.messages import Choice, Outbound
from bot.privacy import mask_personal
from handlers.helpdesk import store, texts
from handlers.helpdesk.models import HelpRequest, Status
from handlers.helpdesk.store import Notifier
from handlers.helpdesk.timing import parse_visit_time, zone

if TYPE_CHECKING:
    from bot.app import Troly

RESCHEDULE_DIALOG = "nhotro_hendoi"
REMIND_BEFORE = timedelta(hours=1)
USAGE = "Bạn gửi kèm số yêu cầu và thời gian, ví dụ: /hen 12 9h sáng thứ Bảy, hoặc /hen 12 14h30 5/12."


def propose(ctx: Context) -> Reply:
    number = store.number_of(ctx.args)
    request = store.get(ctx.session, number)
    if request is None or request.assignee_id != ctx.user.id or request.status != Status.TAKEN.value:
        return USAGE if number is None else f"Bạn chỉ hẹn được yêu cầu mình đang nhận (số {number} thì không)."
    local = zone(ctx.troly.settings)
    moment = parse_visit_time(store.rest_after_number(ctx.args), ctx.now, local)
    if moment is None:
        return "Mình chưa đọc được thời gian (cần giờ, và ngày nếu không phải hôm nay). " + USAGE
    request.appointment_at, request.appointment_state, request.reminded_at = moment, "proposed", None
    store.record(ctx.session, request, "appointment_proposed", ctx.now, ctx.user, at=moment.isoformat())
    notifier = Notifier.of(ctx)
    text = (
        f"🏠 {store.helper_name(ctx.user)} đề nghị đến nhà hỗ trợ bạn lúc {texts.when(moment, local)} "
        f"(yêu cầu số {request.id}). Bạn đồng ý không?"
    )
    choices = (Choice("✅ Đồng ý", f"/hendongy {request.id}"), Choice("🕑 Hẹn giờ khác", f"/hendoi {request.id}"))
    notifier.push(request.citizen, Outbound(text, choices), f"hd:{request.id}:appt:{moment.isoformat()}")
    warning = "" if notifier.can_reach(request.citizen) else "\n⚠️ Người dân hiện không nhận được tin qua trợ lý."
    return f"Đã gửi đề nghị hẹn {texts.when(moment, local)} cho người dân; mình sẽ báo khi người dân trả lời.{warning}"


def _citizen_request(ctx: Context) -> HelpRequest | None:
    request = store.get(ctx.session, store.number_of(ctx.args))
    if request is None or request.citizen_id != ctx.user.id or request.status != Status.TAKEN.value:
        return None
    return request if request.appointment_state == "proposed" and request.appointment_at else None


def confirm(ctx: Context) -> Reply:
    request = _citizen_request(ctx)
    if request is None or request.appointment_at is None or request.assignee is None:
        return "Hiện không có lịch hẹn nào đang chờ bạn trả lời."
    request.appointment_state = "confirmed"
    store.record(ctx.session, request, "appointment_confirmed", ctx.now, ctx.user)
    local = zone(ctx.troly.settings)
    moment = texts.when(request.appointment_at, local)
    note = f"✅ Người dân đã đồng ý lịch hẹn {moment} (yêu cầu số {request.id})."
    Notifier.of(ctx).push(
        request.assignee, Outbound(note), f"hd:{request.id}:appt-ok:{request.appointment_at.isoformat()}"
    )
    return f"Đã xác nhận: {store.helper_name(request.assignee)} sẽ đến lúc {moment}. Mình sẽ nhắc bạn trước 1 giờ."


def ask_other_time(ctx: Context) -> Reply:
    request = _citizen_request(ctx)
    if request is None:
        return "Hiện không có lịch hẹn nào đang chờ bạn trả lời."
    ctx.start_dialog(RESCHEDULE_DIALOG, "time", {"request_id": request.id})
    return "Bạn muốn hẹn lúc nào? Gõ thời gian thuận tiện, ví dụ: chiều Chủ nhật sau 15h."


def other_time(ctx: Context) -> Reply:
    dialog = ctx.dialog
    assert dialog is not None
    if not ctx.text:
        return "Bạn gõ thời gian thuận tiện bằng chữ nhé, hoặc /huy để thôi."
    ctx.end_dialog()
    request = store.get(ctx.session, int(dialog.data.get("request_id", 0)))
    if request is None or request.assignee is None or request.status != Status.TAKEN.value:
        return "Yêu cầu này không còn mở nữa."
    request.appointment_state = ""
    wish = mask_personal(ctx.text)[:300]
    note = f"🕑 Người dân muốn hẹn giờ khác (yêu cầu số {request.id}): «{wish}». Gửi /hen {request.id} giờ mới."
    Notifier.of(ctx).push(request.assignee, Outbound(note), f"hd:msg:{ctx.inbound.channel}:{ctx.inbound.message_id}")
    store.record(ctx.session, request, "appointment_declined", ctx.now, ctx.user)
    return f"Đã chuyển mong muốn của bạn cho {store.helper_name(request.assignee)}."


def send_reminders(troly: Troly, now: datetime) -> int:
    """Job: an hour before a confirmed visit, remind the member and the citizen (once per appointment)."""
    local, sent = zone(troly.settings), 0
    with troly.database.transaction() as session:
        due = session.scalars(
            select(HelpRequest).where(
                HelpRequest.status == Status.TAKEN.value,
                HelpRequest.appointment_state == "confirmed",
                HelpRequest.reminded_at.is_(None),
                HelpRequest.appointment_at <= now + REMIND_BEFORE,
                HelpRequest.appointment_at > now,
            )
        ).all()
        notifier = Notifier(troly, session, now)
        for request in due:
            assert request.appointment_at is not None
            moment, key = (
                texts.when(request.appointment_at, local),
                f"hd:{request.id}:remind:{request.appointment_at.isoformat()}",
            )
            if request.assignee is not None:
                notifier.push(
                    request.assignee,
                    Outbound(f"⏰ Nhắc: {moment} bạn hẹn đến nhà người dân (yêu cầu số {request.id})."),
                    f"{key}:m",
                )
            notifier.push(
                request.citizen,
                Outbound(f"⏰ Nhắc: {moment} thành viên tổ sẽ đến nhà hỗ trợ bạn (yêu cầu số {request.id})."),
                f"{key}:c",
            )
            request.reminded_at = now
            store.record(session, request, "reminded", now)
            sent += 1
    return sent
