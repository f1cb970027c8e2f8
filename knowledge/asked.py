"""What kind of fact a plan question asks for (a date, a share, a number), and where a passage states one.

Plan passages are long and alike: "bao giờ phủ sóng 5G toàn tỉnh" shares as many words with a passage on mobile
coverage in general as with the one that says "đến năm 2030 … phủ cập mạng 5G". What tells them apart is the
kind of answer: a "when" question is answered by a line with a date, a "how many percent" question by a line
with a percentage. This is the classic answer-type check of question answering, applied to the lines of a
passage: among passages of the same document that the search found nearly as good, the one with a line that
both holds the asked kind of fact and shares the question's rarest words leads, and that line leads the quote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum

from embeddings.text import analyze


class Asked(Enum):
    DAY = "day"  # "ngày nào": a day of a month
    MONTH = "month"  # "tháng mấy": a month, or a day
    DATE = "date"  # "bao giờ": any date, a year too
    PERCENT = "percent"
    NUMBER = "number"


# Folded (no diacritics, lower case) phrases of the question, most specific first.
_CUES: tuple[tuple[Asked, tuple[str, ...]], ...] = (
    (Asked.PERCENT, ("phan tram", "ty le", "ti le", "%")),
    (Asked.DAY, ("ngay nao", "truoc ngay", "han chot", "ngay bao nhieu", "ngay may")),
    (Asked.MONTH, ("thang may", "thang nao", "quy may", "quy nao")),
    (Asked.DATE, ("bao gio", "khi nao", "luc nao", "nam nao", "thoi han", "thoi gian hoan thanh")),
    (Asked.NUMBER, ("bao nhieu", "so luong", "may nguoi", "may ho", "may xa", "may don vi")),
)

# Where a line of a plan states each kind (on the plain text, diacritics kept).
_STATES: Mapping[Asked, re.Pattern[str]] = {
    Asked.DAY: re.compile(r"\b\d{1,2}/\d{1,2}\b"),
    Asked.MONTH: re.compile(r"\b\d{1,2}/\d{1,2}\b|\b(?:tháng|quý)\s+(?:\d{1,2}|[IV]+)\b", re.IGNORECASE),
    Asked.DATE: re.compile(
        r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b(?:tháng|quý|năm)\s+(?:\d{1,2}/)?(?:\d{1,4}|[IV]+)\b", re.IGNORECASE
    ),
    Asked.PERCENT: re.compile(r"\d\s*%|\bphần trăm\b", re.IGNORECASE),
    Asked.NUMBER: re.compile(r"\b(?!(?:19|20)\d\d\b)\d[\d.,]*\b"),  # a count or amount; a year says no "how many"
}

# A cited document's number and the date it was issued: "số 59/KH-UBND ngày 01/3/2022", "09-NQ/TU, ngày 05/02/2022".
_ISSUED = re.compile(r"\d+\s*[-/]\s*[A-ZĐ][\w/-]*,?\s+ngày\s+\d{1,2}/\d{1,2}/\d{2,4}")


def asked_kind(question: str) -> Asked | None:
    """The kind of fact the question asks for, or None when it asks for none in particular."""
    found = _asked(question)
    return found[0] if found else None


def cue_words(question: str) -> frozenset[str]:
    """The question's words that only say what kind of fact it asks ("ngày nào"): no passage is about them."""
    found = _asked(question)
    return found[1] if found else frozenset()


def _asked(question: str) -> tuple[Asked, frozenset[str]] | None:
    folded = f" {' '.join(analyze(question, expand=False).folded)} "
    for kind, cues in _CUES:
        said = [cue for cue in cues if f" {cue} " in folded or (cue == "%" and "%" in question)]
        if said:
            return kind, frozenset(word for cue in said for word in cue.split())
    return None


def states(kind: Asked | None, line: str) -> bool:
    """Whether the line states a fact of that kind (always false for no kind). The date a cited document was
    issued ("Kế hoạch số 59/KH-UBND ngày 01/3/2022") is not a date the plan sets."""
    if kind is None:
        return False
    line = _ISSUED.sub(" ", line)
    if kind is Asked.NUMBER:
        line = _STATES[Asked.DAY].sub(" ", line)  # "trước 15/3/2023" is a date, not how many
    return _STATES[kind].search(line) is not None


def best_line_score(text: str, weights: Mapping[str, float], kind: Asked) -> float:
    """The largest weight of question words held by one line of `text` that states a fact of `kind`."""
    best = 0.0
    for line in re.split(r"\n+|(?<=[.;])\s+", text):
        if states(kind, line):
            words = weights.keys() & set(analyze(line).folded)
            best = max(best, sum(weights[word] for word in words))
    return best
