"""The hybrid index: BM25 and dense retrieval over documents, fused by rank, reported per target.

A *document* is one piece of indexed text (a guide's body, one of its example questions, a plan passage); a
*target* is what answering means (the guide, the passage). Several documents can point at one target, and a
target's score in each arm is its best document's. The API follows bm25s: `build`, `search`, `save`, `load`.
Nothing is pickled: BM25 arrays are .npy with allow_pickle=False, FAISS uses its own format, the rest is JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from embeddings.dense import DenseIndex, Encoder
from embeddings.fusion import FusionConfig, rank_fusion
from embeddings.lexical import LexicalIndex
from embeddings.query import Query, parse_query
from embeddings.text import analyze
from embeddings.typos import Corrector

FORMAT_VERSION = 1
FloatArray = npt.NDArray[np.float32]
EncoderLoader = Callable[[str], Encoder]


@dataclass(frozen=True, slots=True)
class Document:
    """Text to index for a target. `noisy` text (OCR) is searchable but not trusted as a spelling reference."""

    target: str
    text: str
    noisy: bool = False
    group: str | None = None  # documents of one source (a plan file) share a group
    prior: float = 1.0  # multiplies the document's BM25 score (plan passages with figures rank before openings)


@dataclass(frozen=True, slots=True)
class Hit:
    """One target's evidence: fused score, best BM25 score, query coverage (0..1) and best cosine."""

    target: str
    score: float
    lexical: float
    coverage: float
    phrase: float
    dense: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The hits, best first, and the query's total IDF (what a perfect match would roughly score)."""

    query: Query
    hits: list[Hit]
    weight: float = 0.0


@dataclass(slots=True)
class IndexMeta:
    targets: list[str]
    doc_targets: list[int]
    groups: list[str] = field(default_factory=list)
    doc_groups: list[int] = field(default_factory=list)
    group_names: dict[str, list[str]] = field(default_factory=dict)
    doc_priors: list[float] = field(default_factory=list)
    dense_model: str | None = None
    fusion: FusionConfig = field(default_factory=FusionConfig)
    extra: dict[str, Any] = field(default_factory=dict)
    format: int = FORMAT_VERSION


