"""Measuring gap clustering and local-answer matching on labelled paraphrase groups (tests/feedback/paraphrases.json).

Clustering: pairwise precision (two questions put together really share a need), pairwise recall (two questions of
one need are put together), purity and inverse purity. Matching: each question held out in turn against the
others as local answers (one per group): how often the best answer is its own group's at a confidence >= 0.5, how
often a wrong one is given, and how often a guide's own example question would be taken by a local answer.
"""

from __future__ import annotations

import itertools
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from handlers.feedback.services import guide_questions
from handlers.feedback.similarity import CLUSTER_DISTANCE, TextSpace, cluster, normalise

PARAPHRASES = Path(__file__).with_name("paraphrases.json")


def labelled() -> tuple[list[str], list[str]]:
    groups: dict[str, list[str]] = json.loads(PARAPHRASES.read_text(encoding="utf-8"))["groups"]
    return [q for items in groups.values() for q in items], [name for name, items in groups.items() for _ in items]


@dataclass(frozen=True, slots=True)
class ClusterQuality:
    precision: float
    recall: float
    purity: float
    inverse_purity: float
    clusters: int
    groups: int

    @property
    def f1(self) -> float:
        return 2 * self.precision * self.recall / (self.precision + self.recall)


def cluster_quality(distance: float = CLUSTER_DISTANCE) -> ClusterQuality:
    questions, labels = labelled()
    texts = [normalise(question) for question in questions]
    background = [normalise(question) for question in guide_questions()]
    predicted = cluster(texts, TextSpace([*background, *texts]), distance)
    together = same = both = 0
    for i, j in itertools.combinations(range(len(texts)), 2):
        shared, joined = labels[i] == labels[j], predicted[i] == predicted[j]
        together += joined
        same += shared
        both += shared and joined
    return ClusterQuality(
        precision=both / together if together else 1.0,
        recall=both / same,
        purity=_purity(predicted, labels),
        inverse_purity=_purity(labels, predicted),
        clusters=len(set(predicted)),
        groups=len(set(labels)),
    )


def _purity(found: list[int] | list[str], truth: list[int] | list[str]) -> float:
    """Share of items in the majority true class of their found cluster."""
    members: dict[object, list[object]] = {}
    for key, label in zip(found, truth, strict=True):
        members.setdefault(key, []).append(label)
    return sum(Counter(labels).most_common(1)[0][1] for labels in members.values()) / len(found)


@dataclass(frozen=True, slots=True)
class MatchQuality:
    right: float  # held-out paraphrase answered by its own group at >= threshold
    wrong: float  # ... by another group's answer
    guide_taken: float  # a guide example question answered by some local answer


def match_quality(threshold: float = 0.5) -> MatchQuality:
    questions, labels = labelled()
    background = [normalise(question) for question in guide_questions()]
    right = wrong = 0
    for held in range(len(questions)):
        kept = [i for i in range(len(questions)) if i != held]
        texts = [normalise(questions[i]) for i in kept]
        space = TextSpace([*background, *texts])
        scores = (space.vectors(texts) @ space.vectors([normalise(questions[held])]).T).toarray().ravel()
        best = int(np.argmax(scores))
        if scores[best] >= threshold:
            right += labels[kept[best]] == labels[held]
            wrong += labels[kept[best]] != labels[held]
    texts = [normalise(question) for question in questions]
    space = TextSpace([*background, *texts])
    guide_scores = (space.vectors(background) @ space.vectors(texts).T).toarray().max(axis=1)
    total = len(questions)
    return MatchQuality(right / total, wrong / total, float((guide_scores >= threshold).mean()))
