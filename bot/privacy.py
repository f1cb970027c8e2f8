"""Masking of personal data in logs, notes and reports (Decree 13/2023/NĐ-CP: keep the least).

People type numbers every way: `0912 345 678`, `0912 - 345 - 678`, `(+84) 912 345 678`, `84 912 345 678`,
`0012 3456 7890`, `001-234-567-890`. So masking does not look for one spelling: it finds runs of digit groups
joined by spaces, dashes or dots (with a `+` or parentheses), and within each run the groups that together
form a Vietnamese phone number (kept: its last 3 digits) or a 9- or 12-digit identity number (replaced
whole). Groups have to look like a number was being written: a date `12.05.2024`, a year, a house number
"số 12" or an amount followed by its unit ("150.000.000 đồng") stay as they are.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from itertools import accumulate

ID_PLACEHOLDER = "[số định danh đã ẩn]"
MAX_GROUPS = 13  # "0 9 1 2 3 4 5 6 7 8" with a prefix is the most a run of one number can be split into
MIN_DIGITS, MAX_DIGITS = 8, 15  # no number masked here is shorter or longer (E.164 has at most 15 digits)

_GROUP = r"\(?\+?\d+\)?"
# Spaces, or a dash or dot with spaces around it; possessive, so a long run of spaces costs no backtracking.
_SEPARATOR = r"(?:[^\S\n]*+[-.\u2010-\u2015\u2212][^\S\n]*+|[^\S\n]++)"
_RUN = re.compile(rf"{_GROUP}(?:(?:{_SEPARATOR}|(?<=\))){_GROUP})*")
_GROUP_PARTS = re.compile(r"\(?(\+?)(\d+)\)?")
_UNIT_AFTER = re.compile(
    r"[^\S\n]*(?:đồng|dong|vnđ|vnd|đ|nghìn|nghin|ngàn|ngan|triệu|trieu|tr|tỷ|tỉ|ty|usd|k|\$|%)(?![^\W\d_])",
    re.IGNORECASE,
)
_MOBILE_STARTS = "35789"  # 03x, 05x, 07x, 08x, 09x: mobile numbers have 10 digits since 2018


@dataclass(frozen=True, slots=True)
class _Group:
    start: int
    end: int
    digits: str  # ASCII digits, whatever digits were typed
    plus: bool


def mask_personal(text: str) -> str:
    """Mask every phone number (keeping its last 3 digits) and replace every identity number."""
    return _mask(text, phones=True, ids=True)


def mask_phone(text: str) -> str:
    """Keep only the last three digits of each phone number, however it is spaced or prefixed."""
    return _mask(text, phones=True, ids=False)


def mask_citizen_id(text: str) -> str:
    """Replace every 9- or 12-digit identity number with a placeholder: we never store them."""
    return _mask(text, phones=False, ids=True)


def mask_user_id(channel: str, user_id: str) -> str:
    """A stable pseudonym for logs, so one user's lines can be followed without exposing the id."""
    digest = hashlib.sha256(f"{channel}:{user_id}".encode()).hexdigest()[:10]
    return f"{channel}:{digest}"


def _mask(text: str, *, phones: bool, ids: bool) -> str:
    if sum(ch.isdecimal() for ch in text) < MIN_DIGITS:  # most names and addresses: nothing to look for
        return text
    pieces: list[str] = []
    done = 0
    for run in _RUN.finditer(text):
        if run.end() - run.start() < MIN_DIGITS:
            continue
        amount = _UNIT_AFTER.match(text, run.end()) is not None  # "150.000.000 đồng" is money, not an id
        for start, end, replacement in _numbers_in(_groups(run), phones=phones, ids=ids and not amount):
            pieces += [text[done:start], replacement]
            done = end
    return "".join(pieces) + text[done:]


def _groups(run: re.Match[str]) -> list[_Group]:
    found = []
    for part in _GROUP_PARTS.finditer(run.group(0)):
        digits = part.group(2)
        if not digits.isascii():  # full-width or other scripts' digits
            digits = "".join(str(unicodedata.decimal(ch)) for ch in digits)
        found.append(_Group(run.start() + part.start(), run.start() + part.end(), digits, bool(part.group(1))))
    return found


def _numbers_in(groups: list[_Group], *, phones: bool, ids: bool) -> list[tuple[int, int, str]]:
    """(start, end, replacement) of each number in one run, found left to right, longest first."""
    found = []
    ends = list(accumulate((len(group.digits) for group in groups), initial=0))  # digits before each group
    i = 0
    while i < len(groups):
        longest = min(len(groups), i + MAX_GROUPS)
        sizes = [j for j in range(longest, i, -1) if MIN_DIGITS <= ends[j] - ends[i] <= MAX_DIGITS]
        match = next(((j, r) for j in sizes if (r := _replacement(groups[i:j], phones, ids)) is not None), None)
        if match is None:
            i += 1
            continue
        j, replacement = match
        found.append((groups[i].start, groups[j - 1].end, replacement))
        i = j
    return found


def _replacement(window: list[_Group], phones: bool, ids: bool) -> str | None:
    digits = "".join(group.digits for group in window)
    if phones and _is_phone(window, digits):
        return "*" * (len(digits) - 3) + digits[-3:]
    if ids and _is_identity_number(window, digits):
        return ID_PLACEHOLDER
    return None


def _is_phone(window: list[_Group], digits: str) -> bool:
    """+84 / 84 / 0084 and the national number without its 0, or the national number 0xxxxxxxxx."""
    first = window[0]
    for prefix in ("0084", "84"):
        explicit = first.plus or (len(window) > 1 and first.digits == prefix)
        if digits.startswith(prefix) and (explicit or len(digits) - len(prefix) in (9, 10)):
            rest = _rest_after(window, len(prefix))
            national = digits[len(prefix) :].removeprefix("0") if explicit else digits[len(prefix) :]
            if rest is not None and _is_national(national):
                return True
    if first.plus:
        return 8 <= len(digits) <= 15  # another country's number, in international form
    return _sizes_ok(window, first_at_least=3) and digits.startswith("0") and _is_national(digits[1:])


def _is_national(number: str) -> bool:
    """The digits after the leading 0: 9 for a mobile (3x 5x 7x 8x 9x), 10 for a landline (2x) or old mobile."""
    if len(number) == 9:
        return number[0] in _MOBILE_STARTS
    return len(number) == 10 and number[0] in "12"


def _rest_after(window: list[_Group], prefix_length: int) -> list[_Group] | None:
    """The groups after a country prefix, when they are spaced like a number (None otherwise)."""
    if len(window[0].digits) == prefix_length:
        rest = window[1:]
        return rest if len(rest) <= 1 or _sizes_ok(rest, first_at_least=1) else None
    return window if len(window) == 1 else None


def _is_identity_number(window: list[_Group], digits: str) -> bool:
    """12 digits (căn cước) or 9 (old identity card), alone or in groups of 3 to 6 as people write them."""
    return len(digits) in (9, 12) and (len(window) == 1 or _sizes_ok(window, first_at_least=3, each_at_least=3))


def _sizes_ok(window: list[_Group], *, first_at_least: int, each_at_least: int = 1) -> bool:
    """A number split in several groups has groups of at most 6 digits (a longer one is a number of its own)."""
    sizes = [len(group.digits) for group in window]
    if len(sizes) == 1:
        return sizes[0] >= first_at_least
    return sizes[0] >= first_at_least and all(each_at_least <= size <= 6 for size in sizes)


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
