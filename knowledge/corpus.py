"""What gets indexed: guides (their text and each of their questions) and plan passages.

`Knowledge` is the answer-side view of the same material (titles, bodies, passages), saved next to the index as
JSON so that answering never has to re-read or re-parse the sources.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from embeddings.index import Document
from embeddings.text import fold
from knowledge.guides import Guide
from knowledge.places import Gazetteer
from knowledge.plans import Passage, PlanDocument, repair_ocr
from knowledge.sections import Role, split_sections

GUIDE_KIND, PLAN_KIND = "guide", "plan"
_SEE_ALSO = re.compile(r"^\s*Xem thêm:.*$", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class GuideCard:
    id: str
    title: str
    summary: str
    body: str
    short: str = ""
    group: str = "khac"
    questions: tuple[str, ...] = ()
    faq: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, guide: Guide) -> GuideCard:
        return cls(
            guide.id, guide.title, guide.summary, guide.body, guide.short, guide.group, guide.questions, guide.faq
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GuideCard:
        data = {**data, "questions": tuple(data.get("questions", ())), "faq": tuple(map(tuple, data.get("faq", ())))}
        return cls(**data)


@dataclass(slots=True)
class Knowledge:
    guides: dict[str, GuideCard] = field(default_factory=dict)
    passages: dict[str, Passage] = field(default_factory=dict)
    documents: dict[str, str] = field(default_factory=dict)  # plan file name -> title
    places: dict[str, str] = field(default_factory=dict)  # plan file name -> its place's key ("mong cai")
    ocr: list[str] = field(default_factory=list)  # plan files read from OCR (their excerpts are marked)

    def kind(self, target: str) -> str:
        return GUIDE_KIND if target in self.guides else PLAN_KIND

    def save(self, path: Path) -> None:
        data = {
            "guides": [asdict(card) for card in self.guides.values()],
            "passages": [asdict(passage) for passage in self.passages.values()],
            "documents": self.documents,
            "places": self.places,
            "ocr": self.ocr,
        }
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Knowledge:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        guides = [GuideCard.from_json(card) for card in data["guides"]]
        passages = [Passage(**{**item, "section": tuple(item["section"])}) for item in data["passages"]]
        return cls(
            guides={card.id: card for card in guides},
            passages={passage.id: passage for passage in passages},
            documents=dict(data["documents"]),
            places=dict(data.get("places", {})),
            ocr=list(data.get("ocr", [])),
        )


def guide_documents(guide: Guide) -> list[Document]:
    """A guide is found by its title and summary, by the ways people ask about it (together and one by one),
    and by its body. The generic "Cần hỗ trợ?" section and the "Xem thêm" pointers to sibling guides are left
    out: every guide shares the first, and the second names other topics."""
    parts = split_sections(_SEE_ALSO.sub("", guide.body), guide.faq)
    body = "\n".join(f"{part.heading} {part.text}" for part in parts if part.role is not Role.HELP)
    head = f"{guide.title}. {guide.summary} {' '.join(tag.replace('-', ' ') for tag in guide.tags)}"
    questions = [*guide.questions, *(question for question, _ in guide.faq)]
    return [
        Document(guide.id, head),
        Document(guide.id, " ; ".join(questions)),
        *(Document(guide.id, question) for question in questions),
        Document(guide.id, f"{guide.title}. {body}"),
    ]


def distinctive_pairs(plans: list[PlanDocument], guides: list[Guide], top: int = 3) -> dict[str, list[str]]:
    """Per plan, its most frequent proper-noun pairs that no guide mentions (usually its place: "Uông Bí").

    Passages rarely repeat where they come from; adding these names to every passage lets "Uông Bí ... bao
    nhiêu hộ" reach the Uông Bí report rather than a guide that shares the other words.
    """
    in_guides = {pair for guide in guides for pair in _name_pairs(f"{guide.title} {guide.summary} {guide.body}")}
    result = {}
    for plan in plans:
        counts = Counter(_name_pairs(" ".join(passage.text for passage in plan.passages)))
        ranked = [pair for pair, n in counts.most_common() if n >= 3 and pair not in in_guides]
        result[plan.name] = ranked[:top]
    return result


_NAME_PAIR = re.compile(r"(?=\b([^\W\d_][^\W\d_A-ZĐ]+) ([^\W\d_][^\W\d_A-ZĐ]+)\b)")


def _name_pairs(text: str) -> list[str]:
    """Consecutive capitalised words ("Móng Cái", "Trà Vinh"), folded so accents do not split counts."""
    return [
        fold(f"{first} {second}").lower()
        for first, second in _NAME_PAIR.findall(text)
        if first[0].isupper() and second[0].isupper()
    ]


def plan_documents(plan: PlanDocument, keywords: list[str] = ()) -> list[Document]:  # type: ignore[assignment]
    """A passage is indexed with its document title and section path, so "kế hoạch 2023 mục tiêu" finds it."""
    documents = []
    for passage in plan.passages:
        text = "\n".join([plan.title, " ; ".join(keywords), *passage.section, passage.text])
        if plan.noisy:
            text = repair_ocr(text)
        documents.append(Document(passage.id, text, noisy=plan.noisy, group=plan.name, prior=passage_prior(passage)))
    return documents


_FIGURE = re.compile(r"\d+(?:[.,]\d+)?\s*%|\b\d{1,3}(?:[.,]\d{3})+\b|\b\d+/\d+\b|\bnăm 20\d\d\b|\bngày \d")
_DUTY = re.compile(r"chủ trì|phối hợp|chịu trách nhiệm|trách nhiệm|hoàn thành|phấn đấu|đạt|chỉ tiêu", re.IGNORECASE)
_OPENING = re.compile(r"^(?:căn cứ|can c|thực hiện|theo đề nghị|xét đề nghị)", re.IGNORECASE)
_APPENDIX = re.compile(r"phụ lục|gửi kèm|kèm theo", re.IGNORECASE)


def passage_prior(passage: Passage) -> float:
    """How much a passage is worth quoting: figures, dates and duties up, openings and appendix pointers down.

    Multiplies the passage's BM25 score, so among passages that match a question equally, the one with the
    target ("95% người dân...", "trước ngày 15 hàng tháng") is quoted rather than "Căn cứ ..." or "(phụ lục gửi
    kèm)".
    """
    text = passage.text
    prior = 1.0
    figures = len(_FIGURE.findall(text))
    prior += min(figures, 4) * 0.05
    if _DUTY.search(text):
        prior += 0.05
    if not passage.section or _OPENING.match(text):
        prior -= 0.25
    if len(text) < 120 and _APPENDIX.search(text):
        prior -= 0.4
    elif len(text) < 60:
        prior -= 0.2
    return max(prior, 0.3)


def build_corpus(
    guides: list[Guide], plans: list[PlanDocument]
) -> tuple[list[Document], Knowledge, dict[str, list[str]]]:
    """Documents to index, the answer-side knowledge, and the place names of each plan (by file name)."""
    knowledge = Knowledge()
    documents: list[Document] = []
    for guide in guides:
        knowledge.guides[guide.id] = GuideCard.of(guide)
        documents.extend(guide_documents(guide))
    keywords = distinctive_pairs(plans, guides)
    gazetteer = Gazetteer.load()
    for plan in plans:
        knowledge.documents[plan.name] = plan.title
        home = gazetteer.home(plan.title + "\n" + " ".join(passage.text for passage in plan.passages))
        if home is not None:
            knowledge.places[plan.name] = home.key
        if plan.noisy:
            knowledge.ocr.append(plan.name)
        knowledge.passages.update((passage.id, passage) for passage in plan.passages)
        documents.extend(plan_documents(plan, keywords[plan.name]))
    return documents, knowledge, keywords
