"""Spreadsheet files of the feedback reports (gaps, local answers, satisfaction), with formula text neutralised.

Question text is typed by anyone, and answers by officials: a cell starting with "=", "+", "-" or "@" would run
as a formula in Excel or LibreOffice (`=HYPERLINK(...)`), so such text is written with a leading apostrophe
(OWASP's advice on CSV injection). `safe_cell` is the one function to switch to the project's shared helper
(bot/spreadsheets.py, from issue 15b) once it is on main.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")

Row = Sequence[object]


def safe_cell(value: object) -> object:
    """Text a spreadsheet could run as a formula (leading spaces ignored) gets a leading apostrophe."""
    if isinstance(value, str) and value and (value[0] in FORMULA_STARTS or value.lstrip()[:1] in FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True, slots=True)
class Sheet:
    title: str
    header: Row
    rows: Sequence[Row]
    widths: tuple[float, ...] = ()


def csv_bytes(sheet: Sheet) -> bytes:
    """UTF-8 with a BOM: Excel, which most offices open reports with, garbles Vietnamese without it."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(cell) for cell in sheet.header])
    writer.writerows([safe_cell(cell) for cell in row] for row in sheet.rows)
    return buffer.getvalue().encode("utf-8-sig")


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
            cells = [safe_cell(cell) for cell in row]
            worksheet.append([ILLEGAL_CHARACTERS_RE.sub("", c) if isinstance(c, str) else c for c in cells])
        worksheet.freeze_panes = "A2"
        for column, width in enumerate(sheet.widths, start=1):
            worksheet.column_dimensions[get_column_letter(column)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
