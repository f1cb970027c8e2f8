"""The help desk's side of logging visits (bot.extensions.VISIT_HOOKS): /ghinhan offers the member's open
requests first; a visit logged for one links to it and closes it (a "hẹn lại" visit links and keeps it open)."""

from __future__ import annotations

from bot.context import Context
from bot.extensions import SavedVisit, VisitHooks, VisitLink
from bot.messages import Choice, Outbound
from handlers.helpdesk import closing, places, store
from handlers.helpdesk.models import HelpRequest, Status
from handlers.helpdesk.store import Notifier

KEY = "hd:"
MAX_OFFERS = 3


def offers(ctx: Context) -> list[VisitLink]:
    found = store.taken_by(ctx.session, ctx.user.id)
    wanted_home = sorted(found, key=lambda request: (not request.wants_visit, request.id))
    label = "🆘 Yêu cầu số {id} · {area}"
    return [VisitLink(f"{KEY}{r.id}", label.format(id=r.id, area=r.area.name)[:60]) for r in wanted_home[:MAX_OFFERS]]


def saved(ctx: Context, visit: SavedVisit) -> list[Outbound]:
    if visit.link is None:
        return _offer_link(ctx, visit)
    request = store.get(ctx.session, _number(visit.link), lock=True)
    if request is None or request.assignee_id != ctx.user.id or request.status != Status.TAKEN.value:
        return [Outbound("Yêu cầu hỗ trợ bạn chọn không còn mở, nên lượt thăm không được gắn với yêu cầu nào.")]
    return [Outbound(link(ctx, request, visit))]


def link(ctx: Context, request: HelpRequest, visit: SavedVisit) -> str:
    request.visit_id = visit.id
    store.record(ctx.session, request, "visit_linked", ctx.now, ctx.user, visit_id=visit.id, outcome=visit.outcome)
    if visit.outcome == "later":
        return f"Đã gắn lượt thăm với yêu cầu số {request.id}; yêu cầu vẫn mở vì kết quả là «Hẹn lại»."
    closing.close(Notifier.of(ctx), request, "visit")
    ctx.audit("helpdesk.close", target=f"help_request:{request.id}", details={"reason": "visit", "visit": visit.id})
    return f"Yêu cầu số {request.id} đã được gắn với lượt thăm này và kết thúc. Người dân sẽ được mời đánh giá."


def _offer_link(ctx: Context, visit: SavedVisit) -> list[Outbound]:
    """A visit logged with the one-line form: offer to link it to one of the member's requests."""
    taken = [r for r in store.taken_by(ctx.session, ctx.user.id) if places.in_scope(ctx.session, ctx.user, r.area_id)]
    if not taken:
        return []
    for request in taken[:MAX_OFFERS]:
        request.offered_visit_id = visit.id
    choices = tuple(Choice(f"🔗 Cho yêu cầu số {r.id}", f"/xong {r.id} #{visit.id}") for r in taken[:MAX_OFFERS])
    return [Outbound("Lượt thăm này có phải cho một yêu cầu hỗ trợ bạn đang nhận không? Chạm để gắn và kết thúc.",
                     choices)]  # fmt: skip


def linked_by_close(ctx: Context, request: HelpRequest, args: str) -> str | None:
    """`/xong 12 #34` from the offer above: link visit 34 (only the one offered for this request)."""
    word = next((w for w in args.split() if w.startswith("#")), "")
    if not word[1:].isdigit() or request.offered_visit_id != int(word[1:]):
        return None
    return link(ctx, request, SavedVisit(int(word[1:]), "done", "", f"{KEY}{request.id}"))


def _number(key: str) -> int | None:
    rest = key.removeprefix(KEY)
    return int(rest) if key.startswith(KEY) and rest.isdigit() else None


HOOKS = VisitHooks(offers=offers, saved=saved)
