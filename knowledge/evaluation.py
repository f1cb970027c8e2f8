"""`troly eval`: accuracy per slice, out-of-scope rejection and latency on a labelled question set.

The dev set (knowledge/eval/devset.jsonl) has one JSON object per line:
  id, question, kind, and by kind:
  - guide: topic (the guide that answers it), slice (accented | unaccented | teencode | typo), optional section
    (the role that should lead the reply: what, cost, steps...), optional set ("real": written the way citizens
    write, with vocabulary the guides lack);
  - plan: document and fact (text the answer must contain);
  - oos: far out of scope (weather, football); near: a neighbouring public-service question (land, social
    insurance...) that must not be answered confidently, with the domain it should be referred to;
  - noplan: a plan question about a place without a loaded plan (must say so, not answer);
  - smalltalk: thanks, greetings, insults (must be recognised as such).
  Any example may carry `user`: examples of one user are asked in file order with that user's previous question
  (follow-ups). `split` keeps half of the set aside (a stable hash of the id), so that what is tuned on half a
  is checked on half b.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from embeddings.text import fold
from knowledge.answers import Answer, Asker, Outcome
from knowledge.followups import Previous, previous_of

NOISY_SLICES = ("unaccented", "teencode", "typo")
Ask = Callable[[str, Asker], Answer]


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    question: str
    kind: str
    topic: str | None = None
    slice: str = "accented"
    document: str | None = None
    fact: str | None = None
    section: str | None = None
    set: str | None = None
    domain: str | None = None
    user: str | None = None
    places: tuple[str, ...] = ()


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
    shares: dict[str, list[bool]] = field(default_factory=lambda: defaultdict(list))
    latencies_ms: list[float] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    misses: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms) or [0.0]
        lengths = sorted(self.lengths) or [0]
        return {
            "guide": {name: tally.as_dict() for name, tally in sorted(self.guide.items())},
            "plan": {name: tally.as_dict() for name, tally in sorted(self.plan.items())},
            "measures": {name: _share(values) for name, values in sorted(self.shares.items())},
            "counts": {name: len(values) for name, values in sorted(self.shares.items())},
            "guide_reply_chars": {"median": lengths[len(lengths) // 2], "max": lengths[-1]},
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
            values = {key: raw.get(key) for key in Example.__dataclass_fields__ if raw.get(key) is not None}
            values["places"] = tuple(values.get("places", ()))
            examples.append(Example(**values))
        except (json.JSONDecodeError, TypeError) as error:
            raise ValueError(f"{path.name}:{number}: {error}") from error
    return examples


def half_of(example_id: str) -> str:
    return "a" if hashlib.sha1(example_id.encode()).digest()[0] % 2 == 0 else "b"


def split(examples: Iterable[Example], half: str) -> list[Example]:
    """ "a" or "b": a stable half of the set (by a hash of the id); anything else keeps all.

    A conversation (examples sharing `user`) stays in one half: the half of its first example."""
    examples = list(examples)
    if half not in ("a", "b"):
        return examples
    first_of_user: dict[str, str] = {}
    for example in examples:
        if example.user:
            first_of_user.setdefault(example.user, example.id)
    return [ex for ex in examples if half_of(first_of_user.get(ex.user or "", ex.id)) == half]


def evaluate(examples: Iterable[Example], ask: Ask) -> Report:
    report = Report()
    previous: dict[str, Previous] = {}
    for example in examples:
        asker = Asker(places=example.places, previous=previous.get(example.user or ""))
        started = time.perf_counter()
        answer = ask(example.question, asker)
        report.latencies_ms.append((time.perf_counter() - started) * 1000)
        if example.user and answer.outcome is not Outcome.SMALLTALK:
            previous[example.user] = previous_of(answer)
        _score(report, example, answer)
    return report


def _score(report: Report, example: Example, answer: Answer) -> None:
    confident = answer.confident
    if example.kind in ("oos", "near"):
        report.shares["far out-of-scope rejected" if example.kind == "oos" else "near out-of-scope rejected"].append(
            not confident
        )
        if example.kind == "near" and example.domain:
            report.shares["near referred to the right office"].append(answer.domain == example.domain)
        if confident or (example.kind == "near" and example.domain and answer.domain != example.domain):
            _miss(report, example, answer, example.domain)
        return
    if example.kind == "noplan":
        honest = answer.outcome is Outcome.FALLBACK and "chưa có kế hoạch" in answer.text
        report.shares["place without a plan answered honestly"].append(honest)
        if not honest:
            _miss(report, example, answer, "no plan")
        return
    if example.kind == "smalltalk":
        report.shares["small talk recognised"].append(answer.outcome is Outcome.SMALLTALK)
        if answer.outcome is not Outcome.SMALLTALK:
            _miss(report, example, answer, "smalltalk")
        return
    report.shares["in-scope false rejections"].append(not confident)
    if example.kind == "guide":
        _score_guide(report, example, answer)
    else:
        _score_plan(report, example, answer)


def _score_guide(report: Report, example: Example, answer: Answer) -> None:
    ranked = [answer.source, *answer.alternatives] if answer.source else []
    rank = _rank([source.id for source in ranked], example.topic)
    right = rank == 1 and answer.confident
    if example.set == "real":
        report.shares["real in-scope Hit@1 (confident)"].append(right)
    elif example.set is None:
        for name in (example.slice, "all", "noisy" if example.slice in NOISY_SLICES else "clean"):
            report.guide[name].add(rank)
    if example.user:
        report.shares["follow-ups resolved"].append(right)
    if right:
        report.lengths.append(len(answer.text))
    if example.section and right and answer.source is not None:
        report.shares["reply led by the asked section"].append(answer.source.section == example.section)
    if not right:
        _miss(report, example, answer, example.topic)


def _score_plan(report: Report, example: Example, answer: Answer) -> None:
    ranked = [answer.source, *answer.alternatives] if answer.source else []
    rank = _rank([source.document for source in ranked], example.document)
    for name in (example.slice, "all"):
        report.plan[name].add(rank)
    found = rank == 1 and answer.confident and _contains(answer.text, example.fact or "")
    report.shares["plan answers with the fact"].append(found)
    if not found:
        _miss(report, example, answer, example.document)


def _miss(report: Report, example: Example, answer: Answer, wanted: str | None) -> None:
    ranked = [answer.source, *answer.alternatives] if answer.source else list(answer.alternatives)
    report.misses.append(
        {
            "id": example.id,
            "question": example.question,
            "want": wanted,
            "outcome": answer.outcome.value,
            "got": [source.id for source in ranked if source],
            "referral": answer.domain,
            "score": round(answer.score, 3),
        }
    )


def _rank(ranked: list[str | None], wanted: str | None) -> int | None:
    for position, value in enumerate(ranked, start=1):
        if value == wanted:
            return position
    return None


def _contains(text: str, fact: str) -> bool:
    """The fact is in the answer, compared without case, spacing or diacritics (OCR text is restored)."""

    def norm(value: str) -> str:
        return " ".join(fold(value).lower().split())

    return bool(fact) and norm(fact) in norm(text)


def _share(values: list[bool]) -> float | None:
    return sum(values) / len(values) if values else None


def _percentile(sorted_values: list[float], percent: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(percent / 100 * (len(sorted_values) - 1))))
    return round(sorted_values[index], 2)
