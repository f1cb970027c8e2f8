"""The in-memory search over published local answers (and the contact cards), kept current in every process
without a restart.

Each process (every core worker too) holds a snapshot with its version. Before a local answer or a card is looked
up, one primary-key read of `local_answer_version` (once per transaction) tells whether the snapshot is stale;
every change to local answers or cards bumps that counter in the same transaction, so the next question anywhere
rebuilds the snapshot and a publication is answered at once. The search is an inverted index of character n-grams
per area (pure Python: for the handful of answers of an area it costs tens of microseconds, less than scipy's
per-call overhead). Users without an area are not looked up at all: local answers are scoped to areas.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from bot.context import Context
from bot.extensions import ProvidedAnswer
from bot.storage.models import Area
from handlers.feedback.models import AnswerStatus, ContactCard, IndexVersion, LocalAnswer
from handlers.feedback.scope import lineage, local_day, parent_map, short_date, user_area_id
from handlers.feedback.similarity import TextSpace, normalise

Postings = dict[str, list[tuple[int, float]]]  # n-gram -> [(variant number, weight)]


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


@dataclass(frozen=True, slots=True)
class Card:
    team_name: str
    meets: str
    hotline: str


def attributed(answer: str, source: str, reviewed_at: datetime) -> str:
    """The answer as citizens read it: "… Theo UBND phường X, cập nhật 02/12/2026."."""
    return f"{answer.strip()}\n\nTheo {source}, cập nhật {short_date(reviewed_at)}."


@dataclass
class Snapshot:
    version: int
    entries: dict[int, Entry] = field(default_factory=dict)
    space: TextSpace | None = None
    owners: list[int] = field(default_factory=list)  # the entry id of each variant
    postings: dict[int, Postings] = field(default_factory=dict)  # per area
    parents: dict[int, int | None] = field(default_factory=dict)
    cards: dict[int, Card] = field(default_factory=dict)  # per area

    def match(self, question: str, area_id: int, today: date) -> tuple[Entry, float] | None:
        """The best valid answer for a question asked in `area_id` (its area or one above), with its cosine."""
        areas = [self.postings[area] for area in lineage(area_id, self.parents) if area in self.postings]
        if not areas or self.space is None:
            return None
        scores: dict[int, float] = {}
        for gram, weight in self.space.weights(normalise(question)).items():
            for postings in areas:
                for variant, variant_weight in postings.get(gram, ()):
                    scores[variant] = scores.get(variant, 0.0) + weight * variant_weight
        for variant, score in sorted(scores.items(), key=lambda item: -item[1]):
            entry = self.entries[self.owners[variant]]
            if entry.valid_until is None or entry.valid_until >= today:
                return entry, score
        return None

    def card(self, area_id: int) -> Card | None:
        """The card of the area or of the nearest area above it."""
        return next((self.cards[a] for a in lineage(area_id, self.parents) if a in self.cards), None)


class LocalIndex:
    """Holds the current snapshot; `current(session)` checks the version (once per transaction) and rebuilds."""

    def __init__(self, background: Callable[[], list[str]]) -> None:
        self._background_source = background
        self._background: list[str] | None = None
        self._snapshot = Snapshot(version=-1)
        self._checked: weakref.ref[Session] | None = None
        self._lock = threading.Lock()
        table = cast(Table, IndexVersion.__table__)
        self._version = select(table.c.version).where(table.c.id == 1)  # compiled once, executed per question

    def current(self, session: Session) -> Snapshot:
        checked = self._checked
        if checked is not None and checked() is session:
            return self._snapshot
        version = session.execute(self._version).scalar() or 0
        if self._snapshot.version != version:
            with self._lock:
                if self._snapshot.version != version:
                    self._snapshot = build_snapshot(session, version, self.background())
        self._checked = weakref.ref(session)
        return self._snapshot

    def background(self) -> list[str]:
        """Normalised example questions of the guides: they give the n-grams of ordinary questions their IDF."""
        if self._background is None:
            self._background = [normalise(text) for text in self._background_source()]
        return self._background

    def learn_area(self, session: Session, snapshot: Snapshot, area_id: int) -> None:
        """An area created after the snapshot: learn the tree again (areas change rarely)."""
        if area_id not in snapshot.parents:
            snapshot.parents = parent_map(session)


def build_snapshot(session: Session, version: int, background: list[str]) -> Snapshot:
    query = select(LocalAnswer, Area.code).join(Area, Area.id == LocalAnswer.area_id)
    rows = session.execute(query.where(LocalAnswer.status == AnswerStatus.PUBLISHED).order_by(LocalAnswer.id))
    snapshot = Snapshot(version=version, parents=parent_map(session))
    variants: list[tuple[int, str]] = []  # (area, normalised question)
    for answer, code in rows:
        title = (answer.questions or [""])[0]
        entry = Entry(answer.id, answer.area_id, code, title, answer.answer, answer.source, answer.reviewed_at,
                      answer.valid_until)  # fmt: skip
        snapshot.entries[entry.id] = entry
        for key in answer.question_keys:
            snapshot.owners.append(entry.id)
            variants.append((entry.area_id, key))
    if variants:
        snapshot.space = TextSpace([*background, *(text for _, text in variants)])
        for number, (area, text) in enumerate(variants):
            postings = snapshot.postings.setdefault(area, {})
            for gram, weight in snapshot.space.weights(text).items():
                postings.setdefault(gram, []).append((number, weight))
    for card in session.scalars(select(ContactCard)):
        snapshot.cards[card.area_id] = Card(card.team_name, card.meets, card.hotline)
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
        index.learn_area(ctx.session, snapshot, area_id)
        found = snapshot.match(question, area_id, local_day(ctx.now))
        if found is None:
            return None
        entry, score = found
        source = entry.source_dict()
        meta = {"source": source, "topic": None, "section": None}
        return ProvidedAnswer(entry.text(), round(score, 4), source, meta=meta)

    return provide
