"""One row per visit for `troly report visits`, written as CSV (UTF-8 with BOM) or XLSX.

The BOM is there because Excel, which most ward offices open reports with, reads a CSV without one in the
local code page and garbles every Vietnamese letter; LibreOffice and Python's "utf-8-sig" read it fine.
Both go through bot.spreadsheets, so text members and users typed can never become a live formula.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.spreadsheets import csv_bytes, xlsx_bytes
from handlers.visits.catalogue import OUTCOME_LABELS, Outcome, service_labels
from handlers.visits.models import Visit
from handlers.visits.records import VIETNAM
from handlers.visits.reports import Scope, in_period

HEADER = (
    "Mã lượt",
    "Thời gian",
    "Mã khu vực",
    "Khu vực",
    "Tổ",
    "Thành viên",
    "Địa chỉ hộ",
    "Chủ hộ",
    "Dịch vụ",
    "Kết quả",
    "Số người được hỗ trợ",
    "Ghi chú",
)
Row = tuple[object, ...]


def visit_rows(session: Session, scope: Scope, start: date | None, end: date | None) -> Iterator[Row]:
    """The scope's visits in the period, oldest first, as the cells of the report."""
    query = select(Visit).where(*scope.conditions(), *in_period(start, end)).order_by(Visit.created_at, Visit.id)
    options = (selectinload(Visit.household), selectinload(Visit.area), selectinload(Visit.team))
    for visit in session.scalars(query.options(*options, selectinload(Visit.member))):
        yield (
            visit.id,
            visit.created_at.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M"),
            visit.area.code,
            visit.area.name,
            visit.team.name if visit.team else "",
            visit.member.display_name or f"thành viên #{visit.member_id}",
            visit.household.address,
            visit.household.head_name,
            "; ".join(service_labels(visit.service_codes)),
            OUTCOME_LABELS[Outcome(visit.outcome)],
            visit.people_helped,
            visit.note,
        )


WIDTHS = (8, 17, 12, 20, 28, 20, 32, 22, 40, 10, 10, 40)


def to_csv(rows: Sequence[Row]) -> bytes:
    return csv_bytes(HEADER, rows)


def to_xlsx(rows: Sequence[Row]) -> bytes:
    return xlsx_bytes(HEADER, rows, title="Lượt thăm", widths=WIDTHS)
