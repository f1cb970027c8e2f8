"""Taking a request (first tap wins, atomically on SQLite and PostgreSQL), handing it back, and giving back
what a member who left the team held.

The claim is one `UPDATE ... WHERE status = 'open'`: on PostgreSQL a second claimant's UPDATE waits for the
first transaction and then matches no row; SQLite serialises writers. The notifications are keyed pushes in the
same transaction, so a server killed right after the claim still sends them after restart, once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from bot import outbox
from bot.context import Context, Reply
from bot.messages import Choice, Outbound
from bot.storage.models import AuditLog, User
from handlers.helpdesk import places, routing, store
from handlers.helpdesk.models import HelpRequest, Mode, Status
from handlers.helpdesk.store import Notifier

if TYPE_CHECKING:
    from bot.app import Troly

USAGE = "Bạn gửi kèm số yêu cầu, ví dụ: /nhan 12"
# The others hear who took it a little later, so that someone who tapped at the same moment (and is told in
# the reply to their tap) does not get the notice as well: their claim withdraws it.
NOTICE_DELAY = timedelta(seconds=5)


def claim(ctx: Context) -> Reply:
    number = store.number_of(ctx.args)
    request = store.get(ctx.session, number)
    if request is None:
        return USAGE if number is None else f"Không có yêu cầu số {number}."
    if not places.in_scope(ctx.session, ctx.user, request.area_id):
        return f"Yêu cầu số {request.id} thuộc khu vực khác, bạn không nhận được. Tổ ở đó sẽ hỗ trợ."
    if request.citizen_id == ctx.user.id:
        return "Bạn không tự nhận yêu cầu của chính mình được."
    taken = ctx.session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == request.id, HelpRequest.status == Status.OPEN.value)
        .values(
            status=Status.TAKEN.value,
            assignee_id=ctx.user.id,
            team_id=ctx.user.team_id,
            taken_at=ctx.now,
            first_taken_at=func.coalesce(HelpRequest.first_taken_at, ctx.now),
        )
        .execution_options(synchronize_session=False)
    )
    ctx.session.refresh(request)
    if int(getattr(taken, "rowcount", 0) or 0) != 1:
        return _not_free(ctx, request)
    return _won(ctx, request)


def _not_free(ctx: Context, request: HelpRequest) -> str:
    if request.status == Status.CLOSED.value:
        return f"Yêu cầu số {request.id} đã kết thúc."
    if request.assignee_id == ctx.user.id:
        return f"Bạn đã nhận yêu cầu số {request.id} rồi. Xem lại: /yeucau {request.id}"
    outbox.cancel(ctx.session, f"{taken_key(request)}:{ctx.user.id}")  # this reply says it already
    return f"Yêu cầu số {request.id} đã được {store.helper_name(request.assignee)} nhận trước. Cảm ơn bạn!"


def _won(ctx: Context, request: HelpRequest) -> Reply:
    notifier = Notifier.of(ctx)
    citizen, member = request.citizen, ctx.user
    team = member.team.name if member.team else f"cán bộ phụ trách {places.label(request.area)}"
    store.record(ctx.session, request, "claimed", ctx.now, member)
    ctx.audit("helpdesk.claim", target=f"help_request:{request.id}", details={"area_id": request.area_id})
    store.set_mode(ctx.session, citizen, request, Mode.TALK, ctx.now)
    told = (
        f"Anh/chị {store.helper_name(member)}, {team}, sẽ hỗ trợ bạn (yêu cầu số {request.id}).\n"
        "Tin bạn nhắn tiếp theo sẽ được chuyển đến người hỗ trợ; gửi /huy để quay lại hỏi đáp với trợ lý."
    )
    key = taken_key(request)
    notifier.push(citizen, Outbound(told), f"{key}:citizen")
    for other in places.team_people(
        ctx.session, [t.id for t in places.responsible_teams(ctx.session, request.area_id)]
    ):
        if other.id not in (member.id, citizen.id) and notifier.can_reach(other):
            note = f"Yêu cầu số {request.id} đã được {store.helper_name(member)} nhận."
            notifier.push(other, Outbound(note), f"{key}:{other.id}", at=ctx.now + NOTICE_DELAY)
    return details_for_assignee(ctx, request, reachable=notifier.can_reach(citizen))


def taken_key(request: HelpRequest) -> str:
    return f"hd:{request.id}:taken{request.handovers}.{request.reopened}"


def details_for_assignee(ctx: Context, request: HelpRequest, *, reachable: bool) -> Outbound:
    """What the member who took the request reads: the need, the place, the phone number (audited)."""
    lines = [f"✅ Bạn đã nhận yêu cầu số {request.id} · {places.label(request.area)}", f"Cần: «{request.need}»"]
    if request.wants_visit:
        lines.append("Người dân muốn được đến tận nhà: hẹn giờ bằng /hen " + f"{request.id} 9h sáng thứ Bảy")
    if request.phone:
        lines.append(f"Số điện thoại: {request.phone}")
        ctx.audit("helpdesk.phone_reveal", target=f"help_request:{request.id}")
    if not reachable:
        lines.append("⚠️ Người dân hiện không nhận được tin qua trợ lý (đã chặn, hoặc quá 7 ngày trên Zalo).")
    lines.append(
        f"Trả lời: /traloi {request.id} nội dung, hoặc chạm «Trò chuyện» rồi cứ nhắn. Xong: /xong {request.id}"
    )
    choices = (
        Choice("💬 Trò chuyện", f"/traloi {request.id}"),
        Choice("✅ Đã xong", f"/xong {request.id}"),
        Choice("↩️ Trả lại cho tổ", f"/tralai {request.id}"),
    )
    return Outbound("\n".join(lines), choices)


def hand_back(ctx: Context) -> Reply:
    """/tralai SỐ: the member cannot go on; the request returns to the queue and the team hears again."""
    number = store.number_of(ctx.args)
    request = store.get(ctx.session, number, lock=True)
    if request is None or request.assignee_id != ctx.user.id or request.status != Status.TAKEN.value:
        return "Bạn chỉ trả lại được yêu cầu mình đang nhận. Xem: /yeucau"
    requeue(Notifier.of(ctx), request, ctx.user, "handover")
    ctx.audit("helpdesk.handover", target=f"help_request:{request.id}")
    return f"Đã trả yêu cầu số {request.id} lại cho tổ. Cảm ơn bạn!"


def requeue(notifier: Notifier, request: HelpRequest, actor: User | None, why: str) -> None:
    """Back to the queue: the citizen is told, the teams are asked again, escalation counts from now."""
    session, citizen, helper = notifier.session, request.citizen, request.assignee
    request.status, request.assignee_id, request.taken_at = Status.OPEN.value, None, None
    request.queued_at, request.escalation, request.handovers = notifier.now, 0, request.handovers + 1
    store.end_modes(session, request)
    store.record(session, request, why, notifier.now, actor, helper_id=helper.id if helper else None)
    text = (
        f"{store.helper_name(helper).capitalize()} không tiếp tục hỗ trợ được yêu cầu số {request.id}; "
        "mình đã chuyển lại cho tổ và sẽ báo bạn khi có người nhận."
    )
    notifier.push(citizen, Outbound(text), f"hd:{request.id}:back{request.handovers}")
    routing.announce(notifier, request)


def release_for(troly: Troly, session: Session, user: User, now: datetime) -> None:
    """MEMBERSHIP_CHANGED: requests `user` took that are outside their new scope go back to the queue."""
    notifier = Notifier(troly, session, now)
    for request in store.taken_by(session, user.id):
        if not places.in_scope(session, user, request.area_id):
            requeue(notifier, request, None, "member_left")
            details = {"member_id": user.id}
            session.add(AuditLog(at=now, actor_label="system", action="helpdesk.handover",
                                 target=f"help_request:{request.id}", details=details))  # fmt: skip