class HybridIndex:
    def __init__(
        self,
        meta: IndexMeta,
        lexical: LexicalIndex,
        corrector: Corrector,
        dense: DenseIndex | None = None,
        encoder: Encoder | None = None,
        group_lexical: LexicalIndex | None = None,
    ) -> None:
        self.meta = meta
        self.lexical = lexical
        self.group_lexical = group_lexical
        self.corrector = corrector
        self._doc_groups = np.asarray(meta.doc_groups, dtype=np.int64)
        self.dense = dense if encoder is not None else None
        self.encoder = encoder
        self._doc_targets = np.asarray(meta.doc_targets, dtype=np.int64)
        priors = meta.doc_priors or [1.0] * len(meta.doc_targets)
        self._doc_priors = np.asarray(priors, dtype=np.float32)

    @classmethod
    def build(
        cls,
        documents: Sequence[Document],
        encoder: Encoder | None = None,
        fusion: FusionConfig | None = None,
        extra: dict[str, Any] | None = None,
        group_names: dict[str, list[str]] | None = None,
    ) -> HybridIndex:
        """Index documents; `group_names` are phrases that name a group (a plan's place, "Uông Bí"): a question
        that uses one is steered to that group's documents."""
        targets = list(dict.fromkeys(doc.target for doc in documents))
        number = {target: i for i, target in enumerate(targets)}
        folded = [analyze(doc.text).folded for doc in documents]
        corrector = Corrector(_clean_vocabulary(documents, folded))
        folded = [
            _repair(tokens, corrector) if doc.noisy else tokens for doc, tokens in zip(documents, folded, strict=True)
        ]
        lexical = LexicalIndex.build(folded)
        groups = list(dict.fromkeys(doc.group for doc in documents if doc.group is not None))
        group_number = {group: i for i, group in enumerate(groups)}
        group_lexical = None
        if groups:
            group_tokens: list[list[str]] = [[] for _ in groups]
            for doc, tokens in zip(documents, folded, strict=True):
                if doc.group is not None:
                    group_tokens[group_number[doc.group]].extend(tokens)
            group_lexical = LexicalIndex.build(group_tokens)
        dense = None
        if encoder is not None:
            dense = DenseIndex.build(encoder.encode([" ".join(tokens) for tokens in folded]))
        meta = IndexMeta(
            targets=targets,
            doc_targets=[number[doc.target] for doc in documents],
            groups=groups,
            doc_groups=[-1 if doc.group is None else group_number[doc.group] for doc in documents],
            doc_priors=[doc.prior for doc in documents],
            group_names={
                group: [" ".join(analyze(name).folded) for name in names]
                for group, names in (group_names or {}).items()
                if group in group_number
            },
            dense_model=encoder.model_path if encoder is not None else None,
            fusion=fusion or FusionConfig(),
            extra=extra or {},
        )
        return cls(meta, lexical, corrector, dense, encoder, group_lexical)

    @property
    def targets(self) -> list[str]:
        return self.meta.targets

    def parse(self, text: str) -> Query:
        return parse_query(text, self.corrector)

    def search(
        self, text: str, k: int = 5, use_dense: bool = True, groups: Collection[str] | None = None
    ) -> SearchResult:
        """The best targets for a text; `groups`, when given, keeps only those groups' documents (and those
        without a group): a question about Móng Cái is answered from Móng Cái's plans or from the guides."""
        query = self.parse(text)
        doc_scores = self._group_weighted(self.lexical.scores(query.terms), query) * self._doc_priors
        if groups is not None:
            doc_scores = doc_scores * self._group_mask(groups)
        lexical = self._per_target(doc_scores, rest=self.meta.fusion.rest_weight)
        coverage = self._per_target(self._coverage(query.content))
        # a one-word question has no pairs: its pair coverage is its word coverage
        phrase = self._per_target(self._coverage(query.phrases)) if query.phrases else coverage
        dense = self._dense_scores(query) if use_dense else None
        # BM25 alone favours a short document that shares one rare word; weighing in how much of the
        # question the target covers orders the candidates better (measured on the dev set, docs/answers.md)
        boost = self.meta.fusion.coverage_boost
        ranking = lexical * (boost + coverage) if boost > 0 else lexical
        fused = rank_fusion(ranking, dense, self.meta.fusion)
        order = np.argsort(-fused, kind="stable")[:k]
        hits = [
            Hit(
                target=self.meta.targets[i],
                score=float(fused[i]),
                lexical=float(lexical[i]),
                coverage=float(coverage[i]),
                phrase=float(phrase[i]),
                dense=float(dense[i]) if dense is not None else 0.0,
            )
            for i in order
            if fused[i] > 0
        ]
        weight = sum(self.lexical.idf(term) for term in query.terms)
        return SearchResult(query, hits, weight)

    def _group_weighted(self, doc_scores: FloatArray, query: Query) -> FloatArray:
        """Steer scores by group: towards the groups the question names, and within groups towards the group
        (plan file) whose whole text matches the question best."""
        weight = self.meta.fusion.group_weight
        if self.group_lexical is None:
            return doc_scores
        factors = np.ones(len(self.meta.groups) + 1, dtype=np.float32)  # last entry: documents without group
        group_scores = self.group_lexical.scores(query.terms)
        best = float(group_scores.max())
        if best > 0 and weight > 0:
            factors[:-1] = (1.0 + weight * group_scores / best) / (1.0 + weight)
        named = self._named_groups(query)
        if named:
            penalty = np.full(len(factors), self.meta.fusion.unnamed_penalty, dtype=np.float32)
            penalty[named] = 1.0
            penalty[-1] = self.meta.fusion.ungrouped_penalty
            factors *= penalty
        return doc_scores * factors[self._doc_groups]

    def _group_mask(self, groups: Collection[str]) -> FloatArray:
        allowed = np.zeros(len(self.meta.groups) + 1, dtype=np.float32)
        allowed[-1] = 1.0  # documents without a group
        for number, group in enumerate(self.meta.groups):
            if group in groups:
                allowed[number] = 1.0
        return allowed[self._doc_groups]

    def _named_groups(self, query: Query) -> list[int]:
        text = f" {' '.join(query.folded)} "
        return [
            number
            for number, group in enumerate(self.meta.groups)
            if any(f" {name} " in text for name in self.meta.group_names.get(group, ()))
        ]

    def _per_target(self, doc_scores: FloatArray, rest: float = 0.0) -> FloatArray:
        """A target's score: its best document's, plus `rest` times its other documents' (a guide that several
        of its example questions match is likelier than one that a single short question matches)."""
        best = np.zeros(len(self.meta.targets), dtype=np.float32)
        np.maximum.at(best, self._doc_targets, doc_scores)
        if rest <= 0:
            return best
        total = np.zeros(len(self.meta.targets), dtype=np.float32)
        np.add.at(total, self._doc_targets, doc_scores)
        return best + rest * (total - best)

    def _coverage(self, content: list[tuple[str, float]]) -> FloatArray:
        """Share of the query's terms (IDF-weighted, corrected words discounted) each document contains."""
        total = sum(self.lexical.idf(token) for token, _ in content)
        if total <= 0:
            return np.zeros(self.lexical.num_docs, dtype=np.float32)
        weighted = [(token, self.lexical.idf(token) * confidence / total) for token, confidence in content]
        return self.lexical.coverage(weighted)

    def _dense_scores(self, query: Query, depth: int = 200) -> FloatArray | None:
        if self.dense is None or self.encoder is None or not query.folded:
            return None
        vector = self.encoder.encode([query.dense_text])[0]
        similarities, doc_ids = self.dense.search(vector, depth)
        scores = np.full(self.lexical.num_docs, -1.0, dtype=np.float32)
        valid = doc_ids >= 0
        scores[doc_ids[valid]] = similarities[valid]
        per_target = np.full(len(self.meta.targets), -1.0, dtype=np.float32)
        np.maximum.at(per_target, self._doc_targets, scores)
        return per_target

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.lexical.save(directory / "bm25")
        if self.group_lexical is not None:
            self.group_lexical.save(directory / "bm25-groups")
        (directory / "vocabulary.json").write_text(
            json.dumps(self.corrector.vocabulary, ensure_ascii=False), encoding="utf-8"
        )
        if self.dense is not None:
            self.dense.save(directory / "dense.faiss")
        meta = asdict(self.meta)
        (directory / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, encoder_loader: EncoderLoader | None = None) -> HybridIndex:
        raw = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        if raw.get("format") != FORMAT_VERSION:
            raise ValueError(f"index format {raw.get('format')} is not {FORMAT_VERSION}; rebuild the index")
        raw["fusion"] = FusionConfig(**raw["fusion"])
        meta = IndexMeta(**raw)
        lexical = LexicalIndex.load(directory / "bm25")
        groups_dir = directory / "bm25-groups"
        group_lexical = LexicalIndex.load(groups_dir) if groups_dir.exists() else None
        vocabulary = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
        dense = encoder = None
        dense_path = directory / "dense.faiss"
        if meta.dense_model and encoder_loader is not None and dense_path.exists():
            dense = DenseIndex.load(dense_path)
            encoder = encoder_loader(meta.dense_model)
        return cls(meta, lexical, Corrector(vocabulary), dense, encoder, group_lexical)


def _repair(tokens: Sequence[str], corrector: Corrector) -> tuple[str, ...]:
    """Spell-correct noisy (OCR) text against the clean vocabulary, keeping words it cannot place."""
    repaired: list[str] = []
    for token in tokens:
        correction = corrector.correct(token)
        repaired.extend(correction.tokens if correction.confidence > 0 else (token,))
    return tuple(repaired)


def _clean_vocabulary(documents: Sequence[Document], folded: Sequence[Sequence[str]]) -> dict[str, int]:
    """Syllable document frequencies from trustworthy text only: OCR noise must not become a "correction"."""
    frequencies: dict[str, int] = {}
    for doc, tokens in zip(documents, folded, strict=True):
        if doc.noisy:
            continue
        for token in set(tokens):
            frequencies[token] = frequencies.get(token, 0) + 1
    return frequencies
