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
from knowledge.formatting import sections
from knowledge.guides import Guide
from knowledge.plans import Passage, PlanDocument, repair_ocr

GUIDE_KIND, PLAN_KIND = "guide", "plan"
_SEE_ALSO = re.compile(r"^\s*Xem thêm:.*$", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class GuideCard:
    id: str
    title: str
    summary: str
    body: str


@dataclass(slots=True)
class Knowledge:
    guides: dict[str, GuideCard] = field(default_factory=dict)
    passages: dict[str, Passage] = field(default_factory=dict)
    documents: dict[str, str] = field(default_factory=dict)  # plan file name -> title

    def kind(self, target: str) -> str:
        return GUIDE_KIND if target in self.guides else PLAN_KIND

    def save(self, path: Path) -> None:
        data = {
            "guides": [asdict(card) for card in self.guides.values()],
            "passages": [asdict(passage) for passage in self.passages.values()],
            "documents": self.documents,
        }
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Knowledge:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        guides = [GuideCard(**card) for card in data["guides"]]
        passages = [Passage(**{**item, "section": tuple(item["section"])}) for item in data["passages"]]
        return cls(
            guides={card.id: card for card in guides},
            passages={passage.id: passage for passage in passages},
            documents=dict(data["documents"]),
        )


def guide_documents(guide: Guide) -> list[Document]:
    """A guide is found by its title and summary, by the ways people ask about it (together and one by one),
    and by its body. The generic "Cần hỗ trợ?" section and the "Xem thêm" pointers to sibling guides are left
    out: every guide shares the first, and the second names other topics."""
    parts = sections(_SEE_ALSO.sub("", guide.body))
    body = "\n".join(f"{name} {text}" for name, text in parts.items() if not name.lower().startswith("cần hỗ trợ"))
    head = f"{guide.title}. {guide.summary} {' '.join(tag.replace('-', ' ') for tag in guide.tags)}"
    return [
        Document(guide.id, head),
        Document(guide.id, " ; ".join(guide.questions)),
        *(Document(guide.id, question) for question in guide.questions),
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
        documents.append(Document(passage.id, text, noisy=plan.noisy, group=plan.name))
    return documents


def build_corpus(
    guides: list[Guide], plans: list[PlanDocument]
) -> tuple[list[Document], Knowledge, dict[str, list[str]]]:
    """Documents to index, the answer-side knowledge, and the place names of each plan (by file name)."""
    knowledge = Knowledge()
    documents: list[Document] = []
    for guide in guides:
        knowledge.guides[guide.id] = GuideCard(guide.id, guide.title, guide.summary, guide.body)
        documents.extend(guide_documents(guide))
    keywords = distinctive_pairs(plans, guides)
    for plan in plans:
        knowledge.documents[plan.name] = plan.title
        knowledge.passages.update((passage.id, passage) for passage in plan.passages)
        documents.extend(plan_documents(plan, keywords[plan.name]))
    return documents, knowledge, keywords
