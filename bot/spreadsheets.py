"""Every spreadsheet troly writes (CSV or XLSX) goes through here, so no typed text becomes a live formula.

Anyone can put text into a report: a Telegram display name, an address, a household head's name, a note. A
spreadsheet program runs a cell that starts with `=`, `+`, `-` or `@` as a formula (`=HYPERLINK(...)` to a
phishing page, `=cmd|' /C ...'!A1` on old Excel), and some skip a leading tab, carriage return or spaces
first. Following OWASP's advice on CSV injection, such text cells are written with a leading apostrophe,
which every spreadsheet program shows as plain text. Numbers, dates and other non-text values are written as
they are, so they stay numbers. Exporters call `csv_bytes` / `xlsx_bytes` (or at least `safe_cell`) instead
of writing cells themselves.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

# ASCII triggers, their full-width forms (some spreadsheet programs fold them), tab and carriage return.
FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")
NEUTRALISER = "'"


def is_risky(text: str) -> bool:
    """Whether a spreadsheet program could read `text` as a formula (leading whitespace ignored)."""
    return bool(text) and (text[0] in FORMULA_STARTS or text.lstrip()[:1] in FORMULA_STARTS)


def safe_cell(value: object) -> object:
    """The value to write in a cell: risky text gets a leading apostrophe; anything else is unchanged."""
    if isinstance(value, str) and is_risky(value):
        return NEUTRALISER + value
    return value


def safe_row(row: Iterable[object]) -> list[object]:
    return [safe_cell(value) for value in row]


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]], *, bom: bool = True) -> bytes:
    """A CSV file (UTF-8, with a BOM by default because Excel otherwise garbles Vietnamese letters)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(safe_row(header))
    writer.writerows(safe_row(row) for row in rows)
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")


def xlsx_bytes(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, title: str, widths: Sequence[float] = ()
) -> bytes:
    """An XLSX workbook of one sheet: a frozen header row, then `rows`; `widths` set the first columns'."""
    from openpyxl import Workbook  # imported here: only the commands that write spreadsheets need it
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]  # Excel's limit for sheet names
    sheet.append(_xlsx_row(header))
    for row in rows:
        sheet.append(_xlsx_row(row))
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_row(row: Iterable[object]) -> list[object]:
    """Safe cells, and text without the control characters XLSX cannot hold (openpyxl refuses them)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cells = safe_row(row)
    return [ILLEGAL_CHARACTERS_RE.sub("", cell) if isinstance(cell, str) else cell for cell in cells]
