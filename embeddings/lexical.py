"""The lexical arm: BM25 (bm25s) over folded syllables and syllable bigrams.

Vietnamese words are made of syllables ("đăng ký", "dịch vụ công"), so single syllables match loosely and bigrams
restore word-level precision. bm25s is given our own tokens, which sidesteps its default tokenizer (it drops
one-character tokens and English stop words, both wrong for Vietnamese).

bm25s precomputes every (term, document) score into a sparse term-by-document matrix and saves it as three
.npy arrays plus a JSON vocabulary. Query time only sums a few matrix columns, so a loaded index reads those
files directly with numpy (allow_pickle=False) instead of importing bm25s and SciPy: `troly ask` starts faster.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]
BIGRAM_JOINER = "_"
# bm25s's file names (see bm25s.BM25.save)
_DATA, _INDICES, _INDPTR = "data.csc.index.npy", "indices.csc.index.npy", "indptr.csc.index.npy"
_VOCAB, _PARAMS = "vocab.index.json", "params.index.json"


def lexical_tokens(folded: Sequence[str]) -> list[str]:
    """Syllables plus adjacent-syllable bigrams, the terms BM25 indexes and queries."""
    bigrams = [f"{a}{BIGRAM_JOINER}{b}" for a, b in itertools.pairwise(folded)]
    return [*folded, *bigrams]


class LexicalIndex:
    """BM25 scores as a term → (documents, scores) sparse matrix, with document frequencies for coverage."""

    def __init__(
        self, data: FloatArray, indices: IntArray, indptr: IntArray, vocab: dict[str, int], num_docs: int
    ) -> None:
        self._data = data
        self._indices = indices
        self._indptr = indptr
        self._vocab = vocab
        self._num_docs = num_docs
        self._df = np.diff(indptr).astype(np.float32)

    @classmethod
    def build(cls, documents: Sequence[Sequence[str]]) -> LexicalIndex:
        """Index documents given as folded syllables (with bm25s, Lucene's BM25, k1=1.5, b=0.75)."""
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.NOTSET)  # bm25s forces DEBUG on import; follow ours
        bm25 = bm25s.BM25()
        bm25.index([lexical_tokens(doc) or [""] for doc in documents], show_progress=False)
        scores = bm25.scores
        return cls(
            np.asarray(scores["data"], dtype=np.float32),
            np.asarray(scores["indices"]),
            np.asarray(scores["indptr"]),
            dict(bm25.vocab_dict),
            int(scores["num_docs"]),
        )

    @property
    def num_docs(self) -> int:
        return self._num_docs

    def syllable_frequencies(self) -> dict[str, int]:
        """Document frequency of each indexed syllable (bigrams and the empty token left out)."""
        return {
            term: int(self._df[term_id]) for term, term_id in self._vocab.items() if term and BIGRAM_JOINER not in term
        }

    def idf(self, term: str) -> float:
        """Lucene's IDF, with unseen terms treated as the rarest possible (they are what makes a question new)."""
        term_id = self._vocab.get(term)
        df = 0.0 if term_id is None else float(self._df[term_id])
        return math.log(1.0 + (self._num_docs - df + 0.5) / (df + 0.5))

    def scores(self, terms: Sequence[str]) -> FloatArray:
        """BM25 score of every document for a query given as terms (syllables and bigrams, see `lexical_tokens`)."""
        scores = np.zeros(self._num_docs, dtype=np.float32)
        for term in dict.fromkeys(terms):
            term_id = self._vocab.get(term)
            if term_id is not None:
                span = slice(self._indptr[term_id], self._indptr[term_id + 1])
                scores[self._indices[span]] += self._data[span]  # a column lists each document once
        return scores

    def coverage(self, weighted_terms: Sequence[tuple[str, float]]) -> FloatArray:
        """For each document, the sum of the weights of the given terms it contains."""
        covered = np.zeros(self._num_docs, dtype=np.float32)
        for term, weight in weighted_terms:
            term_id = self._vocab.get(term)
            if term_id is not None and weight:
                covered[self._indices[self._indptr[term_id] : self._indptr[term_id + 1]]] += weight
        return covered

    def save(self, directory: Path) -> None:
        """Write in bm25s's layout, so `bm25s.BM25.load(directory)` can open it too."""
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / _DATA, self._data, allow_pickle=False)
        np.save(directory / _INDICES, self._indices, allow_pickle=False)
        np.save(directory / _INDPTR, self._indptr, allow_pickle=False)
        (directory / _VOCAB).write_text(json.dumps(self._vocab, ensure_ascii=False), encoding="utf-8")
        params = {
            "k1": 1.5,
            "b": 0.75,
            "delta": 0.5,
            "method": "lucene",
            "idf_method": "lucene",
            "dtype": "float32",
            "int_dtype": "int32",
            "num_docs": self._num_docs,
            "backend": "numpy",
        }
        (directory / _PARAMS).write_text(json.dumps(params), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        params = json.loads((directory / _PARAMS).read_text(encoding="utf-8"))
        vocab = json.loads((directory / _VOCAB).read_text(encoding="utf-8"))
        return cls(
            np.load(directory / _DATA, allow_pickle=False),
            np.load(directory / _INDICES, allow_pickle=False),
            np.load(directory / _INDPTR, allow_pickle=False),
            vocab,
            int(params["num_docs"]),
        )

    def describe(self) -> dict[str, int]:
        return {"documents": self._num_docs, "terms": len(self._vocab)}
