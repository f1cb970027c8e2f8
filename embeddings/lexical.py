"""The lexical arm: BM25 (bm25s) over folded syllables and syllable bigrams.

Vietnamese words are made of syllables ("đăng ký", "dịch vụ công"), so single syllables match loosely and bigrams
restore word-level precision. bm25s is given our own tokens, which sidesteps its default tokenizer (it drops
one-character tokens and English stop words, both wrong for Vietnamese).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
BIGRAM_JOINER = "_"


def lexical_tokens(folded: Sequence[str]) -> list[str]:
    """Syllables plus adjacent-syllable bigrams, the terms BM25 indexes and queries."""
    bigrams = [f"{a}{BIGRAM_JOINER}{b}" for a, b in itertools.pairwise(folded)]
    return [*folded, *bigrams]


class LexicalIndex:
    """A BM25 index plus the per-term statistics used to judge how well a document covers a query."""

    def __init__(self, bm25: bm25s.BM25) -> None:
        self._bm25 = bm25
        self._vocab: dict[str, int] = bm25.vocab_dict
        indptr = np.asarray(bm25.scores["indptr"])
        self._num_docs = int(bm25.scores["num_docs"])
        self._df = np.diff(indptr).astype(np.float32)

    @classmethod
    def build(cls, documents: Sequence[Sequence[str]]) -> LexicalIndex:
        """Index documents given as folded syllables."""
        bm25 = bm25s.BM25()
        bm25.index([lexical_tokens(doc) or [""] for doc in documents], show_progress=False)
        return cls(bm25)

    @property
    def num_docs(self) -> int:
        return self._num_docs

    def syllable_frequencies(self) -> dict[str, int]:
        """Document frequency of each indexed syllable (bigrams and the empty token left out)."""
        return {
            term: int(self._df[term_id])
            for term, term_id in self._vocab.items()
            if term and BIGRAM_JOINER not in term
        }

    def idf(self, term: str) -> float:
        """Lucene's IDF, with unseen terms treated as the rarest possible (they are what makes a question new)."""
        term_id = self._vocab.get(term)
        df = 0.0 if term_id is None else float(self._df[term_id])
        return math.log(1.0 + (self._num_docs - df + 0.5) / (df + 0.5))

    def scores(self, terms: Sequence[str]) -> FloatArray:
        """BM25 score of every document for a query given as terms (syllables and bigrams, see `lexical_tokens`)."""
        terms = [term for term in dict.fromkeys(terms) if term in self._vocab]
        if not terms:
            return np.zeros(self._num_docs, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(terms), dtype=np.float32)

    def coverage(self, weighted_terms: Sequence[tuple[str, float]]) -> FloatArray:
        """For each document, the sum of the weights of the given terms it contains."""
        covered = np.zeros(self._num_docs, dtype=np.float32)
        indices = self._bm25.scores["indices"]
        indptr = self._bm25.scores["indptr"]
        for term, weight in weighted_terms:
            term_id = self._vocab.get(term)
            if term_id is not None and weight:
                covered[indices[indptr[term_id] : indptr[term_id + 1]]] += weight
        return covered

    def save(self, directory: Path) -> None:
        self._bm25.save(str(directory), allow_pickle=False, show_progress=False)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        bm25 = bm25s.BM25.load(str(directory), allow_pickle=False, show_progress=False)
        return cls(bm25)

    def describe(self) -> dict[str, int]:
        return {"documents": self._num_docs, "terms": len(self._vocab)}
