"""Recognise the structure of a Vietnamese administrative document: logical lines and headings.

Real plans mix Markdown (`## ...`, `**...**`) with the numbering of Vietnamese administrative style (`I.`,
`II-`, `1.`, `2.1.`, `a)`, `-`, `+`), keep one paragraph per line or hard-wrap it, and OCR output garbles the
numbers ("111." for "III.", "¢)" for "c)"). This module turns raw lines into units and says which are headings,
and at what depth, so `plans` can attach every passage to its section path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Depth of each kind of heading: Điều (article) > I. > 1. > 1.1. > 1.1.1. > a) > "label:" > "+ label:".
ARTICLE, ROMAN, DECIMAL, LETTER, LABEL = 0, 1, 2, 6, 7
MAX_HEADING_CHARS = 150

_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s*")
_EMPHASIS = re.compile(r"^(\*{1,3}|_{1,3})(.+?)\1$")
_TAGS = re.compile(r"</?(?:sup|sub|b|i|u|br)\s*/?>", re.IGNORECASE)
_ARTICLE = re.compile(r"^(Điều\s+\d+)\s*[.:]?\s*(.*)$", re.IGNORECASE)
_ROMAN = re.compile(r"^([IVXL]{1,5}|1{2,3})\s*[.\-–:]\s*(\S.*)$")
_DECIMAL = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})(?:\.|\))\s*(\S.*)$|^(\d{1,2}(?:\.\d{1,2}){1,3})\s+(\S.*)$")
_LETTER = re.compile(r"^([a-zđ¢])\)\s*(\S.*)$")
_BULLET = re.compile(r"^([-+•*])\s+(.*)$")
_MARKER = re.compile(r"^(?:#|\*\*|[-+•]\s|[IVXL]{1,5}\s*[.\-–]|\d{1,2}[.)]|\d{1,2}\.\d|[a-zđ¢]\)|Điều\s+\d|-{3,})")
_SENTENCE_END = re.compile(r"[.;:!?…]\s*(?:\*+)?$")


@dataclass(frozen=True, slots=True)
class Unit:
    """One logical line (hard-wrapped lines joined), with its first line number (1-based)."""

    text: str
    line: int
    bold: bool = False


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    number: str  # "2.4", "II", "a", "Điều 1" or "" for a label
    title: str  # the heading text without its number

    def __post_init__(self) -> None:
        object.__setattr__(self, "title", self.title.strip().rstrip(":").strip())

    @property
    def label(self) -> str:
        if not self.number:
            return self.title
        if self.number.lower().startswith("điều"):
            return f"{self.number}. {self.title}" if self.title else self.number
        separator = ")" if self.level == LETTER else "."
        return f"{self.number}{separator} {self.title}"


def clean_markup(text: str) -> tuple[str, bool]:
    """Strip Markdown heading marks, emphasis and inline HTML; say whether the whole line was emphasised."""
    text = _TAGS.sub("", text).strip()
    text = _MARKDOWN_HEADING.sub("", text).strip()
    bold = False
    while match := _EMPHASIS.match(text):
        text, bold = match.group(2).strip(), True
    return text.replace("**", "").strip(), bold


def units(text: str) -> list[Unit]:
    """Join hard-wrapped lines into logical lines; a blank line or a list/heading marker starts a new one."""
    result: list[Unit] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or _starts_new_unit(line, current):
            if current:
                result.append(_unit(current, start))
            current, start = ([line], number) if line else ([], 0)
            continue
        if not current:
            start = number
        current.append(line)
    if current:
        result.append(_unit(current, start))
    return result


def _starts_new_unit(line: str, current: list[str]) -> bool:
    if not current or _MARKER.match(line):
        return True
    previous = current[-1]
    if _is_caption(line) != _is_caption(previous) or _is_caption(line):
        return True
    return bool(_SENTENCE_END.search(previous)) and line[:1].isupper() and len(previous) > 100


def _is_caption(line: str) -> bool:
    """A short all-capitals line ("KẾ HOẠCH", "ỦY BAN NHÂN DÂN ...") stands alone even without a blank line."""
    letters = [char for char in line if char.isalpha()]
    return len(letters) >= 3 and len(line) <= 70 and all(char.isupper() for char in letters)


def _unit(lines: list[str], start: int) -> Unit:
    joined = " ".join(lines)
    text, bold = clean_markup(joined)
    return Unit(text=text, line=start, bold=bold)


def heading_of(unit: Unit) -> Heading | None:
    """The heading a unit opens, or None when it is body text (long or sentence-like numbered items are body)."""
    text = unit.text
    if match := _ARTICLE.match(text):
        title = match.group(2).strip()
        title = title if len(text) <= 80 and _looks_like_title(title, unit) else ""
        return Heading(ARTICLE, match.group(1), title)
    if len(text) > MAX_HEADING_CHARS:
        return None
    if (match := _ROMAN.match(text)) and _looks_like_title(match.group(2), unit, strict=match.group(1)[0] == "1"):
        return Heading(ROMAN, _roman(match.group(1)), match.group(2).strip())
    if match := _DECIMAL.match(text):
        number = match.group(1) or match.group(3)
        title = (match.group(2) or match.group(4)).strip()
        if _looks_like_title(title, unit):
            return Heading(DECIMAL + number.count("."), number, title)
        return None
    if (match := _LETTER.match(text)) and _looks_like_title(match.group(2), unit):
        letter = "c" if match.group(1) == "¢" else match.group(1)
        return Heading(LETTER, letter, match.group(2).strip())
    return _label_heading(text)


def _label_heading(text: str) -> Heading | None:
    """A short line ending with a colon ("Về hạ tầng số:", "- Phát triển dữ liệu số:") names a subsection."""
    bullet = _BULLET.match(text)
    body = (bullet.group(2) if bullet else text).strip().strip("*_ ").strip()
    if not body.endswith(":") or len(body) > 80 or len(body) < 4:
        return None
    if not body[:1].isupper():
        return None
    level = LABEL + 1 if bullet and bullet.group(1) == "+" else LABEL
    return Heading(level, "", body.rstrip(":").strip())


def _looks_like_title(title: str, unit: Unit, strict: bool = False) -> bool:
    """Headings are short and do not read as sentences; OCR's "111." only counts when followed by capitals."""
    title = title.strip()
    if not title or title[:1] in "%/":
        return False
    letters = [char for char in title if char.isalpha()]
    upper = bool(letters) and sum(char.isupper() for char in letters) >= 0.8 * len(letters)
    if strict:
        return upper
    if unit.bold or upper:
        return True
    return len(title) <= 100 and not title.rstrip("*").endswith((".", ";", ","))


def _roman(number: str) -> str:
    """OCR reads "III" as "111"; give the number back its Roman form."""
    return "I" * len(number) if set(number) == {"1"} else number
