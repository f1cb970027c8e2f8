"""Talking through the bot: `/traloi SỐ nội dung` from either side, or a mode in which everything a citizen or
a member writes goes to the other, clearly marked, until /huy (back to questions), /xong or the request closes.

Neither side sees the other's channel or id; messages are pushed (split to the channel's limit by the delivery
loop) and not stored. A citizen the channel no longer lets us reach (blocked, Zalo's 7-day window) is reported
to the member at once instead of pretending the message went.
"""

from __future__ import annotations

from bot.context import Context, Reply
from bot.messages import Choice, Outbound
from handlers.helpdesk import store
from handlers.helpdesk.models import HelpRequest, Mode, Status
from handlers.helpdesk.store import Notifier

MEDIA_REFUSED = (
    "Mình chưa chuyển được ảnh, tệp hay tin nhắn thoại cho người hỗ trợ. Bạn mô tả bằng chữ, hoặc gửi vị trí "
    "nếu cần chỉ đường."
)
UNREACHABLE = (
    "⚠️ Tin chưa gửi được: người dân hiện không nhận được tin qua trợ lý (đã chặn, hoặc quá 7 ngày chưa nhắn "
    "trên Zalo). {phone}Bạn có thể /tralai {number} hoặc /xong {number}."
)


def reply_command(ctx: Context) -> Reply:
    """`/traloi SỐ nội dung` sends one message; `/traloi SỐ` enters the mode; `/traloi` alone picks the only one."""
    number = store.number_of(ctx.args)
    if number is None:
        mine = store.taken_by(ctx.session, ctx.user.id) or [
            r for r in store.open_of_citizen(ctx.session, ctx.user.id) if r.status == Status.TAKEN.value
        ]
        if len(mine) != 1:
            return "Bạn gửi kèm số yêu cầu, ví dụ: /traloi 12 Chào bạn, mình là Lan ở tổ công nghệ số."
        number, text = mine[0].id, ctx.args.strip()
    else:
        text = store.rest_after_number(ctx.args)
    request = store.get(ctx.session, number)
    side = _side(ctx, request)
    if request is None or side is None:
        return f"Bạn không trao đổi được về yêu cầu số {number}. Xem các yêu cầu của bạn: /yeucau"
    if request.status != Status.TAKEN.value:
        return _not_talking(request)
    if not text:
        store.set_mode(ctx.session, ctx.user, request, side, ctx.now)
        return _mode_started(request, side)
    return relay(ctx, request, side, text)


def _side(ctx: Context, request: HelpRequest | None) -> Mode | None:
    if request is None:
        return None
    if request.assignee_id == ctx.user.id:
        return Mode.REPLY
    return Mode.TALK if request.citizen_id == ctx.user.id else None


def _not_talking(request: HelpRequest) -> str:
    if request.status == Status.CLOSED.value:
        return f"Yêu cầu số {request.id} đã kết thúc, tin không được gửi."
    return f"Yêu cầu số {request.id} chưa có ai nhận, nên chưa có người để nhắn."


def _mode_started(request: HelpRequest, side: Mode) -> str:
    if side is Mode.REPLY:
        return (
            f"💬 Mọi tin bạn nhắn từ giờ sẽ được chuyển cho người dân (yêu cầu số {request.id}).\n"
            f"Gửi /xong {request.id} khi đã xong, hoặc /huy để thôi trò chuyện (yêu cầu vẫn mở)."
        )
    return (
        f"💬 Tin bạn nhắn từ giờ sẽ được chuyển cho {store.helper_name(request.assignee)} (yêu cầu số "
        f"{request.id}). Gửi /huy để quay lại hỏi đáp với trợ lý."
    )


def relay(ctx: Context, request: HelpRequest, side: Mode, text: str) -> Reply:
    notifier = Notifier.of(ctx)
    to = request.citizen if side is Mode.REPLY else request.assignee
    if to is None:
        return _not_talking(request)
    if side is Mode.REPLY and not notifier.can_reach(to):
        phone = f"Số điện thoại người dân: {request.phone}. " if request.phone else ""
        return UNREACHABLE.format(phone=phone, number=request.id)
    if side is Mode.REPLY:
        heading = f"💬 {store.helper_name(ctx.user)} (yêu cầu số {request.id}):"
        choices: tuple[Choice, ...] = ()
        in_mode = store.mode_of(ctx.session, to.id)
        if in_mode is None or in_mode.request_id != request.id:
            choices = (Choice("💬 Trả lời", f"/traloi {request.id}"),)
    else:
        heading = f"💬 Người dân (yêu cầu số {request.id}):"
        choices = (Choice("💬 Trả lời", f"/traloi {request.id}"), Choice("✅ Đã xong", f"/xong {request.id}"))
    notifier.push(to, Outbound(f"{heading}\n{text}", choices), f"hd:msg:{ctx.inbound.channel}:{ctx.inbound.message_id}")
    store.record(ctx.session, request, "message", ctx.now, ctx.user, side=side.value)
    if side is Mode.TALK and not notifier.can_reach(to):
        return "Tin đã được ghi lại, nhưng người hỗ trợ tạm thời chưa nhận được. Mình sẽ báo tổ nếu cần."
    return f"✓ Đã chuyển cho {'người dân' if side is Mode.REPLY else store.helper_name(to)}."


def in_talk(ctx: Context) -> bool:
    """Router mode check: the sender talks about a request that is still taken."""
    return store.in_mode(ctx.session, ctx.user.id)


def talk(ctx: Context) -> Reply:
    """Free text, a location or media from someone in a mode."""
    mode = store.mode_of(ctx.session, ctx.user.id)
    assert mode is not None
    request = store.get(ctx.session, mode.request_id)
    side = _side(ctx, request)
    if request is None or side is None or request.status != Status.TAKEN.value or side.value != mode.kind:
        store.end_mode(ctx.session, ctx.user.id)
        return f"{_not_talking(request) if request else ''} Bạn đã quay lại hỏi đáp với trợ lý.".strip()
    location = ctx.inbound.location
    if location is not None:
        if side is Mode.TALK:
            request.latitude, request.longitude = location.latitude, location.longitude
        text = f"📍 Vị trí: {location.latitude:.6f}, {location.longitude:.6f}"
        return relay(ctx, request, side, text)
    if not ctx.text:
        return MEDIA_REFUSED
    sent = relay(ctx, request, side, ctx.text)
    return f"{sent}\n{MEDIA_REFUSED}" if ctx.inbound.attachments and isinstance(sent, str) else sent


def cancel(ctx: Context) -> str | None:
    """/huy in a mode: back to questions, the request stays as it is."""
    mode = store.mode_of(ctx.session, ctx.user.id)
    if mode is None:
        return None
    store.end_mode(ctx.session, ctx.user.id)
    if mode.kind == Mode.REPLY.value:
        return (
            f"Đã thôi trò chuyện về yêu cầu số {mode.request_id} (yêu cầu vẫn mở). Nhắn tiếp: /traloi {mode.request_id}"
        )
    return (
        f"Bạn đã quay lại hỏi đáp với trợ lý. Yêu cầu số {mode.request_id} vẫn mở; khi người hỗ trợ nhắn, mình "
        f"sẽ chuyển cho bạn. Nhắn cho người hỗ trợ: /traloi {mode.request_id} nội dung"
    )
