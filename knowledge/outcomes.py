"""What the answerer returns: the outcome, the source it cites, and the `troly ask --json` contract.

Kept apart from the pipeline (knowledge.answers) so that channels, evaluation and other answer providers can use
the types without loading an index.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from knowledge.corpus import GUIDE_KIND
from knowledge.followups import Previous
from knowledge.intents import Intent


class Outcome(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    FALLBACK = "fallback"
    REFERRAL = "referral"
    SMALLTALK = "smalltalk"


@dataclass(frozen=True, slots=True)
class Source:
    kind: str
    id: str
    title: str
    document: str | None = None
    section: str | None = None  # a plan passage's section path; for a guide, the role of the leading section

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "document": self.document,
            "section": self.section,
        }


@dataclass(frozen=True, slots=True)
class Asker:
    """Who asks: the place keys of their area (most specific first) and their recent previous question."""

    places: tuple[str, ...] = ()
    previous: Previous | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    question: str  # as asked, personal numbers masked
    text: str
    outcome: Outcome
    score: float
    source: Source | None
    alternatives: tuple[Source, ...] = ()
    intent: Intent = Intent.OTHER
    domain: str | None = None  # the referral's domain
    smalltalk: str | None = None
    personal: bool = False  # the question carried an ID or phone number (masked here, never stored)
    query: str = ""  # what was searched (a follow-up is searched with the previous question)
    options: tuple[str, ...] = ()  # texts the user may send back (the localities to choose from)

    @property
    def confident(self) -> bool:
        return self.outcome is Outcome.ANSWER

    @property
    def topic(self) -> str | None:
        return self.source.id if self.source is not None and self.source.kind == GUIDE_KIND else None

    def as_dict(self) -> dict[str, Any]:
        """The `troly ask --json` contract."""
        return {
            "question": self.question,
            "answer": self.text,
            "confident": self.confident,
            "outcome": self.outcome.value,
            "score": round(self.score, 4),
            "topic": self.topic,
            "source": self.source.as_dict() if self.source else None,
            "alternatives": [
                {"topic": alt.id if alt.kind == GUIDE_KIND else None, "source": alt.as_dict()}
                for alt in self.alternatives
            ],
            "intent": self.intent.value,
            "referral": self.domain,
        }
