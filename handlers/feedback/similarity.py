"""Lexical similarity of citizens' questions: for matching local answers and for clustering unanswered questions.

Questions are normalised the way retrieval does it (embeddings.text.analyze: folded, teencode expanded), minus
filler words, then compared as TF-IDF vectors of character 2-4-grams within words (cosine). Character n-grams
forgive typos and split or joined syllables; the IDF is fitted on the guides' example questions plus the texts at
hand, so words every question has ("lam", "o dau") weigh little. On the labelled paraphrase groups of
tests/feedback/paraphrases.json this beat rapidfuzz's token ratios for both jobs (bench/feedback_bench.py): it
matches a held-out paraphrase to its group at cosine >= 0.5 in about 85 % of cases and accepts a guide question
for a local answer in about 4 %, where token_sort_ratio needs 0.6 for 79 % and then accepts 26 %.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from embeddings.text import analyze

if TYPE_CHECKING:
    from scipy.sparse import csr_matrix

# Words that change nothing about the need (folded): politeness, particles, "có ... không".
FILLER = frozenset(
    [
        "a",
        "ah",
        "a",
        "oi",
        "nhe",
        "nha",
        "vay",
        "ban",
        "minh",
        "cho",
        "hoi",
        "xin",
        "vui",
        "long",
        "cai",
        "thi",
        "la",
        "co",
        "khong",
        "duoc",
        "voi",
        "va",
        "cua",
        "nhi",
        "ha",
        "ne",
        "day",
        "roi",
        "the",
        "nay",
        "ak",
        "em",
        "anh",
        "chi",
        "toi",
        "tui",
    ]
)
NGRAMS = (2, 3, 4)
# Average-linkage cut: two groups merge while their questions' mean cosine is at least 1 - CLUSTER_DISTANCE.
CLUSTER_DISTANCE = 0.65


def normalise(text: str) -> str:
    """The comparable form of a question: folded syllables without filler, e.g. "Cài VNeID ko đc?" → "cai vneid"."""
    words = [word for word in analyze(text).folded if word not in FILLER]
    return " ".join(words) or " ".join(analyze(text).folded)


def grams(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for word in text.split():
        padded = f" {word} "
        for size in NGRAMS:
            if len(padded) < size:
                continue
            counts.update(padded[i : i + size] for i in range(len(padded) - size + 1))
    return counts


class TextSpace:
    """TF-IDF over character n-grams (sublinear tf, smoothed idf, unit length), fitted on normalised texts."""

    def __init__(self, fitted_on: Iterable[str]) -> None:
        frequency: Counter[str] = Counter()
        documents = 0
        for text in fitted_on:
            frequency.update(grams(text).keys())
            documents += 1
        self.idf = {gram: math.log((1 + documents) / (1 + count)) + 1.0 for gram, count in frequency.items()}
        self.unseen_idf = math.log(1 + documents) + 1.0

    def weights(self, text: str) -> dict[str, float]:
        """The unit-length weights of the text's known n-grams. Unseen n-grams cannot match any fitted text, but
        they count in the norm, so a question with many new words scores lower."""
        known: dict[str, float] = {}
        norm = 0.0
        for gram, count in grams(text).items():
            weight = (1.0 + math.log(count)) * self.idf.get(gram, self.unseen_idf)
            norm += weight * weight
            if gram in self.idf:
                known[gram] = weight
        scale = 1.0 / math.sqrt(norm) if norm else 0.0
        return {gram: weight * scale for gram, weight in known.items()}

    def vectors(self, texts: Sequence[str]) -> csr_matrix:
        """The texts' weights as rows of a sparse matrix (columns: the fitted n-grams), for pairwise work. numpy
        and scipy are imported here, when an official looks at the gaps: no chat or `troly ask` waits for them."""
        import numpy as np
        from scipy.sparse import csr_matrix

        columns = {gram: position for position, gram in enumerate(self.idf)}
        rows: list[int] = []
        cells: list[int] = []
        values: list[float] = []
        for row, text in enumerate(texts):
            for gram, weight in self.weights(text).items():
                rows.append(row)
                cells.append(columns[gram])
                values.append(weight)
        return csr_matrix((values, (rows, cells)), shape=(len(texts), len(columns)), dtype=np.float64)


def cluster(texts: Sequence[str], space: TextSpace, distance: float = CLUSTER_DISTANCE) -> list[int]:
    """A cluster number for each normalised text (equal numbers: the same need), by average linkage."""
    if len(texts) < 2:
        return [0] * len(texts)
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage

    vectors = space.vectors(texts)
    similarity = (vectors @ vectors.T).toarray()
    n = len(texts)
    upper = np.triu_indices(n, k=1)
    condensed = np.clip(1.0 - similarity[upper], 0.0, None)
    tree = linkage(condensed, method="average")
    labels = fcluster(tree, t=distance, criterion="distance")
    return [int(label) - 1 for label in labels]
