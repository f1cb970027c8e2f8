"""The visits page of the web console (registered with the `console_pages` hook; see bot/console.py).

Filters by area, team, member, service, outcome and dates; 50 rows a page, most recently logged first, walking
the primary key backwards (no sort of a province's million visits), "Trang sau" by keyset (`truoc=<id>`, no
OFFSET to walk); CSV or XLSX export of exactly the filtered rows, streamed. Every value of the query string is
checked: an area outside the viewer's scope is refused (403), anything malformed gets a
Vietnamese message (400), and nothing reaches SQL except as a bound parameter.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from bot.app import Troly
from bot.console import ConsoleDenied, ConsoleInvalid, ConsolePage, ConsoleRequest, ConsoleResult, Download, Page
from bot.spreadsheets import safe_row
from bot.storage.models import Area, Team, User
from handlers.visits.catalogue import OUTCOME_LABELS, SERVICE_BY_CODE, SERVICES, Outcome, service_labels
from handlers.visits.export import HEADER
from handlers.visits.models import Household, Visit, VisitService
from handlers.visits.records import VIETNAM
from handlers.visits.reports import in_period

PAGE_SIZE = 50
MAX_PAGE = 10_000
COUNT_CAP = 1_000  # "more than 1 000": counting a province's million rows exactly costs more than it tells
TEMPLATES = Path(__file__).parent / "templates"


def console_pages(troly: Troly) -> list[ConsolePage]:
    return [ConsolePage("luot-tham", "Lượt hỗ trợ", show_visits, template_dir=TEMPLATES, order=10)]


@dataclass(frozen=True, slots=True)
class Filters:
    area: Area | None
    team_id: int | None
    member_id: int | None
    service: str
    outcome: str
    start: date | None
    end: date | None
    page: int
    before: int | None = None  # keyset: the rows logged before this visit id ("Trang sau")

    def as_query(self) -> dict[str, str]:
        values = {
            "area": self.area.code if self.area else "",
            "to": str(self.team_id or ""),
            "tv": str(self.member_id or ""),
            "dv": self.service,
            "kq": self.outcome,
            "tu": self.start.isoformat() if self.start else "",
            "den": self.end.isoformat() if self.end else "",
        }
        return {key: value for key, value in values.items() if value}


def _int(text: str, label: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise ConsoleInvalid(f"Giá trị lọc «{text[:30]}» cho {label} không hợp lệ.")
    return int(text)


def _date(text: str, label: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConsoleInvalid(f"Ngày «{text[:30]}» ({label}) không hợp lệ; dùng dạng năm-tháng-ngày.") from None


def parse_filters(request: ConsoleRequest) -> Filters:
    query, viewer, session = request.query, request.viewer, request.session
    code = query.get("area", "").strip()[:40]
    area = session.scalar(select(Area).where(Area.code == code)) if code else None
    if code and (area is None or not viewer.may_see(area.id)):
        raise ConsoleDenied("Bạn không có quyền xem khu vực này.")
    service, outcome = query.get("dv", "").strip(), query.get("kq", "").strip()
    if service and service not in SERVICE_BY_CODE:
        raise ConsoleInvalid("Dịch vụ cần lọc không có trong danh mục.")
    if outcome and outcome not in {item.value for item in Outcome}:
        raise ConsoleInvalid("Kết quả cần lọc không hợp lệ.")
    start, end = _date(query.get("tu", ""), "từ ngày"), _date(query.get("den", ""), "đến ngày")
    if start and end and start > end:
        raise ConsoleInvalid("«Từ ngày» phải trước hoặc bằng «đến ngày».")
    page = _int(query.get("trang", ""), "trang") or 1
    if page > MAX_PAGE:
        raise ConsoleInvalid(f"Số trang quá lớn (tối đa {MAX_PAGE}); hãy lọc hẹp hơn.")
    team_id, member_id = _int(query.get("to", ""), "tổ"), _int(query.get("tv", ""), "thành viên")
    before = _int(query.get("truoc", ""), "trang sau")
    return Filters(area, team_id, member_id, service, outcome, start, end, max(page, 1), before)


def filtered(session: Session, request: ConsoleRequest, filters: Filters) -> Select[Any]:
    """The WHERE of every view of the list: the viewer's scope, then the filters (all bound parameters)."""
    query = select(Visit.id).where(Visit.deleted_at.is_(None), *in_period(filters.start, filters.end))
    scope = request.viewer.area_ids
    if filters.area is not None:
        from bot.areas import subtree_ids

        wanted = set(subtree_ids(session, filters.area.id))
        scope = frozenset(wanted if scope is None else wanted & scope)
    if scope is not None and len(scope) < (session.scalar(select(func.count()).select_from(Area)) or 0):
        query = query.where(Visit.area_id.in_(sorted(scope)))  # (a scope of every area needs no condition)
    if filters.team_id is not None:
        query = query.where(Visit.team_id == filters.team_id)
    if filters.member_id is not None:
        query = query.where(Visit.member_id == filters.member_id)
    if filters.outcome:
        query = query.where(Visit.outcome == filters.outcome)
    if filters.service:
        has = exists().where(VisitService.visit_id == Visit.id, VisitService.service_code == filters.service)
        query = query.where(has)
    return query


