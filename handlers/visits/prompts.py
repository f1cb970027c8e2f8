"""The question of each dialog step, with its choices, and the summary shown before saving.

Choice values carry a "gn:" prefix so a stale tap (a button of a finished dialog) is recognised and answered
politely instead of being taken for a question; all values stay far below Telegram's 64-byte callback limit.
"""

from __future__ import annotations

from typing import Any

from bot.context import Context
from bot.messages import Choice, Outbound
from bot.textutil import fold
from handlers.visits import households, links
from handlers.visits.catalogue import OUTCOME_LABELS, SERVICES, Outcome, service_labels
from handlers.visits.models import Household

PREFIX = "gn:"
PICK = "gn:hh:"
NEW = "gn:moi"
SERVICE = "gn:dv:"
SERVICES_DONE = "gn:tiep"
OUTCOME = "gn:kq:"
SKIP = "gn:boqua"
SAVE = "gn:luu"
EDIT = "gn:sua"
FIELD = "gn:f:"
FIX_SAME = "gn:hh-sua"
FIX_OTHER = "gn:hh-khac"
CANCEL = "huy"  # the core's cancel word: tapping it cancels the dialog like /huy

FIELDS = {
    "household": "Hộ dân",
    "services": "Dịch vụ",
    "outcome": "Kết quả",
    "people": "Số người được hỗ trợ",
    "note": "Ghi chú",
    "location": "Vị trí",
}
SKIP_CHOICE = Choice("Bỏ qua", SKIP)


def is_word(text: str, *words: str) -> bool:
    """Whether the typed answer is one of `words` (folded: "Bỏ qua" = "bo qua")."""
    return fold(text).strip(" .!") in words


def prompt(ctx: Context, step: str, data: dict[str, Any]) -> Outbound:
    builder = _BUILDERS[step]
    return builder(ctx, data)


def again(ctx: Context, step: str, data: dict[str, Any], problem: str) -> Outbound:
    """The same question once more, after saying what was wrong with the answer."""
    asked = prompt(ctx, step, data)
    return Outbound(f"{problem}\n\n{asked.text}", asked.choices, asked.request_location)


def _household(ctx: Context, data: dict[str, Any]) -> Outbound:
    recent = households.recent_for_member(ctx.session, ctx.user.id)
    text = (
        "Ghi nhận lượt thăm hộ dân (gửi /huy để hủy bất cứ lúc nào, không có gì được lưu).\n\n"
        "Hộ dân nào? Gõ địa chỉ, ví dụ: Số 12 ngõ 5 Trần Phú"
    )
    offered = links.choices(data)
    if offered:
        text = text.replace("Hộ dân nào?", "Lượt thăm này cho yêu cầu hỗ trợ bên dưới? Nếu không, hộ dân nào?")
    elif data.get("link"):
        text = f"Lượt thăm cho {links.label_of(data)}.\n{text}"
    if recent:
        text += "\nhoặc chọn một hộ bạn đã thăm gần đây:"
    return Outbound(text, (*offered, *(Choice(households.label(item), f"{PICK}{item.id}") for item in recent)))


def _match(ctx: Context, data: dict[str, Any]) -> Outbound:
    found = [item for i in data.get("suggested", []) if (item := ctx.session.get(Household, i)) is not None]
    choices = [Choice(households.label(item), f"{PICK}{item.id}") for item in found]
    return Outbound(
        f"Địa chỉ «{data.get('address', '')}» giống hộ đã có trong danh sách. Có phải một trong các hộ này không?",
        (*choices, Choice("Không, đây là hộ mới", NEW)),
    )


def _head(ctx: Context, data: dict[str, Any]) -> Outbound:
    return Outbound(f"Hộ mới ở «{data.get('address', '')}». Tên chủ hộ là gì? (ví dụ: Nguyễn Văn An)")


