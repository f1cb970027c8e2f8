"""Benchmark of the answers pipeline (not a test): build time, warm latency, cold start, corpus growth.

Run: PYTHONPATH=. python bench/answers_bench.py examples/plans/*.txt
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from embeddings.index import Document, HybridIndex
from knowledge.answers import Answerer
from knowledge.corpus import build_corpus
from knowledge.evaluation import default_devset, load_examples
from knowledge.guides import load_guides
from knowledge.ingest import ingest, load_plans
from knowledge.store import IndexSource, build_index


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def warm_latency(answer, questions: list[str], rounds: int = 3) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    answer("khởi động")
    timings = []
    for _ in range(rounds):
        for question in questions:
            started = time.perf_counter()
            answer(question)
            timings.append((time.perf_counter() - started) * 1000)
    return percentiles(timings)


def reply_lengths(answerer: Answerer, questions: list[str]) -> str:
    """Characters of confident guide replies (median, max) and of every reply (max), against the 2000 limit."""
    answers = [answerer.answer(question) for question in questions]
    guide = sorted(len(answer.text) for answer in answers if answer.confident and answer.topic)
    longest = max(len(answer.text) for answer in answers)
    return (
        f"guide replies: median {statistics.median(guide):.0f} chars, max {guide[-1]} ({len(guide)} replies); "
        f"longest reply of any kind {longest} chars"
    )


def main(paths: list[str]) -> None:
    questions = [example.question for example in load_examples(default_devset())]
    questions += [example.question for example in load_examples(default_devset().with_name("holdout.jsonl"))]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        ingest([Path(p) for p in paths], data)
        started = time.perf_counter()
        index, knowledge = build_index(IndexSource(data))
        print(f"index build: {time.perf_counter() - started:.2f} s ({index.lexical.num_docs} documents)")
        answerer = Answerer(index, knowledge)
        p50, p99 = warm_latency(answerer.answer, questions)
        print(f"warm latency (full pipeline, {len(questions)} questions x3): p50 {p50:.2f} ms, p99 {p99:.2f} ms")
        print(reply_lengths(answerer, questions))
        env = {
            **os.environ,
            "TROLY_DATA_DIR": str(data),
            "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        }
        cold = []
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "bot", "ask", "cài vneid ntn"],
                env=env,
                check=True,
                capture_output=True,
            )
            cold.append(time.perf_counter() - started)
        print(f"troly ask cold start (process start to answer): median {statistics.median(cold):.2f} s")
        documents, _, _ = build_corpus(load_guides(), load_plans(data))
        for factor in (10, 100):
            grown = [
                Document(f"{doc.target}~{copy}", doc.text, doc.noisy, doc.group)
                for copy in range(factor)
                for doc in documents
            ]
            started = time.perf_counter()
            big = HybridIndex.build(grown)
            built = time.perf_counter() - started
            p50, p99 = warm_latency(lambda q, big=big: big.search(q), questions[:100], rounds=1)
            print(
                f"corpus x{factor} ({len(grown)} documents): build {built:.1f} s, "
                f"search p50 {p50:.2f} ms, p99 {p99:.2f} ms"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