def _rows(session: Session, ids: Select[Any], limit: int | None, offset: int) -> Iterator[tuple[object, ...]]:
    """The export's cells for the visits chosen by `ids` (newest first), joined in the database."""
    chosen = ids.add_columns(
        Visit.created_at, Area.code, Area.name, Team.name, User.display_name, Visit.member_id,
        Household.address, Household.head_name, Visit.outcome, Visit.people_helped, Visit.note,
    ).join(Area, Area.id == Visit.area_id).join(User, User.id == Visit.member_id)  # fmt: skip
    chosen = chosen.join(Household, Household.id == Visit.household_id).outerjoin(Team, Team.id == Visit.team_id)
    chosen = chosen.order_by(Visit.id.desc()).offset(offset)  # the primary key: no sort of a province's visits
    if limit is not None:
        chosen = chosen.limit(limit)
    batch: list[Any] = []
    for row in session.execute(chosen.execution_options(yield_per=1000)):
        batch.append(row)
        if len(batch) == 1000:
            yield from _cells(session, batch)
            batch = []
    yield from _cells(session, batch)


def _cells(session: Session, batch: list[Any]) -> Iterator[tuple[object, ...]]:
    if not batch:
        return
    services: dict[int, list[str]] = {}
    ids = [row[0] for row in batch]
    for visit_id, code in session.execute(
        select(VisitService.visit_id, VisitService.service_code).where(VisitService.visit_id.in_(ids))
    ):
        services.setdefault(visit_id, []).append(code)
    for row in batch:
        (visit_id, created, area_code, area_name, team, member, member_id, address, head, outcome, people, note) = row
        yield (
            visit_id, created.astimezone(VIETNAM).replace(tzinfo=None), area_code, area_name, team or "",
            member or f"thành viên #{member_id}", address, head, "; ".join(service_labels(services.get(visit_id, []))),
            OUTCOME_LABELS[Outcome(outcome)], people, note,
        )  # fmt: skip


def show_visits(request: ConsoleRequest) -> ConsoleResult:
    filters = parse_filters(request)
    session = request.session
    ids = filtered(session, request, filters)
    export = request.query.get("xuat", "")
    if export in {"csv", "xlsx"}:
        request.audit("visits.export", details={"format": export, **filters.as_query()})
        return _export(session, ids, export)
    total = session.scalar(select(func.count()).select_from(ids.limit(COUNT_CAP + 1).subquery())) or 0
    if filters.before is not None:  # keyset pagination: no OFFSET to walk, whatever the page
        rows = list(_rows(session, ids.where(Visit.id < filters.before), PAGE_SIZE, 0))
    else:
        rows = list(_rows(session, ids, PAGE_SIZE, (filters.page - 1) * PAGE_SIZE))
    context = {
        "rows": rows,
        "total": total,
        "capped": total > COUNT_CAP,
        "filters": filters,
        "query": filters.as_query(),
        "pages": max((min(total, COUNT_CAP) + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        "next_before": rows[-1][0] if len(rows) == PAGE_SIZE else None,
        "services": SERVICES,
        "outcomes": OUTCOME_LABELS,
        "teams": _teams(session, request),
    }
    return Page("visits/list.html", context)


def _teams(session: Session, request: ConsoleRequest) -> list[tuple[int, str]]:
    query = select(Team.id, Team.name).order_by(Team.name).limit(500)
    if request.viewer.area_ids is not None:
        query = query.where(Team.area_id.in_(sorted(request.viewer.area_ids)))
    return [(team_id, name) for team_id, name in session.execute(query)]


def _export(session: Session, ids: Select[Any], kind: str) -> Download:
    stamp = date.today().strftime("%Y%m%d")
    if kind == "csv":
        return Download(f"luot-tham-{stamp}.csv", "text/csv; charset=utf-8", _csv(session, ids))
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Download(f"luot-tham-{stamp}.xlsx", xlsx, _xlsx(session, ids))


def _csv(session: Session, ids: Select[Any]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(HEADER)
    for row in _rows(session, ids, None, 0):
        cells = safe_row(row)
        cells[1] = row[1].strftime("%Y-%m-%d %H:%M")  # type: ignore[attr-defined]
        writer.writerow(cells)
        if buffer.tell() > 65536:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _xlsx(session: Session, ids: Select[Any]) -> Iterator[bytes]:
    """openpyxl's write-only mode keeps rows on disk, not in memory; the file is streamed when complete.
    openpyxl is imported here: only a download of the visits as XLSX needs it."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Lượt thăm")
    sheet.freeze_panes = "A2"
    sheet.append(list(HEADER))
    count = 0
    for row in _rows(session, ids, None, 0):
        sheet.append(safe_row(row))
        count += 1
    sheet.auto_filter.ref = f"A1:L{count + 1}"
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(65536):
            yield chunk
