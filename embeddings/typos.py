"""Typo tolerance: map a query syllable the index has never seen onto one it has.

Only unknown syllables are touched, so a correctly typed word is never "corrected" into another. Candidates come
from teencode spelling habits (w→qu, f→ph, j→gi, z→d), from splitting glued words ("dichvu"), and from
rapidfuzz's optimal-string-alignment distance, which counts a swap of two letters ("vnied") as one edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import OSA

_SPELLING_HABITS: tuple[tuple[str, str], ...] = (
    ("w", "qu"),
    ("f", "ph"),
    ("j", "gi"),
    ("z", "d"),
    ("dz", "d"),
    ("k", "c"),
    ("k", "kh"),
)


@dataclass(frozen=True, slots=True)
class Correction:
    """The syllables that replace one typed syllable, and how sure we are (1.0 means untouched)."""

    tokens: tuple[str, ...]
    confidence: float


class Corrector:
    """Corrects folded syllables against the index vocabulary (syllable → document frequency)."""

    def __init__(self, vocabulary: Mapping[str, int]) -> None:
        self._df = dict(vocabulary)
        self._words = [word for word in self._df if len(word) >= 2 and not word.isdigit()]

    @property
    def vocabulary(self) -> dict[str, int]:
        return dict(self._df)

    def __contains__(self, token: str) -> bool:
        return token in self._df

    def correct(self, token: str) -> Correction:
        if token in self._df or token.isdigit() or len(token) < 3:
            return Correction((token,), 1.0)
        for found, confidence in (
            (self._by_habit(token), 0.9),
            (self._by_distance(token, 1), 0.7),
            (self._by_split(token), 0.8),
            (self._by_distance(token, 2) if len(token) >= 7 else None, 0.5),
        ):
            if found:
                return Correction(found, confidence)
        return Correction((token,), 0.0)

    def _by_habit(self, token: str) -> tuple[str, ...] | None:
        for typed, meant in _SPELLING_HABITS:
            if token.startswith(typed):
                candidate = meant + token[len(typed) :]
                if candidate in self._df:
                    return (candidate,)
        return None

    def _by_distance(self, token: str, max_distance: int) -> tuple[str, ...] | None:
        matches = process.extract(token, self._words, scorer=OSA.distance, score_cutoff=max_distance, limit=8)
        if not matches:
            return None
        best = min(matches, key=lambda match: (match[1], -self._df[match[0]]))
        return (best[0],)

    def _by_split(self, token: str) -> tuple[str, ...] | None:
        if len(token) < 4:
            return None
        splits = [
            (token[:cut], token[cut:])
            for cut in range(1, len(token))
            if token[:cut] in self._df and token[cut:] in self._df
        ]
        if not splits:
            return None
        return max(splits, key=lambda pair: min(self._df[pair[0]], self._df[pair[1]]))
