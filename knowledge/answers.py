"""From a citizen's question to an answer: retrieve, judge confidence, and pick one of three outcomes.

ANSWER when the best match is convincing; SUGGEST ("did you mean") with the top three as choices when something
matches but not convincingly; FALLBACK (an honest "I don't know", the topic menu and where to find a person)
otherwise. Confidence is a logistic score over the evidence of the best match (how much of the question it
covers, word by word and pair by pair, how strong its BM25 score is and how far ahead of the runner-up), fitted
on half of the dev set and checked on the other half (see docs/answers.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from embeddings.index import Hit, HybridIndex, SearchResult
from knowledge import formatting
from knowledge.corpus import GUIDE_KIND, PLAN_KIND, Knowledge


class Outcome(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    FALLBACK = "fallback"


@dataclass(frozen=True, slots=True)
class Confidence:
    """Logistic weights over a hit's evidence, and the two cut-offs between the three outcomes."""

    bias: float = -13.47
    coverage: float = 3.80
    phrase: float = 2.80
    lexical: float = 3.26
    margin: float = 1.56
    length: float = 0.95
    dense: float = 0.0
    answer_at: float = 0.5
    suggest_at: float = 0.15

    def score(self, result: SearchResult) -> float:
        """Probability-like confidence that the best hit answers the question.

        Features of the best hit: IDF-weighted coverage of the question's words and word pairs, log BM25, log
        lead over the runner-up, and log of the number of content words (short questions score lower BM25).
        """
        best = result.hits[0]
        runner_up = result.hits[1].lexical if len(result.hits) > 1 else 0.0
        z = (
            self.bias
            + self.coverage * best.coverage
            + self.phrase * best.phrase
            + self.lexical * math.log1p(max(best.lexical, 0.0))
            + self.margin * math.log1p(max(best.lexical - runner_up, 0.0))
            + self.length * math.log1p(len(result.query.content))
            + self.dense * max(best.dense, 0.0)
        )
        return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True, slots=True)
class Source:
    kind: str
    id: str
    title: str
    document: str | None = None
    section: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "document": self.document,
            "section": self.section,
        }


@dataclass(frozen=True, slots=True)
class Answer:
    question: str
    text: str
    outcome: Outcome
    score: float
    source: Source | None
    alternatives: tuple[Source, ...] = ()

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
            "score": round(self.score, 4),
            "topic": self.topic,
            "source": self.source.as_dict() if self.source else None,
            "alternatives": [
                {"topic": alt.id if alt.kind == GUIDE_KIND else None, "source": alt.as_dict()}
                for alt in self.alternatives
            ],
        }


class Answerer:
    """Answers questions from one loaded index; cheap to call, safe to share between threads."""

    def __init__(self, index: HybridIndex, knowledge: Knowledge, confidence: Confidence | None = None) -> None:
        self.index = index
        self.knowledge = knowledge
        self.confidence = confidence or Confidence()

    def answer(self, question: str) -> Answer:
        question = " ".join(question.split())
        result = self.index.search(question, k=4) if question else None
        hits = result.hits if result else []
        if result is None or not hits:
            return Answer(question, formatting.fallback_text(), Outcome.FALLBACK, 0.0, None)
        score = self.confidence.score(result)
        sources = [self.source(hit.target) for hit in hits]
        if score >= self.confidence.answer_at:
            text = self._answer_text(hits[0], question)
            return Answer(question, text, Outcome.ANSWER, score, sources[0], tuple(sources[1:4]))
        if score >= self.confidence.suggest_at:
            text = formatting.suggestion_text(sources[:3])
            return Answer(question, text, Outcome.SUGGEST, score, sources[0], tuple(sources[1:3]))
        return Answer(question, formatting.fallback_text(), Outcome.FALLBACK, score, None, tuple(sources[:3]))

    def source(self, target: str) -> Source:
        if target in self.knowledge.guides:
            guide = self.knowledge.guides[target]
            return Source(GUIDE_KIND, guide.id, guide.title)
        passage = self.knowledge.passages[target]
        return Source(PLAN_KIND, passage.id, passage.title, passage.document, passage.section_label or None)

    def _answer_text(self, hit: Hit, question: str) -> str:
        if hit.target in self.knowledge.guides:
            return formatting.guide_answer(self.knowledge.guides[hit.target])
        query = self.index.parse(question)
        return formatting.plan_answer(self.knowledge.passages[hit.target], set(query.folded))
