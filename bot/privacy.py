"""Masking of personal data in logs, notes and reports (Decree 13/2023/NĐ-CP: keep the least)."""

from __future__ import annotations

import hashlib
import re

# A Vietnamese citizen ID (căn cước) has 12 digits; phone numbers have 10-11 digits, or +84 and 9-10 digits.
_CITIZEN_ID = re.compile(r"(?<!\d)\d{12}(?!\d)")
_PHONE = re.compile(r"(?<![\d+])(?:\+84|84|0)(?:[\s.-]?\d){8,10}(?!\d)")


def mask_citizen_id(text: str) -> str:
    """Replace every 12-digit citizen ID with a placeholder: we never store them."""
    return _CITIZEN_ID.sub("[số định danh đã ẩn]", text)


def mask_phone(text: str) -> str:
    """Keep only the last three digits of each phone number."""

    def _mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        return "*" * (len(digits) - 3) + digits[-3:]

    return _PHONE.sub(_mask, text)


def mask_personal(text: str) -> str:
    """Apply every mask; citizen IDs first so they are not mistaken for phone numbers."""
    return mask_phone(mask_citizen_id(text))


def mask_user_id(channel: str, user_id: str) -> str:
    """A stable pseudonym for logs, so one user's lines can be followed without exposing the id."""
    digest = hashlib.sha256(f"{channel}:{user_id}".encode()).hexdigest()[:10]
    return f"{channel}:{digest}"


# Vietnamese numbers as people type them: mobiles have 10 digits (03x, 05x, 07x, 08x, 09x since the 2018
# renumbering), landlines 11 (02x area codes); "+84"/"84" may replace the leading 0.
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
_MOBILE = re.compile(r"0[35789]\d{8}")
_LANDLINE = re.compile(r"02\d{9}")


def vietnamese_phone(text: str) -> str | None:
    """The number in its national form ("0912345678") when `text` is one valid Vietnamese phone number, else
    None: a help request keeps only a number that can be called."""
    compact = _PHONE_SEPARATORS.sub("", text.strip())
    if compact.startswith("+84"):
        compact = "0" + compact[3:]
    elif compact.startswith("84") and len(compact) in (11, 12):
        compact = "0" + compact[2:]
    if _MOBILE.fullmatch(compact) or _LANDLINE.fullmatch(compact):
        return compact
    return None
