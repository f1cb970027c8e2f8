"""Fit the confidence weights (knowledge.confidence) on half a of the dev set; report both halves.

    PYTHONPATH=. .venv/bin/python bench/fit_confidence.py [--data-dir var]

Positives: in-scope questions (guide, plan) whose best hit is right. Negatives: wrong best hits and out-of-scope
questions (far and near) that reach the confidence at all (those referred by the domain table or recognised as
small talk never do). Prints the fitted weights to paste into `Confidence`'s defaults, and the rejection and
false-rejection rates at the chosen cut-off on each half.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from knowledge.answers import Answerer
from knowledge.confidence import Confidence, Evidence, fit, with_weights
from knowledge.evaluation import Example, default_devset, load_examples, split
from knowledge.store import IndexSource, load_or_build


def samples(answerer: Answerer, examples: list[Example]) -> list[tuple[Example, Evidence, bool]]:
    found = []
    for example in examples:
        if example.kind not in ("guide", "plan", "oos", "near") or example.user:
            continue
        answer = answerer.answer(example.question)
        if answer.domain is not None or answer.outcome.value == "smalltalk" or answer.intent.value == "scam":
            continue  # decided before the confidence: referred by the domain table, small talk, a scam
        explained = answerer.explain(example.question)
        if explained is None:
            continue
        result, evidence = explained
        target = result.hits[0].target
        if example.kind == "guide":
            right = target == example.topic
        elif example.kind == "plan":
            right = target.split("#")[0] == example.document
        else:
            right = False
        found.append((example, evidence, right))
    return found


def rates(confidence: Confidence, rows: list[tuple[Example, Evidence, bool]]) -> tuple[float, float]:
    """(share of out-of-scope rejected, share of right in-scope hits rejected) at the answer cut-off."""
    oos = [confidence.score(e) < confidence.answer_at for ex, e, _ in rows if ex.kind in ("oos", "near")]
    inscope = [confidence.score(e) < confidence.answer_at for ex, e, right in rows if right]
    return sum(oos) / max(len(oos), 1), sum(inscope) / max(len(inscope), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path("var"))
    parser.add_argument("--max-false-rejection", type=float, default=0.01)
    args = parser.parse_args()
    index, knowledge = load_or_build(IndexSource(args.data_dir))
    answerer = Answerer(index, knowledge)
    examples = load_examples(default_devset())
    rows_a, rows_b = samples(answerer, split(examples, "a")), samples(answerer, split(examples, "b"))
    bias, weights = fit([e for _, e, _ in rows_a], [right for _, _, right in rows_a])
    fitted = with_weights(Confidence(), bias, weights)
    cut = 0.5
    for candidate in [x / 100 for x in range(5, 96)]:
        trial = replace(fitted, answer_at=candidate)
        if rates(trial, rows_a)[1] <= args.max_false_rejection:
            cut = candidate
    fitted = replace(fitted, answer_at=cut, suggest_at=min(cut, 0.15))
    print("weights:", {name: round(value, 2) for name, value in fitted.weights().items()})
    for half, rows in (("a", rows_a), ("b", rows_b)):
        rejected, false_rejected = rates(fitted, rows)
        print(
            f"half {half}: {len(rows)} questions; out-of-scope rejected {rejected:.3f}, "
            f"right hits rejected {false_rejected:.3f}"
        )


if __name__ == "__main__":
    main()
