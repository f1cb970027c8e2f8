"""/ghinhan without arguments: the guided dialog, one question per message, tap a choice or type.

Steps: household (recent households offered; a typed address that looks known is suggested), head of
household (new households only), services (tap several, then continue), outcome, people helped, note,
location, then a summary to save, change or cancel. /sua reuses the same steps, starting at the summary.
The state lives in the core's dialog store, so a restart mid-dialog loses nothing.
"""

from __future__ import annotations

from typing import Any

from bot.context import Context, Reply
from bot.messages import Outbound
from bot.privacy import mask_personal
from bot.textutil import small_number
from handlers.visits import actions, corrections, households, links, prompts
from handlers.visits.catalogue import SERVICES, find_outcome
from handlers.visits.models import Household
from handlers.visits.parsing import MAX_ADDRESS, MAX_NAME, MAX_NOTE, check_text, parse_services
from handlers.visits.prompts import (
    EDIT,
    FIELD,
    FIX_OTHER,
    FIX_SAME,
    NEW,
    OUTCOME,
    PICK,
    SAVE,
    SERVICE,
    SERVICES_DONE,
    SKIP,
    is_word,
)

NAME = "ghinhan"
ORDER = ("services", "outcome", "people", "note", "location", "confirm")
MAX_PEOPLE = 100


def start(ctx: Context, data: dict[str, Any] | None = None) -> Reply:
    """Begin a new visit, or (with `data` of an existing visit) go straight to its summary to correct it."""
    if data is not None:
        return go(ctx, {**data, "review": True}, "confirm")
    return go(ctx, {"services": [], "links": links.offers(ctx)}, "household")


def go(ctx: Context, data: dict[str, Any], step: str) -> Outbound:
    if ctx.dialog is None:
        ctx.start_dialog(NAME, step, data)
    else:
        ctx.update_dialog(step, data)
    return prompts.prompt(ctx, step, data)


def after(ctx: Context, data: dict[str, Any], step: str) -> Outbound:
    """The step that follows `step`: the next in order, or the summary when correcting one part."""
    if data.get("review") or step == "location":
        return go(ctx, data, "confirm")
    return go(ctx, data, ORDER[ORDER.index(step) + 1] if step in ORDER else "services")


def handle(ctx: Context) -> Reply:
    """Every message while the dialog is active goes here; the step decides what it means."""
    dialog = ctx.dialog
    assert dialog is not None
    data = dict(dialog.data)
    if dialog.step != "location" and not ctx.text:
        return prompts.again(ctx, dialog.step, data, "Mình cần câu trả lời bằng chữ hoặc chạm vào một lựa chọn.")
    step = STEPS.get(dialog.step)
    if step is None:
        ctx.end_dialog()
        return "Thao tác ghi nhận bị gián đoạn, không có gì được lưu. Bạn gửi lại /ghinhan nhé."
    return step(ctx, data)


def on_household(ctx: Context, data: dict[str, Any]) -> Reply:
    if ctx.text.startswith(links.LINK):
        data["link"] = links.pick(data, ctx.text)
        return go(ctx, data, "household")
    if ctx.text.startswith(PICK):
        return _picked(ctx, data, ctx.text.removeprefix(PICK))
    if problem := check_text(ctx.text, what="địa chỉ", limit=MAX_ADDRESS):
        return prompts.again(ctx, "household", data, problem.capitalize() + ".")
    data.update(address=mask_personal(ctx.text), household_id=None, head_name="", rename=False)
    found = households.suggest(ctx.session, ctx.user, data["address"])
    if found:
        data["suggested"] = [household.id for household in found]
        return go(ctx, data, "match")
    return go(ctx, data, "head")


def on_match(ctx: Context, data: dict[str, Any]) -> Reply:
    if ctx.text.startswith(PICK):
        return _picked(ctx, data, ctx.text.removeprefix(PICK))
    if ctx.text == NEW or is_word(ctx.text, "moi", "ho moi", "khong", "khong phai", "khong, day la ho moi"):
        return go(ctx, data, "head")
    return prompts.again(ctx, "match", data, "Bạn chạm vào một hộ gợi ý, hoặc chọn «Hộ mới».")


def _picked(ctx: Context, data: dict[str, Any], raw_id: str) -> Reply:
    number = small_number(raw_id, max_digits=9)  # ids fit a 32-bit integer column; a forged tap may not
    household = ctx.session.get(Household, number) if number is not None else None
    if household is None or not households.within_reach(ctx.session, ctx.user, household):
        return prompts.again(ctx, "household", data, "Mình không tìm thấy hộ này, bạn gõ địa chỉ nhé.")
    data.update(household_id=household.id, address=household.address, head_name=household.head_name, rename=False)
    return after(ctx, data, "household")


def on_head(ctx: Context, data: dict[str, Any]) -> Reply:
    if problem := check_text(ctx.text, what="tên chủ hộ", limit=MAX_NAME):
        return prompts.again(ctx, "head", data, problem.capitalize() + ".")
    data["head_name"] = mask_personal(ctx.text)
    return _settle_household(ctx, data)


def _settle_household(ctx: Context, data: dict[str, Any]) -> Reply:
    """Decide now which household the typed address and head mean, so the summary shows what will be saved."""
    current_id = data.get("edit_household_id")
    current = ctx.session.get(Household, current_id) if current_id else None
    decision = corrections.decide(
        ctx.session, ctx.user, data["address"], data["head_name"], current, data.get("edit_id")
    )
    if decision.ask:
        return go(ctx, data, "fix")
    data.update(household_id=decision.household_id, rename=decision.rename)
    known = ctx.session.get(Household, decision.household_id or 0)
    if known is not None and not decision.rename:
        data.update(address=known.address, head_name=known.head_name)
    return after(ctx, data, "household")


