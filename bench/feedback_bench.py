"""Benchmark of the feedback loop (not a test): what it adds to a warm reply, cluster and match quality, scale.

1. Warm reply with and without the feature: two apps (every default plugin; the same minus handlers.feedback) on
   their own databases answer the dev set's questions from citizens of a ward that has 20 local answers, in turns,
   so both meet the same machine load. With the feature each question is logged (masked, pseudonymised), gets the
   rating choices, and the local answers' version is checked and searched.
2. Quality on tests/feedback/paraphrases.json: gap clusters (pairwise precision/recall, purity) across the cut
   distance, and local-answer matching (held-out paraphrases; guide questions wrongly taken).
3. Scale: clustering n gap questions; rebuilding the local-answer index; one local-answer search.

Run: PYTHONPATH=. .venv/bin/python bench/feedback_bench.py [--rounds 3] [--postgres]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from pathlib import Path

from bot.app import Troly, create_app
from bot.areas import area_by_code
from bot.settings import DEFAULT_PLUGINS, Settings
from handlers.feedback.local_answers import Actor, Draft, create
from handlers.feedback.models import AnswerStatus
from handlers.feedback.services import guide_questions, make_local_index
from handlers.feedback.similarity import TextSpace, cluster, normalise
from knowledge.evaluation import default_devset, load_examples
from tests.feedback.helpers import import_sample
from tests.feedback.quality import cluster_quality, labelled, match_quality
from tests.helpers import inbound

WARD = "22-MC"
CITIZENS = 20


def make_app(directory: Path, url: str, plugins: tuple[str, ...]) -> Troly:
    app = create_app(Settings(data_dir=directory, database_url=url, plugins=plugins, core_workers=0))
    import_sample(app)
    for n in range(CITIZENS):
        app.handle(inbound(f"/dangky {WARD}", user=f"c{n}"))
    return app


def publish_local_answers(app: Troly, count: int, first: int = 0) -> None:
    questions, _ = labelled()
    with app.database.transaction() as session:
        area = area_by_code(session, WARD)
        assert area is not None
        for n in range(first, first + count):
            draft = Draft(area, [f"{questions[n % len(questions)]} (mục {n})"], f"Trả lời số {n}.", "UBND phường")
            create(
                session, draft, status=AnswerStatus.PUBLISHED, actor=Actor("bench"), origin="bench", now=app.clock.now()
            )


def reply_overhead(urls: tuple[str, str], rounds: int) -> None:
    """Median warm reply of three kinds, measured in turns: without the feature; with it, for citizens without an
    area (the question log and the rating prompt only); with it, for citizens of a ward with 20 local answers
    (the log, and the local answers searched)."""
    questions = [example.question for example in load_examples(default_devset())]
    without_feedback = tuple(name for name in DEFAULT_PLUGINS if name != "handlers.feedback")
    with tempfile.TemporaryDirectory() as tmp:
        with_app = make_app(Path(tmp) / "with", urls[0], DEFAULT_PLUGINS)
        without_app = make_app(Path(tmp) / "without", urls[1], without_feedback)
        publish_local_answers(with_app, 20)
        kinds = [("without", without_app, "c"), ("log only", with_app, "n"), ("log + local", with_app, "c")]
        timings: dict[str, list[float]] = {name: [] for name, _, _ in kinds}
        for _, app, prefix in kinds:  # warm: index loaded, local answers indexed, key file read
            app.handle(inbound("cài vneid thế nào", user=f"{prefix}0"))
        for round_number in range(rounds):
            for n, question in enumerate(questions):
                shift = (n + round_number) % len(kinds)
                for name, app, prefix in kinds[shift:] + kinds[:shift]:
                    message = inbound(question, user=f"{prefix}{n % CITIZENS}", message_id=f"{name}-{round_number}-{n}")
                    started = time.perf_counter()
                    app.handle(message)
                    timings[name].append((time.perf_counter() - started) * 1000)
        with_app.close()
        without_app.close()
    base = statistics.median(timings["without"])
    for name, values in timings.items():
        ordered = sorted(values)
        p50, p90 = statistics.median(ordered), ordered[int(len(ordered) * 0.9)]
        paired = statistics.median(a - b for a, b in zip(values, timings["without"], strict=True))
        extra = "" if name == "without" else f"; added to the median: {p50 - base:+.2f} ms (paired {paired:+.2f} ms)"
        print(f"  {name:>12}: p50 {p50:.2f} ms, p90 {p90:.2f} ms ({len(values)} replies){extra}")


def quality() -> None:
    for distance in (0.55, 0.6, 0.65, 0.7, 0.75):
        q = cluster_quality(distance)
        scores = f"precision {q.precision:.2f}, recall {q.recall:.2f}, F1 {q.f1:.2f}"
        purity = f"purity {q.purity:.2f}, inverse purity {q.inverse_purity:.2f}"
        print(f"  cut {distance:.2f}: {scores}, {purity}, {q.clusters} clusters for {q.groups} needs")
    for threshold in (0.4, 0.5, 0.6):
        m = match_quality(threshold)
        print(f"  matching at {threshold:.1f}: own answer {m.right:.2f}, another answer {m.wrong:.2f}, "
              f"guide questions taken {m.guide_taken:.3f}")  # fmt: skip


def scale() -> None:
    background = [normalise(q) for q in guide_questions()]
    base = sorted({normalise(e.question) for e in load_examples(default_devset())} | set(background))
    for size in (500, 2000, 5000):
        texts = [f"{base[i % len(base)]} khu {i // len(base)}" if i >= len(base) else base[i] for i in range(size)]
        started = time.perf_counter()
        labels = cluster(texts, TextSpace([*background, *texts]))
        elapsed = time.perf_counter() - started
        print(f"  clustering {size} distinct questions: {elapsed:.2f} s ({len(set(labels))} clusters)")
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp), f"sqlite:///{Path(tmp) / 'scale.db'}", DEFAULT_PLUGINS)
        published = 0
        for size in (100, 1000):
            publish_local_answers(app, size - published, published)
            published = size
            index = make_local_index()
            with app.database.transaction() as session:
                area = area_by_code(session, WARD)
                assert area is not None
                index.background()
                started = time.perf_counter()
                snapshot = index.current(session)
                built = time.perf_counter() - started
            question, today = "loa phát thanh hỏng báo ai", date(2026, 12, 2)
            started = time.perf_counter()
            for _ in range(100):
                snapshot.match(question, area.id, today)
            search = (time.perf_counter() - started) * 10
            timing = f"index rebuilt in {built * 1000:.0f} ms, one search {search:.2f} ms"
            print(f"  {size} local answers in one ward: {timing}")
        app.close()


@contextmanager
def databases(postgres: bool, directory: Path) -> Iterator[tuple[str, str]]:
    if not postgres:
        yield f"sqlite:///{directory / 'with.db'}", f"sqlite:///{directory / 'without.db'}"
        return
    from sqlalchemy import create_engine, text

    from tests.support.postgres import running_postgres

    with running_postgres() as admin_url:
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for name in ("bench_with", "bench_without"):
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        base = admin_url.rsplit("/", 1)[0]
        yield f"{base}/bench_with", f"{base}/bench_without"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="a temporary PostgreSQL instead of SQLite")
    parser.add_argument("--only", choices=("overhead", "quality", "scale"))
    args = parser.parse_args()
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if args.only in (None, "overhead"):
            urls = stack.enter_context(databases(args.postgres, directory))
            print(f"warm reply, {'PostgreSQL' if args.postgres else 'SQLite'}, {args.rounds} rounds of the dev set:")
            reply_overhead(urls, args.rounds)
    if args.only in (None, "quality"):
        print("quality on tests/feedback/paraphrases.json:")
        quality()
    if args.only in (None, "scale"):
        print("scale:")
        scale()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
