"""One row per visit for `troly report visits`, written as CSV (UTF-8 with BOM) or XLSX, streamed.

A province's month is tens of thousands of visits: the rows come from one joined SELECT read in batches (a
server-side cursor on PostgreSQL) and go straight to the file (bot.spreadsheets streams them, each row into the
zip as it comes), so memory stays flat whatever the size of the export. Like every spreadsheet troly writes,
text members and users typed can never become a live formula (bot.spreadsheets.safe_cell).

The BOM is there because Excel, which most ward offices open reports with, reads a CSV without one in the
local code page and garbles every Vietnamese letter; LibreOffice and Python's "utf-8-sig" read it fine.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from datetime import date
from functools import cache
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import spreadsheets
from bot.storage.models import Area, Team, User
from handlers.visits.catalogue import OUTCOME_LABELS, service_labels
from handlers.visits.models import Household, Visit
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
WIDTHS = (8, 17, 12, 20, 28, 20, 32, 22, 40, 10, 10, 40)
SHEET = "Lượt thăm"
BATCH = 2000  # rows fetched at a time
Row = tuple[object, ...]
OUTCOMES = {outcome.value: label for outcome, label in OUTCOME_LABELS.items()}
COLUMNS: tuple[Any, ...] = (Visit.id, Visit.created_at, Area.code, Area.name, Team.name, User.display_name)
COLUMNS += (Visit.member_id, Household.address, Household.head_name, Visit.service_list, Visit.outcome)
COLUMNS += (Visit.people_helped, Visit.note)


def visit_rows(session: Session, scope: Scope, start: date | None, end: date | None) -> Iterator[Row]:
    """The scope's visits in the period, oldest first, as the cells of the report, read `BATCH` at a time."""
    query = (
        select(*COLUMNS)
        .join(Area, Area.id == Visit.area_id)
        .outerjoin(Team, Team.id == Visit.team_id)
        .join(User, User.id == Visit.member_id)
        .join(Household, Household.id == Visit.household_id)
        .where(*scope.conditions(), *in_period(start, end))
        .order_by(Visit.created_at, Visit.id)
    )
    rows = session.execute(query, execution_options={"yield_per": BATCH})
    for visit_id, at, code, area, team, member, member_id, address, head, services, outcome, people, note in rows:
        yield (
            visit_id,
            at.astimezone(VIETNAM).replace(tzinfo=None),  # local time: what a spreadsheet shows
            code,
            area,
            team or "",
            member or f"thành viên #{member_id}",
            address,
            head,
            _services(services),
            OUTCOMES[outcome],
            people,
            note,
        )


@cache
def _services(service_list: str) -> str:
    """ ",cks,vneid," → "Cài đặt VNeID; Chữ ký số từ xa" (a few hundred distinct lists: worth remembering)."""
    return "; ".join(service_labels(service_list.strip(",").split(",")))


def write_csv(rows: Iterable[Row], target: IO[bytes]) -> int:
    """Write the header and rows to a binary stream as they come (formula-safe); returns the number of rows."""
    return spreadsheets.write_csv(HEADER, rows, target)


def write_xlsx(rows: Iterable[Row], target: IO[bytes]) -> int:
    """One sheet, a bold frozen header with a filter, times as real dates; rows written as they come."""
    return spreadsheets.write_xlsx(HEADER, rows, target, title=SHEET, widths=WIDTHS)


def to_csv(rows: Iterable[Row]) -> bytes:
    buffer = io.BytesIO()
    write_csv(rows, buffer)
    return buffer.getvalue()


def to_xlsx(rows: Iterable[Row]) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(rows, buffer)
    return buffer.getvalue()
