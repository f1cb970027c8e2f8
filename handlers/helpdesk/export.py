"""`troly report requests`: one row per request (CSV with BOM for Excel, XLSX with a summary sheet) or JSON.

Every cell goes through `safe_cell`: a text starting with =, +, - or @ is one a spreadsheet would run as a
formula (CSV injection), so it gets a leading apostrophe. This is the one place to switch to the core's shared
helper once it lands (issue 15b adds one for every export).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from openpyxl import Workbook

from handlers.helpdesk import places, reports, store
from handlers.helpdesk.closing import REASONS
from handlers.helpdesk.models import HelpRequest

HEADER = (
    "Số", "Gửi lúc", "Mã khu vực", "Khu vực", "Tổ", "Người nhận", "Trạng thái", "Nội dung", "Dịch vụ",
    "Muốn đến nhà", "Có số điện thoại", "Nhận lúc", "Phút chờ nhận", "Kết thúc lúc", "Phút đến khi xong",
    "Lý do kết thúc", "Mức chuyển cấp", "Đánh giá", "Góp ý", "Số lần mở lại", "Mã lượt thăm",
)  # fmt: skip
JSON_KEYS = (
    "id", "created_at", "area_code", "area", "team", "assignee", "status", "need", "service", "wants_visit",
    "has_phone", "taken_at", "minutes_to_take", "closed_at", "minutes_to_close", "close_reason", "escalation",
    "rating", "comment", "reopened", "visit_id",
)  # fmt: skip
STATUS = {"open": "đang chờ", "taken": "đang hỗ trợ", "closed": "đã xong"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
Row = tuple[object, ...]


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _time(moment: datetime | None, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def rows(requests: Sequence[HelpRequest], zone: tzinfo) -> list[Row]:
    found: list[Row] = []
    for r in requests:
        found.append((
            r.id, _time(r.created_at, zone), r.area.code, places.label(r.area), r.team.name if r.team else "",
            store.helper_name(r.assignee) if r.assignee else "", STATUS.get(r.status, r.status), r.need,
            r.service_code, "có" if r.wants_visit else "không", "có" if r.phone else "không",
            _time(r.first_taken_at, zone), _blank(reports.minutes(r.created_at, r.first_taken_at)),
            _time(r.closed_at, zone), _blank(reports.minutes(r.created_at, r.closed_at)),
            REASONS.get(r.close_reason, r.close_reason),
            r.escalation, r.rating or "", r.rating_comment, r.reopened, r.visit_id or "",
        ))  # fmt: skip
    return found


def _blank(value: object) -> object:
    return "" if value is None else value


def _safe(table: Sequence[Row]) -> list[Row]:
    return [tuple(safe_cell(cell) for cell in row) for row in table]


def to_csv(table: Sequence[Row]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(_safe(table))
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(table: Sequence[Row], summary: dict[str, Any]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Yêu cầu hỗ trợ"
    sheet.append(HEADER)
    for row in _safe(table):
        sheet.append(list(row))
    sheet.freeze_panes = "A2"
    totals = workbook.create_sheet("Tổng hợp")
    for key, value in summary.items():
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value
        totals.append([key, safe_cell(shown)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_json(table: Sequence[Row], summary: dict[str, Any]) -> bytes:
    requests = [dict(zip(JSON_KEYS, row, strict=True)) for row in table]
    return json.dumps({"summary": summary, "requests": requests}, ensure_ascii=False, indent=2).encode()
