"""/nhotro and plain words ("gặp người thật"): at most four short steps, then a numbered request.

What is needed (pre-filled with the words typed, or the last question the bot could not answer, or a service
of the visit catalogue, or free text), where (the subscribed area, else the ward then the village), how to be
reached (in this chat by default, or a phone number given with consent; Telegram's contact button), and
whether a home visit is wanted. The dialog lives in the core's store: a restart loses nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.context import Context, Reply
from bot.extensions import SERVICE_CATALOGUE
from bot.messages import Choice, Outbound
from bot.privacy import mask_personal, mask_phone, vietnamese_phone
from bot.storage.models import Area, AreaLevel
from bot.textutil import fold
from handlers.helpdesk import places, routing, store, texts
from handlers.helpdesk.models import HelpDraft, HelpRequest, Status
from handlers.helpdesk.store import Notifier

NAME = "nhotro"
PREFIX = "hd:"
LAST, SERVICE, AREA = "hd:cu", "hd:dv:", "hd:kv:"
BY_CHAT, BY_PHONE, VISIT_YES, VISIT_NO = "hd:lh:chat", "hd:lh:so", "hd:nha:co", "hd:nha:khong"
MAX_NEED = 500
DRAFT_FRESH = timedelta(hours=2)


def start(ctx: Context, need: str = "", origin: str = "command") -> Reply:
    """Begin a request; `need` (typed after /nhotro or with the plain words) skips the first question."""
    active = store.count_active(ctx.session, ctx.user.id)
    limit = ctx.troly.settings.helpdesk_max_open
    if active >= limit:
        return texts.TOO_MANY.format(count=active, limit=limit)
    data: dict[str, Any] = {"origin": origin}
    if need and meaningful(need):
        data["need"] = mask_personal(need)[:MAX_NEED]
        return after_need(ctx, data)
    return ask(ctx, data, "need")


def meaningful(text: str) -> bool:
    return sum(ch.isalnum() for ch in text) >= 2


def ask(ctx: Context, data: dict[str, Any], step: str, problem: str = "") -> Outbound:
    if ctx.dialog is None or ctx.dialog.name != NAME:
        ctx.start_dialog(NAME, step, data)
    else:
        ctx.update_dialog(step, data)
    question = PROMPTS[step](ctx, data)
    if problem:
        return Outbound(f"{problem}\n\n{question.text}", question.choices, request_contact=question.request_contact)
    return question


def handle(ctx: Context) -> Reply:
    dialog = ctx.dialog
    assert dialog is not None
    data = dict(dialog.data)
    step = STEPS.get(dialog.step)
    if step is None:
        ctx.end_dialog()
        return "Yêu cầu đang soạn bị gián đoạn, chưa có gì được gửi. Bạn gửi lại /nhotro nhé."
    if dialog.step != "phone" and not ctx.text:
        return ask(ctx, data, dialog.step, texts.CHOOSE_ONE)
    return step(ctx, data)


def _last_question(ctx: Context) -> str:
    draft = ctx.session.get(HelpDraft, ctx.user.id)
    return draft.question if draft is not None and ctx.now - draft.at <= DRAFT_FRESH else ""


def _need_prompt(ctx: Context, data: dict[str, Any]) -> Outbound:
    last = _last_question(ctx)
    choices = [Choice(f"«{texts.short(last, 50)}»", LAST)] if last else []
    choices += [Choice(s.label, f"{SERVICE}{s.code}") for s in ctx.troly.extensions[SERVICE_CATALOGUE]]
    return Outbound(texts.ASK_NEED_WITH_LAST if last else texts.ASK_NEED, tuple(choices))


def on_need(ctx: Context, data: dict[str, Any]) -> Reply:
    services = {s.code: s.label for s in ctx.troly.extensions[SERVICE_CATALOGUE]}
    if ctx.text == LAST and _last_question(ctx):
        data["need"] = _last_question(ctx)
    elif ctx.text.startswith(SERVICE) and ctx.text.removeprefix(SERVICE) in services:
        data["service"] = ctx.text.removeprefix(SERVICE)
        data["need"] = services[data["service"]]
    elif ctx.text.startswith(PREFIX) or not meaningful(ctx.text):
        return ask(ctx, data, "need", texts.EMPTY_NEED)
    elif len(ctx.text) > MAX_NEED:
        return ask(ctx, data, "need", f"Bạn mô tả ngắn hơn nhé (tối đa {MAX_NEED} ký tự).")
    else:
        data["need"] = mask_personal(ctx.text)
    return after_need(ctx, data)


def after_need(ctx: Context, data: dict[str, Any]) -> Reply:
    home = ctx.user.subscribed_area_id or ctx.user.area_id
    if home is not None:
        data["area_id"] = home
        return ask(ctx, data, "contact")
    if not places.communes(ctx.session):
        ctx.end_dialog()
        return texts.NO_AREAS + ctx.help_line()
    return ask(ctx, data, "commune")


def _commune_prompt(ctx: Context, data: dict[str, Any]) -> Outbound:
    options = places.communes(ctx.session)
    if len(options) > places.MAX_CHOICES:
        return Outbound(texts.ASK_COMMUNE_BY_NAME)
    return Outbound(texts.ASK_COMMUNE, tuple(Choice(places.label(a), f"{AREA}{a.id}") for a in options))


def _village_prompt(ctx: Context, data: dict[str, Any]) -> Outbound:
    commune = ctx.session.get(Area, data["commune_id"])
    assert commune is not None
    options = [Choice(a.name, f"{AREA}{a.id}") for a in places.villages(ctx.session, commune.id)]
    options.append(Choice("Không rõ / cả phường, xã", f"{AREA}{commune.id}"))
    return Outbound(texts.ASK_VILLAGE.format(commune=commune.name), tuple(options[: places.MAX_CHOICES + 1]))


def on_area(ctx: Context, data: dict[str, Any]) -> Reply:
    step = ctx.dialog.step if ctx.dialog else "commune"
    if ctx.text.startswith(AREA) and ctx.text.removeprefix(AREA).isdigit():
        found = [area] if (area := ctx.session.get(Area, int(ctx.text.removeprefix(AREA)))) else []
    else:
        level = AreaLevel.COMMUNE if step == "commune" else None
        found = places.find_areas(ctx.session, ctx.text, level, data.get("commune_id") if step == "village" else None)
    if len(found) != 1:
        if found and step == "commune":
            choices = tuple(Choice(places.label(a), f"{AREA}{a.id}") for a in found)
            return Outbound(f"Có vài nơi gần giống «{texts.short(ctx.text, 40)}». Bạn chọn một nhé:", choices)
        return ask(ctx, data, step, texts.AREA_NOT_FOUND.format(query=texts.short(ctx.text, 40)))
    area = found[0]
    if step == "commune" and area.level is not AreaLevel.VILLAGE and places.villages(ctx.session, area.id):
        data["commune_id"] = area.id
        return ask(ctx, data, "village")
    data["area_id"] = area.id
    return ask(ctx, data, "contact")


def _contact_prompt(ctx: Context, data: dict[str, Any]) -> Outbound:
    choices = (Choice("💬 Nhắn qua đây", BY_CHAT), Choice("📞 Để lại số điện thoại", BY_PHONE))
    return Outbound(texts.ASK_CONTACT, choices)


def on_contact(ctx: Context, data: dict[str, Any]) -> Reply:
    folded = fold(ctx.text)
    if ctx.text == BY_PHONE or "so" in folded.split() or "dien thoai" in folded or "goi" in folded.split():
        return ask(ctx, data, "phone")
    if phone := vietnamese_phone(ctx.text):
        data["phone"] = phone
        return ask(ctx, data, "visit")
    if ctx.text == BY_CHAT or "nhan" in folded.split() or "chat" in folded or "tin" in folded.split():
        data["phone"] = None
        return ask(ctx, data, "visit")
    return ask(ctx, data, "contact", texts.CHOOSE_ONE)


def _phone_prompt(ctx: Context, data: dict[str, Any]) -> Outbound:
    text = texts.ASK_PHONE.format(days=ctx.troly.settings.helpdesk_phone_days)
    return Outbound(text, (Choice("Thôi, nhắn qua đây", BY_CHAT),), request_contact=True)


def on_phone(ctx: Context, data: dict[str, Any]) -> Reply:
    if ctx.text == BY_CHAT:
        data["phone"] = None
        return ask(ctx, data, "visit")
    given = ctx.inbound.contact or ctx.text
    if not given:
        return ask(ctx, data, "phone", "Bạn gõ số điện thoại, hoặc chọn «Thôi, nhắn qua đây».")
    phone = vietnamese_phone(given)
    if phone is None:
        return ask(ctx, data, "phone", texts.BAD_PHONE.format(shown=texts.short(mask_phone(given), 30)))
    data["phone"] = phone
    return ask(ctx, data, "visit")


def _visit_prompt(ctx: Context, data: dict[str, Any]) -> Outbound:
    return Outbound(texts.ASK_VISIT, (Choice("🏠 Có, mời đến nhà", VISIT_YES), Choice("Không cần", VISIT_NO)))


def on_visit(ctx: Context, data: dict[str, Any]) -> Reply:
    folded = fold(ctx.text).strip(" .!")
    if ctx.text == VISIT_YES or folded in {"co", "co a", "can", "den nha", "co can"}:
        data["visit"] = True
    elif ctx.text == VISIT_NO or folded in {"khong", "khong can", "ko", "k", "thoi"}:
        data["visit"] = False
    else:
        return ask(ctx, data, "visit", texts.CHOOSE_ONE)
    return create(ctx, data)


def create(ctx: Context, data: dict[str, Any]) -> Reply:
    """Store the request and send it to the area's teams, in this message's transaction."""
    ctx.end_dialog()
    limit = ctx.troly.settings.helpdesk_max_open
    if (active := store.count_active(ctx.session, ctx.user.id)) >= limit:
        return texts.TOO_MANY.format(count=active, limit=limit)
    request = HelpRequest(
        citizen_id=ctx.user.id, area_id=int(data["area_id"]), status=Status.OPEN.value, need=str(data["need"]),
        service_code=str(data.get("service") or ""), origin=str(data.get("origin", "command"))[:16],
        phone=data.get("phone"), wants_visit=bool(data.get("visit")), created_at=ctx.now, queued_at=ctx.now,
        close_reason="", escalation=0, appointment_state="", rating_comment="", reopened=0, handovers=0,
    )  # fmt: skip
    ctx.session.add(request)
    ctx.session.flush()
    store.record(ctx.session, request, "opened", ctx.now, ctx.user, phone=bool(request.phone))
    draft = ctx.session.get(HelpDraft, ctx.user.id)
    if draft is not None:
        ctx.session.delete(draft)
    notifier = Notifier.of(ctx)
    if routing.announce(notifier, request) == 0:
        return texts.CREATED_NOBODY.format(number=request.id, help_line=ctx.help_line())
    return texts.CREATED.format(number=request.id, team=routing.team_label(notifier, request))


def stale_button(ctx: Context) -> Reply:
    return "Nút này thuộc một yêu cầu đã gửi hoặc đã hủy. Cần người hỗ trợ, bạn gửi /nhotro nhé."


def is_stale_button(text: str) -> bool:
    return text.startswith(PREFIX)


PROMPTS = {
    "need": _need_prompt,
    "commune": _commune_prompt,
    "village": _village_prompt,
    "contact": _contact_prompt,
    "phone": _phone_prompt,
    "visit": _visit_prompt,
}
STEPS = {
    "need": on_need,
    "commune": on_area,
    "village": on_area,
    "contact": on_contact,
    "phone": on_phone,
    "visit": on_visit,
}
