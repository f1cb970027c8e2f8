"""Query analysis: normalise, expand teencode, correct typos, and weigh each syllable for coverage."""

from __future__ import annotations

from dataclasses import dataclass

from embeddings.lexical import BIGRAM_JOINER, lexical_tokens
from embeddings.text import analyze
from embeddings.typos import Corrector

# Function words that say nothing about the topic. They are matched as typed: with diacritics, or in the
# unaccented spellings listed here, which are unambiguous (unaccented "cai" may be "cài", "the" may be "thẻ",
# "may" may be "máy", so those count as content words).
STOPWORDS = frozenset(
    """
    à ạ ai anh bạn bị cho chị có của cái cần cách đã đang để đi do đó được em gì giúp hả hay hỏi khi
    không là làm mà mấy mình nào này nhé như những ở ơi phải ra rằng rồi sao sẽ thế thì tôi trên trong
    và vậy với xin nhu nhung duoc khong minh giup xin oi nhe roi phai rang cua voi va thi la nao gi sao
    ai em
    """.split()  # noqa: SIM905
)


@dataclass(frozen=True, slots=True)
class Query:
    """A question reduced to corrected folded syllables, with the confidence of each correction."""

    text: str
    folded: tuple[str, ...]
    confidence: tuple[float, ...]
    stop: tuple[bool, ...]

    @property
    def content(self) -> list[tuple[str, float]]:
        """Content syllables (not function words) with their correction confidence, first occurrence only."""
        seen: dict[str, float] = {}
        for token, confidence, stop in zip(self.folded, self.confidence, self.stop, strict=True):
            if not stop and token not in seen:
                seen[token] = confidence
        return list(seen.items())

    @property
    def bigrams(self) -> list[tuple[str, float]]:
        """Adjacent syllable pairs with at least one content word ("dang_ki", "khong_duoc"): BM25 terms."""
        return self._pairs(both_content=False)

    @property
    def phrases(self) -> list[tuple[str, float]]:
        """Adjacent pairs of content words ("cai_vneid"): what phrase coverage counts."""
        return self._pairs(both_content=True)

    def _pairs(self, both_content: bool) -> list[tuple[str, float]]:
        seen: dict[str, float] = {}
        pairs = zip(
            self.folded,
            self.folded[1:],
            self.confidence,
            self.confidence[1:],
            self.stop,
            self.stop[1:],
            strict=False,
        )
        for first, second, c1, c2, stop1, stop2 in pairs:
            if (stop1 or stop2) if both_content else (stop1 and stop2):
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
    stop: list[bool] = []
    analyzed = analyze(text)
    for accented, token in zip(analyzed.accented, analyzed.folded, strict=True):
        correction = corrector.correct(token)
        folded.extend(correction.tokens)
        confidence.extend([correction.confidence] * len(correction.tokens))
        stop.extend([accented in STOPWORDS and correction.confidence == 1.0] * len(correction.tokens))
    return Query(text=text, folded=tuple(folded), confidence=tuple(confidence), stop=tuple(stop))
