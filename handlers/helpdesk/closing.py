"""Closing a request (the member's /xong, the linked visit, the citizen), the 1–5 rating with an optional
comment, and reopening within a few days ("vẫn chưa xong")."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.context import Context, Reply
from bot.messages import Choice, Outbound
from bot.privacy import mask_personal
from bot.storage.models import Role
from bot.texts import ROLE_NAMES
from bot.textutil import fold
from handlers.helpdesk import places, routing, store, visitlink
from handlers.helpdesk.models import HelpRequest, Mode, Status
from handlers.helpdesk.store import Notifier

COMMENT_DIALOG = "nhotro_gopy"
SKIP = "hd:gopy:bo"
REOPEN_WORDS = ("van chua xong", "chua xong", "van chua duoc", "mo lai yeu cau")
MAX_COMMENT = 500


def close_command(ctx: Context) -> Reply:
    """/xong [SỐ]: the member who took it closes it; the citizen may close their own (solved, or no longer needed)."""
    number = store.number_of(ctx.args)
    if number is None:
        mode = store.mode_of(ctx.session, ctx.user.id)
        mine = store.taken_by(ctx.session, ctx.user.id)
        number = mode.request_id if mode else (mine[0].id if len(mine) == 1 else None)
    request = store.get(ctx.session, number, lock=True)
    if request is None:
        return "Bạn gửi kèm số yêu cầu, ví dụ: /xong 12. Xem các yêu cầu: /yeucau"
    if request.status == Status.CLOSED.value:
        return f"Yêu cầu số {request.id} đã kết thúc rồi."
    if request.assignee_id == ctx.user.id:
        if (linked := visitlink.linked_by_close(ctx, request, ctx.args)) is not None:
            return linked
        close(Notifier.of(ctx), request, "member")
        ctx.audit("helpdesk.close", target=f"help_request:{request.id}", details={"reason": "member"})
        return f"Đã kết thúc yêu cầu số {request.id}. Người dân sẽ được mời đánh giá. Cảm ơn bạn!"
    if request.citizen_id == ctx.user.id:
        close(Notifier.of(ctx), request, "citizen", ask_rating=request.assignee_id is not None)
        ctx.audit("helpdesk.close", target=f"help_request:{request.id}", details={"reason": "citizen"})
        return f"Đã kết thúc yêu cầu số {request.id} theo ý bạn."
    if ctx.user.role in (Role.LEADER, Role.OFFICIAL, Role.ADMIN) and places.in_scope(
        ctx.session, ctx.user, request.area_id
    ):
        close(Notifier.of(ctx), request, "leader", ask_rating=request.assignee_id is not None)
        ctx.audit("helpdesk.close", target=f"help_request:{request.id}", details={"reason": "leader"})
        return f"Đã kết thúc yêu cầu số {request.id} (với vai trò {ROLE_NAMES[ctx.user.role.value]})."
    return f"Chỉ người đang nhận yêu cầu số {request.id} mới kết thúc được yêu cầu này."


def close(notifier: Notifier, request: HelpRequest, reason: str, *, ask_rating: bool = True) -> None:
    """Closed, with why; the talk ends; the citizen is asked to rate the help (when someone helped)."""
    request.status, request.closed_at, request.close_reason = Status.CLOSED.value, notifier.now, reason[:32]
    store.end_modes(notifier.session, request)
    store.record(notifier.session, request, "closed", notifier.now, reason=reason)
    helper, citizen = request.assignee, request.citizen
    key = f"hd:{request.id}:closed{request.reopened}"
    if helper is not None and reason not in ("member", "visit") and notifier.can_reach(helper):
        notifier.push(helper, Outbound(f"Yêu cầu số {request.id} đã kết thúc ({REASONS.get(reason, reason)})."),
                      f"{key}:helper")  # fmt: skip
    if not ask_rating or helper is None or citizen.blocked:
        return
    days = notifier.troly.settings.helpdesk_reopen_days
    text = (
        f"Yêu cầu số {request.id} đã xong. Bạn chấm điểm sự hỗ trợ của {store.helper_name(helper)} "
        f"từ 1 (chưa tốt) đến 5 (rất tốt) nhé.\nNếu vẫn chưa xong, trong {days} ngày bạn gõ «vẫn chưa xong»."
    )
    stars = tuple(Choice(f"{'⭐' * n} {n}", f"/danhgia {request.id} {n}") for n in range(1, 6))
    notifier.push(citizen, Outbound(text, stars), f"{key}:rate")


REASONS = {
    "member": "người hỗ trợ đã đánh dấu xong",
    "visit": "đã ghi nhận lượt thăm",
    "citizen": "người dân đã kết thúc",
    "citizen_blocked": "người dân đã chặn hoặc bỏ theo dõi",
    "leader": "tổ trưởng hoặc cán bộ đã kết thúc",
}


def rate(ctx: Context) -> Reply:
    """/danhgia SỐ ĐIỂM (from the buttons, or typed): once per closing, by the citizen only."""
    number = store.number_of(ctx.args)
    score = store.rest_after_number(ctx.args).strip(" ⭐*")
    request = store.get(ctx.session, number)
    if request is None or request.citizen_id != ctx.user.id:
        return "Mình không tìm thấy yêu cầu này của bạn."
    if request.status != Status.CLOSED.value:
        return f"Yêu cầu số {request.id} chưa kết thúc, bạn đánh giá sau khi xong nhé."
    if not score.isdigit() or not 1 <= int(score) <= 5:
        return "Bạn chọn một điểm từ 1 đến 5 nhé."
    if request.rating is not None:
        return f"Bạn đã đánh giá yêu cầu số {request.id} rồi ({request.rating}/5). Cảm ơn bạn!"
    request.rating, request.rated_at = int(score), ctx.now
    store.record(ctx.session, request, "rated", ctx.now, ctx.user, rating=request.rating)
    ctx.start_dialog(COMMENT_DIALOG, "comment", {"request_id": request.id})
    return Outbound(
        f"Cảm ơn bạn đã chấm {request.rating}/5! Bạn có muốn góp ý thêm không? Gõ góp ý, hoặc chọn «Bỏ qua».",
        (Choice("Bỏ qua", SKIP),),
    )


def comment(ctx: Context) -> Reply:
    dialog = ctx.dialog
    assert dialog is not None
    ctx.end_dialog()
    if ctx.text == SKIP or fold(ctx.text).strip(" .!") in {"bo qua", "khong", "ko", "thoi"} or not ctx.text:
        return "Cảm ơn bạn! Cần gì thêm, bạn cứ hỏi mình nhé."
    request = store.get(ctx.session, int(dialog.data.get("request_id", 0)))
    if request is not None and request.citizen_id == ctx.user.id:
        request.rating_comment = mask_personal(ctx.text)[:MAX_COMMENT]
        store.record(ctx.session, request, "commented", ctx.now, ctx.user)
    return "Đã ghi nhận góp ý của bạn. Cảm ơn bạn!"


def is_reopen_phrase(text: str) -> bool:
    folded = fold(text).strip(" .!?")
    return folded in REOPEN_WORDS or (folded.startswith(REOPEN_WORDS) and len(folded.split()) <= 8)


def reopen_by_words(ctx: Context) -> Reply:
    return reopen(ctx, None)


def reopen_command(ctx: Context) -> Reply:
    return reopen(ctx, store.number_of(ctx.args))


def reopen(ctx: Context, number: int | None) -> Reply:
    """Within `helpdesk_reopen_days` of closing, the citizen's request opens again: with the same helper while
    they can still take it, else back to the queue."""
    since = ctx.now - timedelta(days=ctx.troly.settings.helpdesk_reopen_days)
    query = select(HelpRequest).where(HelpRequest.citizen_id == ctx.user.id, HelpRequest.status == Status.CLOSED.value)
    if number is not None:
        query = query.where(HelpRequest.id == number)
    request = ctx.session.scalar(query.where(HelpRequest.closed_at >= since).order_by(HelpRequest.closed_at.desc()))
    if request is None:
        days = ctx.troly.settings.helpdesk_reopen_days
        return f"Không có yêu cầu nào của bạn kết thúc trong {days} ngày qua để mở lại. Cần người hỗ trợ: /nhotro"
    notifier, helper = Notifier.of(ctx), request.assignee
    request.reopened += 1
    request.closed_at, request.close_reason, request.rating, request.rated_at = None, "", None, None
    store.record(ctx.session, request, "reopened", ctx.now, ctx.user)
    if helper is not None and places.in_scope(ctx.session, helper, request.area_id) and notifier.can_reach(helper):
        request.status, request.taken_at = Status.TAKEN.value, ctx.now
        store.set_mode(ctx.session, ctx.user, request, Mode.TALK, ctx.now)
        text = f"🔁 Người dân báo yêu cầu số {request.id} vẫn chưa xong: «{request.need}»"
        notifier.push(helper, Outbound(text, (Choice("💬 Trò chuyện", f"/traloi {request.id}"),)),
                      f"hd:{request.id}:reopen{request.reopened}")  # fmt: skip
        return f"Đã mở lại yêu cầu số {request.id} và báo {store.helper_name(helper)}. Bạn nhắn tiếp tại đây nhé."
    request.status, request.assignee_id, request.queued_at, request.escalation = Status.OPEN.value, None, ctx.now, 0
    routing.announce(notifier, request)
    return f"Đã mở lại yêu cầu số {request.id} và chuyển cho tổ. Mình sẽ báo bạn khi có người nhận."
