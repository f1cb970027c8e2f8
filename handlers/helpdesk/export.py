"""`troly report requests`: one row per request (CSV with BOM for Excel, XLSX with a summary sheet) or JSON.

CSV and XLSX are written by the core's bot.spreadsheets, which neutralises text a spreadsheet would run as a
formula (CSV injection: a request typed as "=HYPERLINK(...)"); JSON keeps the text as it was typed (masked).
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import Any

from bot import spreadsheets
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
Row = tuple[object, ...]


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


def to_csv(table: Sequence[Row]) -> bytes:
    return spreadsheets.csv_bytes(HEADER, table)


def to_xlsx(table: Sequence[Row], summary: dict[str, Any]) -> bytes:
    """The requests (bot.spreadsheets), with a second sheet of the summary."""
    from openpyxl import load_workbook  # only when an XLSX is written: other commands start without it

    workbook = load_workbook(io.BytesIO(spreadsheets.xlsx_bytes(HEADER, table, title="Yêu cầu hỗ trợ")))
    totals = workbook.create_sheet("Tổng hợp")
    for key, value in summary.items():
        shown = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else value
        totals.append(spreadsheets.safe_row([key, shown]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_json(table: Sequence[Row], summary: dict[str, Any]) -> bytes:
    requests = [dict(zip(JSON_KEYS, row, strict=True)) for row in table]
    return json.dumps({"summary": summary, "requests": requests}, ensure_ascii=False, indent=2).encode()
