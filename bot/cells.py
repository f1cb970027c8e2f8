"""Spreadsheet cells that cannot run: text that Excel or LibreOffice would read as a formula is neutralised.

A name typed as `=HYPERLINK("http://…","bấm")` or `+cmd|' /C calc'!A0` becomes a formula when an official opens
the export (CSV injection). Every exporter passes its text cells through `safe_cell`, in this one place: text
starting with = + - @, a tab or a carriage return gets a leading apostrophe, which both programs show as text.
Numbers and dates are left alone, so they stay numbers and dates.
"""

from __future__ import annotations

from datetime import date, datetime

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """The value to write into a cell: numbers, dates and booleans as they are, risky text made inert."""
    if value is None or isinstance(value, bool | int | float | date | datetime):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def safe_row(values: tuple[object, ...] | list[object]) -> list[object]:
    return [safe_cell(value) for value in values]
