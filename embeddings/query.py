"""Query analysis: normalise, expand teencode, correct typos, and weigh each syllable for coverage."""

from __future__ import annotations

from dataclasses import dataclass

from embeddings.lexical import BIGRAM_JOINER, lexical_tokens
from embeddings.text import analyze
from embeddings.typos import Corrector

# Function words that say nothing about the topic; they never count towards how well a document covers a query.
STOPWORDS = frozenset(
    """
    a à ạ ah ai anh ba bi bị bạn cho chi chị co có cua của cái cần cach cách da đã dang đang de để di đi do
    duoc được em gi gì giup giúp ha hả hay hoi hỏi khi khong không la là lam làm ma mà may mấy minh mình nao nào
    nay này nhe nhé nhu như nhung những o ở oi ơi phai phải ra rang rằng roi rồi sao se sẽ the thế thi thì toi
    tôi tren trên trong va và vay vậy voi với vơi xin
    """.split()
)
FOLDED_STOPWORDS = frozenset(word for word in STOPWORDS if word.isascii())


@dataclass(frozen=True, slots=True)
class Query:
    """A question reduced to corrected folded syllables, with the confidence of each correction."""

    text: str
    folded: tuple[str, ...]
    confidence: tuple[float, ...]

    @property
    def content(self) -> list[tuple[str, float]]:
        """Content syllables (not function words) with their correction confidence, first occurrence only."""
        seen: dict[str, float] = {}
        for token, confidence in zip(self.folded, self.confidence, strict=True):
            if token not in FOLDED_STOPWORDS and token not in seen:
                seen[token] = confidence
        return list(seen.items())

    @property
    def bigrams(self) -> list[tuple[str, float]]:
        """Adjacent syllable pairs with at least one content word, e.g. "dang_ki", "so_do"."""
        seen: dict[str, float] = {}
        pairs = zip(self.folded, self.folded[1:], self.confidence, self.confidence[1:], strict=False)
        for first, second, c1, c2 in pairs:
            if first in FOLDED_STOPWORDS and second in FOLDED_STOPWORDS:
                continue
            seen.setdefault(f"{first}{BIGRAM_JOINER}{second}", min(c1, c2))
        return list(seen.items())

    @property
    def terms(self) -> list[str]:
        """BM25 query terms: content syllables and the pairs that hold one; all terms if that leaves none."""
        terms = [term for term, _ in self.content] + [term for term, _ in self.bigrams]
        return terms or lexical_tokens(self.folded)

    @property
    def dense_text(self) -> str:
        return " ".join(self.folded)


def parse_query(text: str, corrector: Corrector) -> Query:
    folded: list[str] = []
    confidence: list[float] = []
    for token in analyze(text).folded:
        correction = corrector.correct(token)
        folded.extend(correction.tokens)
        confidence.extend([correction.confidence] * len(correction.tokens))
    return Query(text=text, folded=tuple(folded), confidence=tuple(confidence))
