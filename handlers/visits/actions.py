"""Saving a visit from the one-line form or the dialog, correcting and deleting it, each with its audit row."""

from __future__ import annotations

from typing import Any

from bot.context import Context, Reply
from bot.messages import Choice, Location, Outbound
from handlers.visits import links, records
from handlers.visits.catalogue import Outcome
from handlers.visits.models import Visit
from handlers.visits.parsing import VisitDraft
from handlers.visits.prompts import is_word
from handlers.visits.records import VisitRefused, describe

DELETE_DIALOG = "xoa_luot_tham"
CONFIRM_DELETE = "gn:xoa"
SAVED_HINT = "Nếu có sai sót, trong vòng 24 giờ bạn gửi /sua để sửa hoặc /xoa để xóa lượt này."


def save(ctx: Context, draft: VisitDraft, location: Location | None = None, link: str | None = None) -> Reply:
    """Store a new visit (once, see records.save_visit) and show it back; other features hear of it (links)."""
    try:
        visit, created = records.save_visit(ctx.session, ctx.user, draft, ctx.now, location)
    except VisitRefused as refusal:
        return str(refusal)
    if not created:
        return f"Lượt thăm này đã được lưu trước đó nên mình không lưu thêm lần nữa.\n\n{describe(visit)}"
    ctx.audit(
        "visit.create",
        target=f"visit:{visit.id}",
        details={"household_id": visit.household_id, "services": visit.service_codes, "outcome": visit.outcome},
    )
    saved = f"Đã lưu lượt thăm. Cảm ơn bạn!\n\n{describe(visit)}\n\n{SAVED_HINT}"
    return [Outbound(saved), *links.after_save(ctx, visit.id, visit.outcome, visit.household.address, link)]


def draft_from_data(data: dict[str, Any]) -> VisitDraft:
    return VisitDraft(
        address=str(data.get("address", "")),
        head_name=str(data.get("head_name", "")),
        services=tuple(data.get("services", [])),
        outcome=Outcome(data["outcome"]),
        people_helped=int(data.get("people", 1)),
        note=str(data.get("note", "")),
        household_id=data.get("household_id"),
    )


def data_from_visit(visit: Visit) -> dict[str, Any]:
    """The dialog state of an existing visit, so /sua can reuse the dialog's steps."""
    location = [visit.latitude, visit.longitude] if visit.latitude is not None else None
    return {
        "edit_id": visit.id,
        "edit_household_id": visit.household_id,
        "household_id": visit.household_id,
        "address": visit.household.address,
        "head_name": visit.household.head_name,
        "services": visit.service_codes,
        "outcome": visit.outcome,
        "people": visit.people_helped,
        "note": visit.note,
        "location": location,
    }


def save_from_dialog(ctx: Context, data: dict[str, Any]) -> Reply:
    ctx.end_dialog()
    draft = draft_from_data(data)
    if data.get("edit_id"):
        return update(ctx, int(data["edit_id"]), draft, data.get("location"), rename=bool(data.get("rename")))
    point = data.get("location")
    return save(ctx, draft, Location(point[0], point[1]) if point else None, data.get("link"))


def update(
    ctx: Context, visit_id: int | None, draft: VisitDraft, location: list[float] | None = None, *, rename: bool = False
) -> Reply:
    """Correct the member's last visit (`visit_id` None: whichever is last), keeping before/after in the audit;
    `rename`: the member chose to correct the spelling of the visit's household itself."""
    try:
        visit = records.editable_last_visit(ctx.session, ctx.user.id, ctx.now)
        if visit_id is not None and visit.id != visit_id:
            raise VisitRefused("Lượt thăm bạn đang sửa không còn là lượt gần nhất, nên mình không lưu thay đổi.")
        before, place = records.snapshot(visit), (visit.latitude, visit.longitude)
        correction = records.apply_changes(ctx.session, ctx.user, visit, draft, ctx.now, rename=rename)
        if location is not None or visit_id is not None:
            visit.latitude, visit.longitude = (location[0], location[1]) if location else (None, None)
    except VisitRefused as refusal:
        return str(refusal)
    after = records.snapshot(visit)
    if (before, place) == (after, (visit.latitude, visit.longitude)):
        return f"Lượt thăm không có gì thay đổi nên mình giữ nguyên.\n\n{describe(visit)}"
    if correction is not None:
        ctx.audit("household.update", target=f"household:{visit.household_id}", details=correction)
    ctx.audit("visit.update", target=f"visit:{visit.id}", details={"before": before, "after": after})
    return f"Đã sửa lượt thăm.\n\n{describe(visit)}"


def ask_delete(ctx: Context) -> Reply:
    try:
        visit = records.editable_last_visit(ctx.session, ctx.user.id, ctx.now)
    except VisitRefused as refusal:
        return str(refusal)
    ctx.start_dialog(DELETE_DIALOG, "confirm", {"visit_id": visit.id})
    choices = (Choice("🗑 Xóa lượt này", CONFIRM_DELETE), Choice("Không xóa", "huy"))
    return Outbound(f"Bạn muốn xóa lượt thăm này?\n\n{describe(visit)}", choices)


def confirm_delete(ctx: Context) -> Reply:
    dialog = ctx.dialog
    assert dialog is not None
    if ctx.text != CONFIRM_DELETE and not is_word(ctx.text, "xoa", "co", "dong y", "xoa luot nay"):
        return Outbound(
            "Bạn chọn «Xóa lượt này» để xóa, hoặc «Không xóa».",
            (Choice("🗑 Xóa lượt này", CONFIRM_DELETE), Choice("Không xóa", "huy")),
        )
    ctx.end_dialog()
    try:
        visit = records.editable_last_visit(ctx.session, ctx.user.id, ctx.now)
        if visit.id != dialog.data.get("visit_id"):
            raise VisitRefused("Lượt thăm này không còn là lượt gần nhất của bạn, nên mình không xóa.")
    except VisitRefused as refusal:
        return str(refusal)
    visit.deleted_at = ctx.now
    ctx.audit("visit.delete", target=f"visit:{visit.id}", details={"before": records.snapshot(visit)})
    return f"Đã xóa lượt thăm #{visit.id}. Lượt này không còn được tính trong báo cáo."
