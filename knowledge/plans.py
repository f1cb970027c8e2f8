"""Plan documents split into passages that follow the document's own sections.

Each passage keeps its document's title, its section path (the chain of headings above it) and its position, so
an answer can quote it and cite "Kế hoạch ... năm 2023, mục 2.4. Về phát triển xã hội số".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from embeddings.text import fold
from knowledge.structure import ARTICLE, LETTER, Heading, Unit, heading_of, units

MIN_TAIL_CHARS = 200  # a section's last chunk this short is joined to the one before it
MAX_PASSAGE_CHARS = 900
_DOCUMENT_TYPES = (
    "KẾ HOẠCH",
    "QUYẾT ĐỊNH",
    "BÁO CÁO",
    "ĐỀ ÁN",
    "CHƯƠNG TRÌNH",
    "NGHỊ QUYẾT",
    "TỜ TRÌNH",
    "HƯỚNG DẪN",
    "CÔNG VĂN",
    "THÔNG BÁO",
)
_FOLDED_TYPES = {fold(kind).upper(): kind for kind in _DOCUMENT_TYPES}
_NOT_TITLE = re.compile(r"^(Căn cứ|Can c|Thực hiện|Thuc hien|ỦY BAN|UY BAN|Số|S6|-{3,})", re.IGNORECASE)
_OCR_DIGITS = str.maketrans({"0": "o", "1": "l", "4": "a", "6": "o", "8": "b"})
_TRAILER = re.compile(r"^\W*N[ơo]i\s+nh\w{1,2}n\s*:", re.IGNORECASE)  # "Nơi nhận:", OCR's "Noi nhin:"
_MIXED_TOKEN = re.compile(r"\b(?=\w*[^\W\d_])(?=\w*\d)\w+\b")


@dataclass(frozen=True, slots=True)
class Passage:
    id: str  # "<document>#<position>"
    document: str  # file name without extension
    title: str  # document title
    section: tuple[str, ...]  # heading labels from the top down
    position: int  # 1-based order in the document
    line: int  # first line in the source file
    text: str
    cited: str = ""  # the part of the section path a citation names ("2.4. Về phát triển xã hội số")
    garble: float = 0.0  # for OCR text: share of words the diacritics model could not read

    @property
    def section_label(self) -> str:
        return " › ".join(self.section)

    @property
    def citation(self) -> str:
        """ "<title>, mục <number> <heading>" for numbered sections, the heading otherwise."""
        if not self.section:
            return f"{self.title}, phần mở đầu"
        return f"{self.title}, mục {self.cited or self.section[-1]}"


@dataclass(frozen=True, slots=True)
class PlanDocument:
    name: str
    title: str
    passages: tuple[Passage, ...]
    noisy: bool  # OCR text without reliable diacritics


def split_plan(text: str, name: str, title: str | None = None, noisy: bool | None = None) -> PlanDocument:
    """Split a plan's text into passages under their section paths (`noisy`: OCR text, detected if None)."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    all_units = units(text)
    noisy = is_noisy(text) if noisy is None else noisy
    detected = detect_title(all_units)
    if detected and noisy:
        detected = repair_ocr(detected)
    place = detect_place(all_units)
    if detected and place and fold(place).lower() not in fold(detected).lower():
        detected = f"{detected} ({place})"
    doc_title = title or detected or name
    passages = list(_passages(all_units, name, doc_title))
    return PlanDocument(name=name, title=doc_title, passages=tuple(passages), noisy=noisy)


