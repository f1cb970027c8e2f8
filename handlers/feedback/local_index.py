"""The in-memory search over published local answers, kept current in every process without a restart.

Each process (every core worker too) holds a snapshot of the published answers with its version. Before a local
answer is looked for, one primary-key read of `local_answer_version` tells whether it is stale; every change to
local answers bumps that counter in the same transaction, so the next question anywhere rebuilds the snapshot
(a few milliseconds for hundreds of answers) and a publication is answered at once. Users without an area are
not looked up at all: local answers are scoped to areas.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
from scipy.sparse import csr_matrix
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.context import Context
from bot.extensions import ProvidedAnswer
from bot.storage.models import Area
from handlers.feedback.models import AnswerStatus, IndexVersion, LocalAnswer
from handlers.feedback.scope import lineage, local_day, parent_map, short_date, user_area_id
from handlers.feedback.similarity import TextSpace, normalise


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    area_id: int
    area_code: str
    title: str
    answer: str
    source: str
    reviewed_at: datetime
    valid_until: date | None

    def text(self) -> str:
        return attributed(self.answer, self.source, self.reviewed_at)

    def source_dict(self) -> dict[str, object]:
        """The `troly ask --json` source of a local answer."""
        return {
            "kind": "local",
            "id": str(self.id),
            "title": self.title,
            "area": self.area_code,
            "source": self.source,
            "reviewed": local_day(self.reviewed_at).isoformat(),
        }


def attributed(answer: str, source: str, reviewed_at: datetime) -> str:
    """The answer as citizens read it: "… Theo UBND phường X, cập nhật 02/12/2026."."""
    return f"{answer.strip()}\n\nTheo {source}, cập nhật {short_date(reviewed_at)}."


@dataclass
class Snapshot:
    version: int
    entries: dict[int, Entry] = field(default_factory=dict)
    space: TextSpace | None = None
    matrix: csr_matrix | None = None
    owners: list[int] = field(default_factory=list)  # the entry id of each row of `matrix`
    rows_by_area: dict[int, list[int]] = field(default_factory=dict)
    parents: dict[int, int | None] = field(default_factory=dict)

    def match(self, question: str, area_id: int, today: date) -> tuple[Entry, float] | None:
        """The best published answer for a question asked in `area_id` (its area or one above), with its cosine."""
        if self.space is None or self.matrix is None:
            return None
        rows = [row for area in lineage(area_id, self.parents) for row in self.rows_by_area.get(area, ())]
        if not rows:
            return None
        query = self.space.vectors([normalise(question)])
        scores = (self.matrix[rows] @ query.T).toarray().ravel()
        best: tuple[Entry, float] | None = None
        for position in np.argsort(-scores):
            entry = self.entries[self.owners[rows[int(position)]]]
            if entry.valid_until is None or entry.valid_until >= today:
                best = (entry, float(scores[position]))
                break
        return best


class LocalIndex:
    """Holds the current snapshot; `current(session)` checks the version and rebuilds when it changed."""

    def __init__(self, background: Callable[[], list[str]]) -> None:
        self._background_source = background
        self._background: list[str] | None = None
        self._snapshot = Snapshot(version=-1)
        self._lock = threading.Lock()

    def current(self, session: Session) -> Snapshot:
        version = session.scalar(select(IndexVersion.version).where(IndexVersion.id == 1)) or 0
        if self._snapshot.version != version:
            with self._lock:
                if self._snapshot.version != version:
                    self._snapshot = build_snapshot(session, version, self.background())
        return self._snapshot

    def background(self) -> list[str]:
        """Normalised example questions of the guides: they give the n-grams of ordinary questions their IDF."""
        if self._background is None:
            self._background = [normalise(text) for text in self._background_source()]
        return self._background

    def parents_for(self, session: Session, snapshot: Snapshot, area_id: int) -> None:
        """An area created after the snapshot: learn the tree again (areas change rarely)."""
        if area_id not in snapshot.parents:
            snapshot.parents = parent_map(session)


def build_snapshot(session: Session, version: int, background: list[str]) -> Snapshot:
    query = select(LocalAnswer, Area.code).join(Area, Area.id == LocalAnswer.area_id)
    rows = session.execute(query.where(LocalAnswer.status == AnswerStatus.PUBLISHED).order_by(LocalAnswer.id))
    snapshot = Snapshot(version=version, parents=parent_map(session))
    variants: list[str] = []
    for answer, code in rows:
        entry = Entry(
            answer.id,
            answer.area_id,
            code,
            (answer.questions or [""])[0],
            answer.answer,
            answer.source,
            answer.reviewed_at,
            answer.valid_until,
        )
        snapshot.entries[entry.id] = entry
        for question in answer.questions:
            snapshot.rows_by_area.setdefault(entry.area_id, []).append(len(variants))
            snapshot.owners.append(entry.id)
            variants.append(normalise(question))
    if variants:
        snapshot.space = TextSpace([*background, *variants])
        snapshot.matrix = snapshot.space.vectors(variants)
    return snapshot


def make_provider(local_index: Callable[[], LocalIndex]) -> Callable[[Context, str], ProvidedAnswer | None]:
    """The ANSWER_PROVIDERS entry: the best local answer for the asker's area, scored by cosine similarity."""

    def provide(ctx: Context, question: str) -> ProvidedAnswer | None:
        area_id = user_area_id(ctx.user)
        if area_id is None:
            return None
        index = local_index()
        snapshot = index.current(ctx.session)
        if not snapshot.entries:
            return None
        index.parents_for(ctx.session, snapshot, area_id)
        found = snapshot.match(question, area_id, local_day(ctx.now))
        if found is None:
            return None
        entry, score = found
        source = entry.source_dict()
        meta = {"source": source, "topic": None, "section": None}
        return ProvidedAnswer(entry.text(), round(score, 4), source, meta=meta)

    return provide
