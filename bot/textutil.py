"""Small text helpers: matching Vietnamese typed with or without diacritics, and numbers written the Vietnamese way."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case without diacritics ("Hủy bỏ" → "huy bo"), whitespace collapsed."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.split())


def small_number(text: str, max_digits: int = 6) -> int | None:
    """The number a person typed as a choice, a count or an id, or None.

    Only decimal digits count: "²" and "①" are `isdigit()` but `int()` refuses them. The length is capped
    because a 30-digit "choice" or "id" would overflow every database integer on its way to a query.
    """
    if not text or len(text) > max_digits or not text.isdecimal():
        return None
    return int(text)


def number(value: int | float | None) -> str:
    """1234567 → "1.234.567", 95.5 → "95,5" (Vietnamese digit grouping and decimal comma); None → ""."""
    if value is None:
        return ""
    return (
        f"{value:,}".replace(",", ".")
        if isinstance(value, int)
        else f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    )