def on_fix(ctx: Context, data: dict[str, Any]) -> Reply:
    """A new spelling of a household other visits share: correct that household, or a different one?"""
    if ctx.text == FIX_SAME or is_word(ctx.text, "sua", "sua cach viet", "cung ho", "dung"):
        data.update(household_id=data.get("edit_household_id"), rename=True)
    elif ctx.text == FIX_OTHER or is_word(ctx.text, "ho khac", "khac", "ho moi", "moi"):
        data.update(household_id=None, rename=False)
    else:
        return prompts.again(ctx, "fix", data, "Bạn chọn «Sửa cách viết của hộ này» hoặc «Đây là hộ khác».")
    return after(ctx, data, "household")


def on_services(ctx: Context, data: dict[str, Any]) -> Reply:
    chosen: list[str] = list(data.get("services", []))
    if ctx.text == SERVICES_DONE or is_word(ctx.text, "tiep", "tiep tuc", "xong", "ok", "het"):
        if not chosen:
            return prompts.again(ctx, "services", data, "Bạn chọn ít nhất một dịch vụ đã hỗ trợ nhé.")
        return after(ctx, data, "services")
    if ctx.text.startswith(SERVICE):
        code = ctx.text.removeprefix(SERVICE)
        data["services"] = [c for c in chosen if c != code] if code in chosen else [*chosen, code]
        return go(ctx, data, "services")
    typed = _numbers_to_codes(ctx.text)
    codes, unknown = parse_services(typed)
    if unknown or not codes:
        shown = ", ".join(f"«{piece}»" for piece in unknown) or "câu trả lời"
        return prompts.again(ctx, "services", data, f"Mình chưa hiểu {shown}. Bạn chạm vào dịch vụ, hoặc gõ mã.")
    data["services"] = [*chosen, *(code for code in codes if code not in chosen)]
    return go(ctx, data, "services")


def _numbers_to_codes(text: str) -> str:
    """Typed "1, 3" means the first and third services of the catalogue, as numbered in the choices."""
    pieces = text.replace(",", " ").split()
    numbers = [small_number(piece, max_digits=3) for piece in pieces]
    if not pieces or None in numbers:
        return text
    return ", ".join(SERVICES[n - 1].code if 0 < n <= len(SERVICES) else str(n) for n in numbers if n is not None)


def on_outcome(ctx: Context, data: dict[str, Any]) -> Reply:
    outcome = find_outcome(ctx.text.removeprefix(OUTCOME))
    if outcome is None:
        return prompts.again(ctx, "outcome", data, "Bạn chọn: Đã xong, Hẹn lại hoặc Từ chối.")
    data["outcome"] = outcome.value
    return after(ctx, data, "outcome")


def on_people(ctx: Context, data: dict[str, Any]) -> Reply:
    people = small_number(ctx.text.strip().rstrip(". ").removesuffix("người").strip(), max_digits=3)
    if people is None or people > MAX_PEOPLE:
        return prompts.again(ctx, "people", data, f"Bạn gõ một số từ 0 đến {MAX_PEOPLE}.")
    data["people"] = people
    return after(ctx, data, "people")


def on_note(ctx: Context, data: dict[str, Any]) -> Reply:
    if ctx.text == SKIP or is_word(ctx.text, "bo qua", "khong", "khong co"):
        data["note"] = ""
    elif problem := check_text(ctx.text, what="ghi chú", limit=MAX_NOTE):
        return prompts.again(ctx, "note", data, problem.capitalize() + ".")
    else:
        data["note"] = mask_personal(ctx.text)
    return after(ctx, data, "note")


def on_location(ctx: Context, data: dict[str, Any]) -> Reply:
    location = ctx.inbound.location
    if location is not None:
        data["location"] = [location.latitude, location.longitude]
    elif ctx.text == SKIP or is_word(ctx.text, "bo qua", "khong"):
        data["location"] = None
    else:
        return prompts.again(ctx, "location", data, "Bạn gửi vị trí, hoặc chọn «Bỏ qua».")
    return after(ctx, data, "location")


def on_confirm(ctx: Context, data: dict[str, Any]) -> Reply:
    if ctx.text == SAVE or is_word(ctx.text, "luu", "dong y", "co", "ok", "xac nhan"):
        return actions.save_from_dialog(ctx, data)
    if ctx.text == EDIT or is_word(ctx.text, "sua", "sua lai"):
        return go(ctx, {**data, "review": True}, "field")
    return prompts.again(ctx, "confirm", data, "Bạn chọn «Lưu», «Sửa lại» hoặc «Hủy».")


def on_field(ctx: Context, data: dict[str, Any]) -> Reply:
    field = ctx.text.removeprefix(FIELD)
    if field not in prompts.FIELDS:
        return prompts.again(ctx, "field", data, "Bạn chọn phần muốn sửa.")
    return go(ctx, data, field)


STEPS = {
    "household": on_household,
    "match": on_match,
    "head": on_head,
    "fix": on_fix,
    "services": on_services,
    "outcome": on_outcome,
    "people": on_people,
    "note": on_note,
    "location": on_location,
    "confirm": on_confirm,
    "field": on_field,
}
