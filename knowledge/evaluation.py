"""`troly eval`: accuracy per slice, out-of-scope rejection and latency on a labelled question set.

The dev set (knowledge/eval/devset.jsonl) has one JSON object per line: id, question, kind (guide | plan | oos),
topic, slice (accented | unaccented | teencode | typo), document and fact. `split` keeps half of it aside, so
the numbers reported for tuning on one half can be confirmed on the other.
"""

from __future__ import annotations

import hashlib
import json
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from knowledge.answers import Answer

NOISY_SLICES = ("unaccented", "teencode", "typo")


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    question: str
    kind: str
    topic: str | None = None
    slice: str = "accented"
    document: str | None = None
    fact: str | None = None


@dataclass
class Tally:
    count: int = 0
    hit1: int = 0
    hit3: int = 0
    reciprocal: float = 0.0

    def add(self, rank: int | None) -> None:
        self.count += 1
        if rank is not None:
            self.hit1 += rank == 1
            self.hit3 += rank <= 3
            self.reciprocal += 1.0 / rank

    def as_dict(self) -> dict[str, float]:
        n = max(self.count, 1)
        return {"n": self.count, "hit@1": self.hit1 / n, "hit@3": self.hit3 / n, "mrr": self.reciprocal / n}


@dataclass
class Report:
    guide: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    plan: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    plan_fact: list[bool] = field(default_factory=list)
    oos_rejected: list[bool] = field(default_factory=list)
    false_rejections: list[bool] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms) or [0.0]
        return {
            "guide": {name: tally.as_dict() for name, tally in sorted(self.guide.items())},
            "plan": {name: tally.as_dict() for name, tally in sorted(self.plan.items())},
            "plan_fact_accuracy": _share(self.plan_fact),
            "oos_rejection": _share(self.oos_rejected),
            "in_scope_false_rejection": _share(self.false_rejections),
            "latency_ms": {"p50": _percentile(lat, 50), "p99": _percentile(lat, 99)},
            "questions": len(self.latencies_ms),
        }


def default_devset() -> Path:
    return Path(str(resources.files("knowledge") / "eval" / "devset.jsonl"))


def load_examples(path: Path) -> list[Example]:
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            examples.append(Example(**{key: raw.get(key) for key in Example.__dataclass_fields__}))
        except (json.JSONDecodeError, TypeError) as error:
            raise ValueError(f"{path.name}:{number}: {error}") from error
    return examples


def split(examples: Iterable[Example], half: str) -> list[Example]:
    """ "a" or "b": a stable half of the set (by a hash of the id); anything else keeps all."""
    if half not in ("a", "b"):
        return list(examples)
    return [ex for ex in examples if (hashlib.sha1(ex.id.encode()).digest()[0] % 2 == 0) == (half == "a")]


def evaluate(examples: Iterable[Example], ask: Callable[[str], Answer]) -> Report:
    report = Report()
    for example in examples:
        started = time.perf_counter()
        answer = ask(example.question)
        report.latencies_ms.append((time.perf_counter() - started) * 1000)
        _score(report, example, answer)
    return report


def _score(report: Report, example: Example, answer: Answer) -> None:
    ranked = [answer.source, *answer.alternatives] if answer.source else list(answer.alternatives)
    if example.kind == "oos":
        report.oos_rejected.append(not answer.confident)
        if answer.confident:
            report.misses.append({"id": example.id, "question": example.question, "got": answer.source})
        return
    report.false_rejections.append(not answer.confident)
    if example.kind == "guide":
        ids = [source.id if source else None for source in ranked] if answer.source else []
        rank = _rank(ids, example.topic)
        for name in (example.slice, "all", "noisy" if example.slice in NOISY_SLICES else "clean"):
            report.guide[name].add(rank)
    else:
        docs = [source.document if source else None for source in ranked] if answer.source else []
        rank = _rank(docs, example.document)
        for name in (example.slice, "all"):
            report.plan[name].add(rank)
        found = rank == 1 and answer.confident and _contains(answer.text, example.fact or "")
        report.plan_fact.append(found)
    if not (rank == 1 and answer.confident):
        report.misses.append(
            {
                "id": example.id,
                "question": example.question,
                "want": example.topic or example.document,
                "got": [source.id for source in ranked if source],
                "confident": answer.confident,
            }
        )


def _rank(ranked: list[str | None], wanted: str | None) -> int | None:
    for position, value in enumerate(ranked, start=1):
        if value == wanted:
            return position
    return None


def _contains(text: str, fact: str) -> bool:
    def norm(value: str) -> str:
        return " ".join(unicodedata.normalize("NFC", value).lower().split())

    return bool(fact) and norm(fact) in norm(text)


def _share(values: list[bool]) -> float | None:
    return sum(values) / len(values) if values else None


def _percentile(sorted_values: list[float], percent: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(percent / 100 * (len(sorted_values) - 1))))
    return round(sorted_values[index], 2)