def _passages(all_units: list[Unit], name: str, title: str) -> list[Passage]:
    path: list[Heading] = []
    body: list[Unit] = []
    result: list[Passage] = []

    def flush() -> None:
        labels = tuple(heading.label for heading in path)
        cited = cited_part(path)
        for chunk in _chunks(body):
            result.append(
                Passage(
                    id=f"{name}#{len(result) + 1}",
                    document=name,
                    title=title,
                    section=labels,
                    position=len(result) + 1,
                    line=chunk[0].line,
                    text="\n".join(unit.text for unit in chunk),
                    cited=cited,
                )
            )
        body.clear()

    for unit in all_units:
        if _TRAILER.match(unit.text):
            break  # the recipients list and signatures close the document: nothing to quote
        if not unit.text or set(unit.text) <= set("-_=*"):
            continue
        heading = heading_of(unit)
        if heading is None:
            body.append(unit)
            continue
        flush()
        while path and path[-1].level >= heading.level:
            path.pop()
        path.append(heading)
        if heading.level == ARTICLE and not heading.title and _after_number(unit.text):
            body.append(Unit(_after_number(unit.text), unit.line))
    flush()
    return result


def cited_part(path: list[Heading]) -> str:
    """From the deepest Roman or decimal heading down ("2.4. ..."; "2. ... › b) ... › Về xã hội số")."""
    numbered = [i for i, heading in enumerate(path) if heading.number and heading.level not in (ARTICLE, LETTER)]
    start = numbered[-1] if numbered else 0
    return " › ".join(heading.label for heading in path[start:])


def _after_number(text: str) -> str:
    return re.sub(r"^Điều\s+\d+\s*[.:]?\s*", "", text, flags=re.IGNORECASE)


def _chunks(body: list[Unit]) -> list[list[Unit]]:
    """Group a section's units into passages of at most MAX_PASSAGE_CHARS (a longer unit stands alone). A short
    tail joins the chunk before it: it is the end of that chunk's item ("Thời gian thực hiện: Hoàn thành trước
    30/10/2023."), meaningless alone and missing from the item's passage otherwise."""
    chunks: list[list[Unit]] = []
    size = 0
    for unit in body:
        if chunks and size + len(unit.text) <= MAX_PASSAGE_CHARS:
            chunks[-1].append(unit)
            size += len(unit.text) + 1
        else:
            chunks.append([unit])
            size = len(unit.text)
    if len(chunks) > 1 and size <= MIN_TAIL_CHARS:
        chunks[-2].extend(chunks.pop())
    return chunks


def detect_title(all_units: list[Unit]) -> str | None:
    """ "<document type> <subject>" from the header, e.g. "Kế hoạch Chuyển đổi số ... năm 2023"."""
    head = [unit for unit in all_units[:25] if unit.text]
    for i, unit in enumerate(head):
        kind = _FOLDED_TYPES.get(fold(unit.text).upper().strip(" :"))
        if kind is None:
            continue
        kind_text = unit.text.strip(" :").capitalize()
        for subject in head[i + 1 : i + 3]:
            if not _NOT_TITLE.match(subject.text) and fold(subject.text).upper().strip(" :") not in _FOLDED_TYPES:
                return f"{kind_text} {subject.text.strip()}"
        return kind_text
    return None


_PLACE_DATE = re.compile(r"^\W*([^\W\d][^,\d]{1,40}),\s*ng[aà]y\b", re.IGNORECASE)


def detect_place(all_units: list[Unit]) -> str | None:
    """The place of the "<Place>, ngày ... tháng ... năm ..." line under the header, if any."""
    for unit in all_units[:12]:
        if match := _PLACE_DATE.match(unit.text):
            return match.group(1).strip(" *")
    return None


def is_noisy(text: str) -> bool:
    """OCR output without reliable diacritics: few words carry Vietnamese marks, or digits sit inside words."""
    words = re.findall(r"[^\W\d_]+", text)
    if len(words) < 50:
        return False
    marked = sum(1 for word in words if fold(word) != word)
    mixed = len(_MIXED_TOKEN.findall(text))
    return marked / len(words) < 0.35 or mixed / len(words) > 0.02


def repair_ocr(text: str) -> str:
    """Undo OCR's commonest confusions inside words ("d6i" → "doi", "X4" → "Xa") for indexing only."""
    return _MIXED_TOKEN.sub(lambda match: match.group(0).translate(_OCR_DIGITS), text)
