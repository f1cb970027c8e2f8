"""The one-line form: `/ghinhan <địa chỉ> ; <chủ hộ> ; <dịch vụ, ...> ; <kết quả> ; <ghi chú>`.

Every part is checked and every problem is reported at once, naming the part, so a member fixes the message
in one go; nothing is saved unless the whole line reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from handlers.visits.catalogue import SERVICES, Outcome, find_outcome, find_service, ordered_codes

MAX_ADDRESS = 300
MAX_NAME = 200
MAX_NOTE = 1000
SERVICE_SEPARATORS = re.compile(r"[,/+\n]| và ")
CODES_HINT = ", ".join(service.code for service in SERVICES)
OUTCOMES_HINT = "xong, hẹn lại, từ chối"
FORM_HINT = "/ghinhan địa chỉ ; chủ hộ ; dịch vụ, dịch vụ ; kết quả ; ghi chú"


@dataclass(frozen=True, slots=True)
class VisitDraft:
    """What a member reported, validated but not yet saved."""

    address: str
    head_name: str
    services: tuple[str, ...]
    outcome: Outcome
    people_helped: int
    note: str = ""
    household_id: int | None = None


@dataclass
class FormError(Exception):
    """The line could not be read; `problems` name each part that failed."""

    problems: list[str] = field(default_factory=list)


def default_people(outcome: Outcome) -> int:
    """The one-line form has no head count: one person helped, none when the household declined."""
    return 0 if outcome is Outcome.DECLINED else 1


def parse_services(text: str) -> tuple[list[str], list[str]]:
    """(codes recognised in catalogue order, pieces not recognised) from "vneid, mức 2 và dvc"."""
    codes: set[str] = set()
    unknown: list[str] = []
    for piece in SERVICE_SEPARATORS.split(text):
        piece = piece.strip(" .;")
        if not piece:
            continue
        code = find_service(piece)
        if code is None:
            unknown.append(piece[:40])
        else:
            codes.add(code)
    return ordered_codes(codes), unknown


def check_text(value: str, *, what: str, limit: int, required: bool = True) -> str | None:
    """A problem with one free-text part, or None."""
    if required and not value:
        return f"thiếu {what}"
    if len(value) > limit:
        return f"{what} dài quá ({len(value)} ký tự, tối đa {limit})"
    return None


def parse_form(args: str) -> VisitDraft:
    """Read the line after /ghinhan, or raise FormError listing every part that could not be read."""
    parts = [part.strip() for part in args.split(";", 4)]
    if len(parts) < 4:
        raise FormError(
            [f"cần ít nhất 4 phần cách nhau bằng dấu chấm phẩy (;), mình chỉ thấy {len(parts)}. Mẫu: {FORM_HINT}"]
        )
    address, head, services_text, outcome_text = parts[:4]
    note = parts[4] if len(parts) > 4 else ""
    problems: list[str] = []
    if problem := check_text(address, what="địa chỉ", limit=MAX_ADDRESS):
        problems.append(f"Phần 1 (địa chỉ): {problem}")
    if problem := check_text(head, what="tên chủ hộ", limit=MAX_NAME):
        problems.append(f"Phần 2 (chủ hộ): {problem}")
    codes, unknown = parse_services(services_text)
    if unknown:
        listed = ", ".join(f"«{piece}»" for piece in unknown)
        problems.append(f"Phần 3 (dịch vụ): mình chưa hiểu {listed}. Các mã dùng được: {CODES_HINT}")
    elif not codes:
        problems.append(f"Phần 3 (dịch vụ): chưa có dịch vụ nào. Các mã dùng được: {CODES_HINT}")
    outcome = find_outcome(outcome_text)
    if outcome is None:
        shown = f"«{outcome_text[:40]}»" if outcome_text else "phần trống"
        problems.append(f"Phần 4 (kết quả): mình chưa hiểu {shown}. Dùng một trong: {OUTCOMES_HINT}")
    if problem := check_text(note, what="ghi chú", limit=MAX_NOTE, required=False):
        problems.append(f"Phần 5 (ghi chú): {problem}")
    if problems or outcome is None:
        raise FormError(problems)
    return VisitDraft(address, head, tuple(codes), outcome, default_people(outcome), note)
