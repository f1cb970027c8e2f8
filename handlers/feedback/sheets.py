"""Spreadsheet files of the feedback reports (gaps, local answers, satisfaction), formula text neutralised.

Question text is typed by anyone, and answers by officials: a cell starting with "=", "+", "-" or "@" would run
as a formula in Excel or LibreOffice (`=HYPERLINK(...)`). Cells go through the core's bot.spreadsheets (a
leading apostrophe, OWASP's advice on CSV injection); only the workbook of several sheets is assembled here.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot import spreadsheets

Row = Sequence[object]


@dataclass(frozen=True, slots=True)
class Sheet:
    title: str
    header: Sequence[str]
    rows: Sequence[Row]
    widths: tuple[float, ...] = ()


def csv_bytes(sheet: Sheet) -> bytes:
    """UTF-8 with a BOM: Excel, which most offices open reports with, garbles Vietnamese without it."""
    return spreadsheets.csv_bytes(sheet.header, sheet.rows)


def xlsx_bytes(sheets: Iterable[Sheet]) -> bytes:
    """One workbook, one worksheet per sheet, each with a frozen header row."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    for sheet in sheets:
        worksheet = workbook.create_sheet(sheet.title[:31])
        for row in (sheet.header, *sheet.rows):
            cells = spreadsheets.safe_row(row)
            worksheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in cells])
        worksheet.freeze_panes = "A2"
        for column, width in enumerate(sheet.widths, start=1):
            worksheet.column_dimensions[get_column_letter(column)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
