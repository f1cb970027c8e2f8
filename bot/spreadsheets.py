"""Every spreadsheet troly writes (CSV or XLSX) goes through here, so no typed text becomes a live formula.

Anyone can put text into a report: a Telegram display name, an address, a household head's name, a note. A
spreadsheet program runs a cell that starts with `=`, `+`, `-` or `@` as a formula (`=HYPERLINK(...)` to a
phishing page, `=cmd|' /C ...'!A1` on old Excel), and some skip a leading tab, carriage return or spaces
first. Following OWASP's advice on CSV injection, such text cells are written with a leading apostrophe,
which every spreadsheet program shows as plain text. Numbers, dates and other non-text values are written as
they are, so they stay numbers. Exporters call `csv_bytes` / `xlsx_bytes` (or at least `safe_cell`) instead
of writing cells themselves; long exports stream with `write_csv` / `write_xlsx`, which write each row to the
file as it comes (a province's month is tens of thousands of rows).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO

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


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]], target: IO[bytes], *, bom: bool = True) -> int:
    """Stream a CSV to a binary file (times as "YYYY-MM-DD HH:MM"); returns the number of rows written."""
    text = io.TextIOWrapper(target, encoding="utf-8-sig" if bom else "utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(safe_row(header))
    count = 0
    for row in rows:
        writer.writerow([f"{cell:%Y-%m-%d %H:%M}" if isinstance(cell, datetime) else cell for cell in safe_row(row)])
        count += 1
    text.flush()
    text.detach()  # the caller's file stays open
    return count


def write_xlsx(
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    target: IO[bytes],
    *,
    title: str,
    widths: Sequence[float] = (),
) -> int:
    """Stream a one-sheet XLSX to a binary file (bold frozen header with a filter, times as dates); returns the
    number of rows written."""
    from bot.xlsx_writer import write_sheet

    return write_sheet(target, sheet_title(title), header, widths, (safe_row(row) for row in rows))


def sheet_title(name: str, limit: int = 31) -> str:
    """A sheet name Excel accepts (at most 31 characters, none of []:*?/\\), cut between words with "…" rather
    than mid-word ("Tài khoản thanh toán không d")."""
    title = " ".join(re.sub(r"[\[\]:*?/\\]", " ", name).split())
    if len(title) <= limit:
        return title
    return title[: title.rfind(" ", 0, limit - 1)].rstrip(" ,;-") + "…"


def xlsx_bytes(
    header: Sequence[str], rows: Iterable[Sequence[object]], *, title: str, widths: Sequence[float] = ()
) -> bytes:
    """An XLSX workbook of one sheet: a frozen header row, then `rows`; `widths` set the first columns'."""
    from openpyxl import Workbook  # imported here: only the commands that write spreadsheets need it
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title(title)
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
