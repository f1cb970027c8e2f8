"""/yeucau: a citizen's own requests; a member's, leader's or official's queue and what they hold; one request
in detail (the phone number only to the member who took it, and audited)."""

from __future__ import annotations

from sqlalchemy import select

from bot.context import Context, Reply
from bot.extensions import SERVICE_CATALOGUE
from bot.messages import Choice, Outbound
from bot.storage.models import Role
from handlers.helpdesk import claims, places, store, texts
from handlers.helpdesk.models import HelpRequest, Status
from handlers.helpdesk.store import Notifier
from handlers.helpdesk.timing import zone

STATUS = {
    Status.OPEN.value: "đang chờ người nhận",
    Status.TAKEN.value: "đang được hỗ trợ",
    Status.CLOSED.value: "đã xong",
}
MAX_LISTED = 10


def show(ctx: Context) -> Reply:
    number = store.number_of(ctx.args)
    if number is not None:
        return _one(ctx, number)
    if ctx.user.role in places.STAFF:
        return _queue(ctx)
    query = select(HelpRequest).where(HelpRequest.citizen_id == ctx.user.id).order_by(HelpRequest.id.desc())
    mine = list(ctx.session.scalars(query.limit(MAX_LISTED)))
    if not mine:
        return "Bạn chưa có yêu cầu hỗ trợ nào. Cần người hỗ trợ, bạn gửi /nhotro nhé."
    lines = ["Các yêu cầu hỗ trợ của bạn:"] + [_line(r) for r in mine]
    return "\n".join(lines)


def _line(request: HelpRequest) -> str:
    helper = f" · {store.helper_name(request.assignee)}" if request.assignee else ""
    return f"• Số {request.id}: {texts.short(request.need, 50)} · {STATUS[request.status]}{helper}"


def _queue(ctx: Context) -> Outbound:
    area_ids = places.scope_area_ids(ctx.session, ctx.user)
    waiting = select(HelpRequest).where(HelpRequest.status == Status.OPEN.value)
    if area_ids is not None:
        waiting = waiting.where(HelpRequest.area_id.in_(area_ids))
    queue = list(ctx.session.scalars(waiting.order_by(HelpRequest.queued_at).limit(MAX_LISTED)))
    mine = store.taken_by(ctx.session, ctx.user.id)
    lines = [f"Bạn đang hỗ trợ {len(mine)} yêu cầu:"] + [_line(r) for r in mine] if mine else []
    lines += [f"Đang chờ người nhận ({len(queue)}):"] + [_line(r) for r in queue] if queue else []
    if not lines:
        return Outbound("Hiện không có yêu cầu hỗ trợ nào đang chờ trong khu vực của bạn.")
    choices = tuple(Choice(f"{texts.CLAIM} số {r.id}", f"/nhan {r.id}") for r in queue[:5])
    return Outbound("\n".join(lines), choices)


def _one(ctx: Context, number: int) -> Reply:
    request = store.get(ctx.session, number)
    staff = (
        request is not None
        and ctx.user.role in places.STAFF
        and places.in_scope(ctx.session, ctx.user, request.area_id)
    )
    if request is None or not (staff or request.citizen_id == ctx.user.id):
        return f"Bạn không xem được yêu cầu số {number}."
    if request.assignee_id == ctx.user.id and request.status == Status.TAKEN.value:
        return claims.details_for_assignee(ctx, request, reachable=Notifier.of(ctx).can_reach(request.citizen))
    services = ctx.troly.extensions[SERVICE_CATALOGUE]
    lines = [
        f"Yêu cầu số {request.id} · {places.label(request.area)} · {STATUS[request.status]}",
        f"Cần: {texts.need_line(request, services)}",
        f"Gửi lúc: {texts.when(request.created_at, zone(ctx.troly.settings))}",
    ]
    if request.assignee is not None:
        lines.append(f"Người hỗ trợ: {store.helper_name(request.assignee)}")
    if request.appointment_at is not None and request.appointment_state:
        state = "đã hẹn" if request.appointment_state == "confirmed" else "đề nghị hẹn"
        lines.append(f"Đến nhà: {state} {texts.when(request.appointment_at, zone(ctx.troly.settings))}")
    if request.rating is not None:
        lines.append(f"Đánh giá: {request.rating}/5")
    choices: tuple[Choice, ...] = ()
    if request.status == Status.OPEN.value and staff and ctx.user.role is not Role.ADMIN:
        choices = (Choice(texts.CLAIM, f"/nhan {request.id}"),)
    return Outbound("\n".join(lines), choices)