def _services(ctx: Context, data: dict[str, Any]) -> Outbound:
    chosen = set(data.get("services", []))
    picked = "; ".join(service_labels(list(chosen))) or "chưa có"
    text = (
        "Bạn đã hỗ trợ những việc gì? Chạm vào từng dịch vụ (chạm lại để bỏ chọn), xong thì chọn «Tiếp tục». "
        "Cũng có thể gõ mã, ví dụ: vneid, muc2\n"
        f"Đã chọn: {picked}"
    )
    choices = [Choice(("✅ " if s.code in chosen else "") + s.label, f"{SERVICE}{s.code}") for s in SERVICES]
    return Outbound(text, (*choices, Choice("➡️ Tiếp tục", SERVICES_DONE)))


def _fix(ctx: Context, data: dict[str, Any]) -> Outbound:
    current_id = data.get("edit_household_id")
    current = ctx.session.get(Household, current_id) if current_id else None
    shown = households.label(current, limit=80) if current is not None else "cũ"
    typed = f"{data.get('address', '')} – {data.get('head_name', '')}"
    return Outbound(
        f"Hộ «{shown}» còn có lượt thăm khác. «{typed}» là cách viết đúng của chính hộ đó, hay là một hộ khác?",
        (Choice("✏️ Sửa cách viết của hộ này", FIX_SAME), Choice("🏠 Đây là hộ khác", FIX_OTHER)),
    )


def _outcome(ctx: Context, data: dict[str, Any]) -> Outbound:
    choices = tuple(Choice(label, f"{OUTCOME}{outcome.value}") for outcome, label in OUTCOME_LABELS.items())
    return Outbound("Kết quả lần này thế nào?", choices)


def _people(ctx: Context, data: dict[str, Any]) -> Outbound:
    numbers = tuple(Choice(str(n), str(n)) for n in range(1, 6))
    return Outbound("Bạn đã hỗ trợ bao nhiêu người trong hộ? Chạm vào một số, hoặc gõ số (0 nếu không ai).", numbers)


def _note(ctx: Context, data: dict[str, Any]) -> Outbound:
    return Outbound(
        "Bạn có muốn ghi chú gì thêm không? (không bắt buộc) "
        "Xin đừng ghi số định danh cá nhân; số điện thoại sẽ được che bớt, chỉ giữ 3 số cuối.",
        (SKIP_CHOICE,),
    )


def _location(ctx: Context, data: dict[str, Any]) -> Outbound:
    return Outbound(
        "Bạn có thể gửi vị trí hiện tại để tổ biết địa bàn đã đến (không bắt buộc), hoặc chọn «Bỏ qua».",
        (SKIP_CHOICE,),
        request_location=True,
    )


def _confirm(ctx: Context, data: dict[str, Any]) -> Outbound:
    heading = "Bạn kiểm tra lại nội dung sửa:" if data.get("edit_id") else "Bạn kiểm tra lại trước khi lưu:"
    choices = (Choice("💾 Lưu", SAVE), Choice("✏️ Sửa lại", EDIT), Choice("❌ Hủy", CANCEL))
    return Outbound(f"{heading}\n{summary(data)}", choices)


def _field(ctx: Context, data: dict[str, Any]) -> Outbound:
    return Outbound("Bạn muốn sửa phần nào?", tuple(Choice(label, f"{FIELD}{key}") for key, label in FIELDS.items()))


def summary(data: dict[str, Any]) -> str:
    services = "; ".join(service_labels(data.get("services", []))) or "chưa có"
    outcome = data.get("outcome")
    head = data.get("head_name", "")
    lines = [
        f"• Hộ: {data.get('address', '')}"
        + (f" – chủ hộ {head}" if head else "")
        + (" (sửa cách viết của hộ)" if data.get("rename") else ""),
        f"• Dịch vụ: {services}",
        f"• Kết quả: {OUTCOME_LABELS[Outcome(outcome)] if outcome else 'chưa có'}",
        f"• Số người được hỗ trợ: {data.get('people', 1)}",
        f"• Ghi chú: {data.get('note') or '(không có)'}",
        f"• Vị trí: {'đã gửi' if data.get('location') else 'không gửi'}",
    ]
    return "\n".join(lines)


_BUILDERS = {
    "household": _household,
    "match": _match,
    "head": _head,
    "fix": _fix,
    "services": _services,
    "outcome": _outcome,
    "people": _people,
    "note": _note,
    "location": _location,
    "confirm": _confirm,
    "field": _field,
}
