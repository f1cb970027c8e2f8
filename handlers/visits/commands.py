"""Chat commands: /ghinhan (one line or guided), /sua, /xoa, /baocao, and stale dialog buttons."""

from __future__ import annotations

from sqlalchemy import select

from bot.context import Context, Reply
from bot.storage.models import Role
from handlers.visits import actions, dialog, records
from handlers.visits.models import Visit
from handlers.visits.parsing import FORM_HINT, FormError, parse_form
from handlers.visits.prompts import PREFIX, SAVE
from handlers.visits.records import DUPLICATE_WINDOW, VisitRefused, describe

LOGGERS = frozenset({Role.MEMBER, Role.LEADER, Role.OFFICIAL})
EXAMPLE = "/ghinhan Số 12 ngõ 5 Trần Phú ; Nguyễn Văn An ; vneid, muc2 ; xong ; đã kích hoạt mức 2"


def log_visit(ctx: Context) -> Reply:
    """`/ghinhan` alone starts the dialog; `/ghinhan a ; b ; c ; d [; e]` saves in one message."""
    if ctx.user.area_id is None:
        return records.NO_AREA
    if not ctx.args:
        return dialog.start(ctx)
    try:
        draft = parse_form(ctx.args)
    except FormError as error:
        return form_problems(error)
    return actions.save(ctx, draft)


def form_problems(error: FormError) -> str:
    listed = "\n".join(f"• {problem}" for problem in error.problems)
    return (
        f"Mình chưa lưu gì, vì chưa đọc được:\n{listed}\n\n"
        f"Mẫu: {FORM_HINT}\nVí dụ: {EXAMPLE}\nHoặc gửi /ghinhan (không kèm gì) để được hỏi từng bước."
    )


def correct_visit(ctx: Context) -> Reply:
    """`/sua` walks through the last visit's parts; `/sua a ; b ; c ; d [; e]` replaces it in one message."""
    if ctx.args:
        try:
            draft = parse_form(ctx.args)
        except FormError as error:
            return form_problems(error).replace("/ghinhan", "/sua")
        return actions.update(ctx, None, draft)
    try:
        visit = records.editable_last_visit(ctx.session, ctx.user.id, ctx.now)
    except VisitRefused as refusal:
        return str(refusal)
    return dialog.start(ctx, actions.data_from_visit(visit))


def stale_button(ctx: Context) -> Reply:
    """A tap on a button of a dialog that already ended (a double tap on «Lưu», an old message)."""
    if ctx.text == SAVE:
        recent = ctx.session.scalar(
            select(Visit)
            .where(
                Visit.member_id == ctx.user.id,
                Visit.deleted_at.is_(None),
                Visit.created_at >= ctx.now - DUPLICATE_WINDOW,
            )
            .order_by(Visit.id.desc())
            .limit(1)
        )
        if recent is not None:
            return f"Lượt thăm này đã được lưu rồi, mình không lưu thêm lần nữa.\n\n{describe(recent)}"
    return "Nút này thuộc một lần ghi nhận đã kết thúc. Gửi /ghinhan để ghi nhận lượt thăm mới nhé."


def is_stale_button(text: str) -> bool:
    return text.startswith(PREFIX)
