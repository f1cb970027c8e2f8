"""How sure we are that the best hit answers the question: a logistic score over the hit's evidence.

The evidence of the best hit: IDF-weighted coverage of the question's words and word pairs by its best document,
log BM25, log lead over the runner-up, log length of the question, and, new with coverage-awareness, the share
of the question's weight (IDF) that the whole target (every document of a guide) does not contain at all. A
neighbouring question ("rút BHXH 1 lần") shares many words with a guide (`vssid`) and gets a high BM25 score; what
gives it away is the rare words the guide never uses ("rút", "lần"). The weights are fitted on half *a* of the
dev set (`fit`, run by `bench/fit_confidence.py`) and checked on half *b*.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

from embeddings.index import SearchResult

FEATURES = ("coverage", "phrase", "lexical", "margin", "length", "uncovered")


@dataclass(frozen=True, slots=True)
class Evidence:
    coverage: float
    phrase: float
    lexical: float
    margin: float
    length: float
    uncovered: float

    def vector(self) -> list[float]:
        return [getattr(self, name) for name in FEATURES]


def evidence(result: SearchResult, uncovered_share: float) -> Evidence:
    """The features of the best hit (see the module's docstring)."""
    best = result.hits[0]
    runner_up = result.hits[1].lexical if len(result.hits) > 1 else 0.0
    return Evidence(
        coverage=best.coverage,
        phrase=best.phrase,
        lexical=math.log1p(max(best.lexical, 0.0)),
        margin=math.log1p(max(best.lexical - runner_up, 0.0)),
        length=math.log1p(len(result.query.content)),
        uncovered=uncovered_share,
    )


@dataclass(frozen=True, slots=True)
class Confidence:
    """Logistic weights over `Evidence`, and the two cut-offs between answer, suggestion and fallback."""

    bias: float = -8.11
    coverage: float = 3.9
    phrase: float = 4.0
    lexical: float = -0.26
    margin: float = 1.35
    length: float = 1.77
    uncovered: float = -1.38
    answer_at: float = 0.35
    suggest_at: float = 0.15

    def score(self, seen: Evidence) -> float:
        z = self.bias + sum(getattr(self, name) * value for name, value in zip(FEATURES, seen.vector(), strict=True))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    def weights(self) -> dict[str, float]:
        return {item.name: getattr(self, item.name) for item in fields(self)}


def fit(
    samples: Sequence[Evidence], labels: Sequence[bool], l2: float = 0.05, steps: int = 400
) -> tuple[float, dict[str, float]]:
    """Logistic regression (Newton's method with a small L2 penalty): (bias, weight per feature).

    `labels` say whether the best hit was right (an in-scope question whose best hit is its guide or document);
    wrong hits and out-of-scope questions are the negatives.
    """
    x = np.asarray([[1.0, *sample.vector()] for sample in samples], dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    w = np.zeros(x.shape[1])
    penalty = np.eye(x.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -50, 50)))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = (x.T * (p * (1 - p))) @ x + penalty + np.eye(x.shape[1]) * 1e-9
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return float(w[0]), {name: float(value) for name, value in zip(FEATURES, w[1:], strict=True)}


def with_weights(base: Confidence, bias: float, weights: dict[str, float]) -> Confidence:
    return replace(base, bias=bias, **weights)
