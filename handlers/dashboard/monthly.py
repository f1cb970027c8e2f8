"""The monthly report an official hands in, as XLSX: a summary sheet and one sheet per indicator.

Everything in it comes from `figures.monthly_figures`, like the JSON feed. Numbers are numbers, dates are dates
(shown dd/mm/yyyy), shares are fractions shown as percentages, headers are bold and frozen with filters, and each
indicator sheet ends with totals. Text cells go through `bot.spreadsheets.safe_cell` (names typed by people).
"""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.spreadsheets import safe_cell, sheet_title
from handlers.dashboard.figures import Figure, MonthlyReport

ESTIMATE_NOTE = "Ước tính từ các lượt hỗ trợ đã ghi nhận, không phải số liệu điều tra dân số."
SUMMARY_HEADER = (
    "Kỳ báo cáo",
    "Đơn vị",
    "Mã đơn vị",
    "Chỉ số",
    "Kết quả tháng (hộ)",
    "Kết quả tháng (người)",
    "Lũy kế (hộ)",
    "Lũy kế (người)",
    "Dân số làm mốc",
    "Tỷ lệ đạt (ước tính)",
    "Chỉ tiêu",
    "Tỷ lệ so với chỉ tiêu",
    "Hạn chỉ tiêu",
)
UNIT_HEADER = ("Đơn vị", "Mã đơn vị", *SUMMARY_HEADER[4:])
WIDTHS = (12, 30, 14, 34, 12, 12, 12, 12, 14, 12, 10, 14, 13)
BOLD = Font(bold=True)


def monthly_xlsx(report: MonthlyReport) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = "Tổng hợp"
    _summary(summary, report)
    for indicator in report.indicators:
        sheet = workbook.create_sheet(_sheet_title(indicator.name, workbook.sheetnames))
        _indicator_sheet(sheet, report, report.for_indicator(indicator.code))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _summary(sheet: Worksheet, report: MonthlyReport) -> None:
    sheet.append(list(SUMMARY_HEADER))
    root = [figure for figure in report.figures if figure.unit_code == report.area_code]
    for figure in root:
        sheet.append([report.month, *_cells(figure)])
        sheet.cell(sheet.max_row, 1).number_format = "mm/yyyy"
        _formats(sheet, sheet.max_row, first=5)
    _finish(sheet, WIDTHS, len(root))


def _indicator_sheet(sheet: Worksheet, report: MonthlyReport, figures: list[Figure]) -> None:
    sheet.append(list(UNIT_HEADER))
    units = [figure for figure in figures if figure.unit_code != report.area_code]
    for figure in units:
        sheet.append(_unit_cells(figure))
        _formats(sheet, sheet.max_row, first=3)
    if units:
        last = sheet.max_row
        totals: list[Any] = ["Cộng các đơn vị trực thuộc", ""]
        totals += [f"=SUM({get_column_letter(col)}2:{get_column_letter(col)}{last})" for col in range(3, 8)]
        sheet.append(totals)
        _bold_row(sheet, sheet.max_row)
    whole = [figure for figure in figures if figure.unit_code == report.area_code]
    for figure in whole:
        sheet.append(_unit_cells(figure, f"Toàn {figure.unit_name}"))
        _formats(sheet, sheet.max_row, first=3)
        _bold_row(sheet, sheet.max_row)
    _finish(sheet, WIDTHS[1:], len(units))


def _cells(figure: Figure) -> list[Any]:
    return [
        safe_cell(figure.unit_name),
        safe_cell(figure.unit_code),
        safe_cell(figure.indicator_name),
        figure.month_households,
        figure.month_people,
        figure.total_households,
        figure.total_people,
        figure.population,
        figure.share / 100 if figure.share is not None else None,
        figure.target_percent / 100 if figure.target_percent is not None else None,
        figure.share_of_target / 100 if figure.share_of_target is not None else None,
        figure.deadline,
    ]


def _unit_cells(figure: Figure, name: str | None = None) -> list[Any]:
    """A row of an indicator's sheet: the unit, then the figures (the indicator is the sheet)."""
    cells = _cells(figure)
    return [safe_cell(name) if name else cells[0], cells[1], *cells[3:]]


def _formats(sheet: Worksheet, row: int, *, first: int) -> None:
    """Number formats from column `first` (the first count) on: counts, population, three shares, a date."""
    for offset, fmt in enumerate(("#,##0",) * 5 + ("0.0%",) * 3 + ("dd/mm/yyyy",)):
        sheet.cell(row, first + offset).number_format = fmt


def _bold_row(sheet: Worksheet, row: int) -> None:
    for cell in sheet[row]:
        cell.font = BOLD


def _finish(sheet: Worksheet, widths: tuple[int, ...], rows: int) -> None:
    _bold_row(sheet, 1)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(sheet.max_column)}{max(rows + 1, 1)}"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([])
    sheet.append([ESTIMATE_NOTE])


def _sheet_title(name: str, taken: list[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    title = sheet_title(name, limit=28) or "Chỉ số"  # room for " 2" when two indicators share a name
    candidate, number = title, 2
    while candidate in taken:
        candidate, number = f"{title} {number}", number + 1
    return candidate
