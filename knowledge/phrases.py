"""Find known phrases (place names, domain words) in analysed text, agreeing with what the user typed.

A syllable the user typed with diacritics must match the phrase's exactly ("thuê bao" is not "thuế"); one typed
without diacritics may stand for any accented form ("thue" may be "thuế"). Phrases are indexed by their first
folded syllable, and the longest phrase wins at each position, so "Thừa Thiên Huế" is found whole, not as "Huế".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Generic, TypeVar

from embeddings.text import Analyzed, analyze, fold

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Phrase(Generic[T]):
    accented: tuple[str, ...]
    folded: tuple[str, ...]
    payload: T

    @property
    def text(self) -> str:
        return " ".join(self.folded)


@dataclass(frozen=True, slots=True)
class Found(Generic[T]):
    phrase: Phrase[T]
    start: int

    @property
    def payload(self) -> T:
        return self.phrase.payload


class PhraseMatcher(Generic[T]):
    def __init__(self, entries: list[tuple[str, T]]) -> None:
        self._by_first: dict[str, list[Phrase[T]]] = defaultdict(list)
        phrases = []
        for text, payload in entries:
            analyzed = analyze(text)
            if analyzed.folded:
                phrases.append(Phrase(analyzed.accented, analyzed.folded, payload))
        for phrase in sorted(phrases, key=lambda phrase: -len(phrase.folded)):
            self._by_first[phrase.folded[0]].append(phrase)

    def find(self, text: Analyzed) -> list[Found[T]]:
        """Every phrase in the text, longest first at each position, without overlaps."""
        found: list[Found[T]] = []
        position = 0
        while position < len(text.folded):
            candidates = self._by_first.get(text.folded[position], ())
            match = next((phrase for phrase in candidates if _matches(phrase, text, position)), None)
            if match is None:
                position += 1
                continue
            found.append(Found(match, position))
            position += len(match.folded)
        return found


def _matches(phrase: Phrase[T], text: Analyzed, start: int) -> bool:
    end = start + len(phrase.folded)
    if end > len(text.folded) or text.folded[start:end] != phrase.folded:
        return False
    pairs = zip(text.accented[start:end], phrase.accented, strict=True)
    # a syllable typed with diacritics must agree with the phrase's; one typed without matches any
    return all(typed == wanted or fold(typed) == typed for typed, wanted in pairs)


def contains(folded_text: str, phrase: Phrase[T]) -> bool:
    """Whether a space-padded folded text contains the phrase (used to check what a target covers)."""
    return f" {phrase.text} " in folded_text
