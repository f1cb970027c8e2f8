"""Restore Vietnamese diacritics in OCR text with a syllable model trained on the clean documents and guides.

OCR of a scanned plan loses or garbles the diacritics ("Chuyén d6i s6 thanh ph6 Hai Phong nim 2022"); quoting it
would show citizens garble. Each OCR word is reduced to a key (digits read for letters, diacritics dropped) and
replaced by the accented syllable that best fits, by a Viterbi search over:
- candidates: the accented syllables of the clean text whose unaccented form is the key, or, for keys the clean
  text never uses, those within one or two edits (OCR confuses "o" with "d", "b", "g"; "ư" with "ir");
- a syllable bigram model of the clean text (interpolated with unigrams), so "năm 2022" beats "nằm 2022";
- keeping the word as it was (numbers, acronyms, names the model does not know) at a price.
Each restored word says whether it was sure (an exact key with one reading or a clear winner), so a passage
that is still mostly guesswork can be kept out of quotes.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from embeddings.text import fold, nfc_lower, place_tone

_TOKEN = re.compile(r"[^\W_]+|[^\w\s]|_|\s+", re.UNICODE)
_OCR_LETTERS = str.maketrans({"0": "o", "1": "l", "4": "a", "6": "o", "8": "b"})
_OCR_SYMBOLS = (("¢", "e"), ("€", "e"))  # OCR reads "ê", "ế", "ệ" as these inside words
_LIST_LETTER = re.compile(r"^(\s*)¢\)", re.MULTILINE)  # "¢)" opening a line is the list letter "c)"
_CAPITAL_I = re.compile(r"\bI(?=[a-zà-ỹ])")  # OCR reads a small "l" as a capital "I" ("Iy" for "lý")
# OCR spellings of a vowel ("ư" read as "ir", "tr"; "u" as "w"), tried when a key is unknown
_VARIANTS = (
    ("ir", "u"),
    ("it", "u"),
    ("ii", "u"),
    ("w", "u"),
    ("tr", "u"),
    ("rc", "uc"),
    ("r", "u"),
    ("d", "o"),
    ("b", "o"),
    ("g", "o"),
)
_MIXED = re.compile(r"^(?=.*[^\W\d_])(?=.*\d)\w+$")
# The national motto heads every administrative document; OCR garbles it more than anything else.
STANDARD_LINES = ("Cộng hòa xã hội chủ nghĩa Việt Nam", "Độc lập - Tự do - Hạnh phúc")
KEEP_COST = 9.0  # log-probability price of leaving a word as OCR read it
EDIT_COST = 3.5  # price per edit when the key is unknown to the clean text
KNOWN_KEY_COST = 2.0  # extra price for reading a word the clean text knows as another word
INTERPOLATION = 0.7
MAX_CANDIDATES = 10


@dataclass(frozen=True, slots=True)
class Restored:
    text: str
    words: int
    unsure: int  # words kept as read or replaced by a distant guess

    @property
    def garble(self) -> float:
        return self.unsure / self.words if self.words else 0.0


class Restorer:
    """A syllable bigram model of clean Vietnamese text and the accented readings of each unaccented key."""

    def __init__(self, unigrams: Counter[str], bigrams: Counter[tuple[str, str]]) -> None:
        self.unigrams = unigrams
        self.bigrams = bigrams
        self.total = sum(unigrams.values()) or 1
        self.readings: dict[str, list[str]] = defaultdict(list)
        for syllable in unigrams:
            self.readings[fold(syllable)].append(syllable)
        self._keys = [key for key in self.readings if len(key) >= 2 and not key.isdigit()]
        self._following: Counter[str] = Counter()
        for first, _ in bigrams:
            self._following[first] += bigrams[(first, _)]
        self._near: dict[str, list[tuple[str, int]]] = {}

    @classmethod
    def train(cls, texts: Iterable[str]) -> Restorer:
        unigrams: Counter[str] = Counter()
        bigrams: Counter[tuple[str, str]] = Counter()
        for text in (*texts, *STANDARD_LINES):
            for line in text.splitlines():
                words = [place_tone(word) for word in re.findall(r"[^\W\d_]+", nfc_lower(line))]
                unigrams.update(words)
                bigrams.update(itertools.pairwise(words))
        return cls(unigrams, bigrams)

    def restore(self, text: str) -> Restored:
        """The text with each OCR word replaced by its best accented reading (punctuation, digits, case kept)."""
        out: list[str] = []
        words = unsure = 0
        text = _CAPITAL_I.sub("l", _LIST_LETTER.sub(r"\1c)", text))
        for symbol, letter in _OCR_SYMBOLS:
            text = text.replace(symbol, letter)
        for line in text.split("\n"):
            pieces = _TOKEN.findall(line)
            slots = [i for i, piece in enumerate(pieces) if _is_word(piece)]
            choices = self._best_path([pieces[i] for i in slots])
            for i, (word, sure) in zip(slots, choices, strict=True):
                pieces[i] = _with_case(word, pieces[i])
                words += 1
                unsure += not sure
            out.append("".join(pieces))
        return Restored("\n".join(out), words, unsure)

    def garble(self, text: str) -> float:
        """Share of a (restored) text's words that the clean text never uses: what is still unreadable."""
        words = [place_tone(word) for word in re.findall(r"[^\W\d_]+", nfc_lower(text)) if len(word) > 1]
        if not words:
            return 0.0
        return sum(1 for word in words if word not in self.unigrams) / len(words)

    def _candidates(self, raw: str) -> list[tuple[str, float, bool]]:
        """(reading, emission log-score, sure) for one OCR word; the word as read is always a candidate."""
        key = fold(nfc_lower(raw).translate(_OCR_LETTERS)) if _MIXED.match(raw) or not raw.isdigit() else raw
        key = key.replace("đ", "d")
        found: list[tuple[str, float, bool]] = []
        readings = self.readings.get(key)
        if readings:
            found = [(reading, 0.0, True) for reading in readings]
        if len(key) >= 2 and key.isalpha():
            found += [
                (reading, -EDIT_COST * distance - (KNOWN_KEY_COST if readings else 0.0), False)
                for near, distance in self._near_keys(key)
                if near != key
                for reading in self.readings[near]
            ]
        keep = nfc_lower(raw)
        if len(found) > MAX_CANDIDATES:  # the Viterbi step is quadratic in candidates: keep the likeliest
            found.sort(key=lambda item: item[1] + math.log(self.unigrams.get(item[0], 0) + 1), reverse=True)
            found = found[:MAX_CANDIDATES]
        found.append((keep, -KEEP_COST if found else 0.0, not found and (raw.isdigit() or raw.isupper())))
        return found

    def _near_keys(self, key: str) -> list[tuple[str, int]]:
        """Known keys one OCR variant ("thirc" → "thuc") or one or two edits away."""
        if key not in self._near:
            found: dict[str, int] = {}
            for typed, meant in _VARIANTS:
                if typed in key:
                    variant = key.replace(typed, meant)
                    if variant in self.readings:
                        found.setdefault(variant, 1)
            limit = 1 if len(key) <= 3 else 2
            matches = process.extract(key, self._keys, scorer=Levenshtein.distance, score_cutoff=limit, limit=6)
            for match, distance, _ in matches:
                found.setdefault(match, int(distance))
            self._near[key] = sorted(found.items(), key=lambda item: item[1])[:8]
        return self._near[key]

    def _log_p(self, previous: str | None, word: str) -> float:
        unigram = (self.unigrams.get(word, 0) + 0.1) / (self.total + 0.1 * len(self.unigrams))
        if previous is None or previous not in self._following:
            return math.log(unigram)
        bigram = self.bigrams.get((previous, word), 0) / self._following[previous]
        return math.log(INTERPOLATION * bigram + (1 - INTERPOLATION) * unigram)

    def _best_path(self, raws: list[str]) -> list[tuple[str, bool]]:
        """Viterbi over the words of one line: emission scores plus the bigram model."""
        if not raws:
            return []
        lattice = [self._candidates(raw) for raw in raws]
        scores = [emission + self._log_p(None, word) for word, emission, _ in lattice[0]]
        back: list[list[int]] = []
        for position in range(1, len(lattice)):
            row, pointers = [], []
            for word, emission, _ in lattice[position]:
                best, best_from = -math.inf, 0
                for j, (previous, _, _) in enumerate(lattice[position - 1]):
                    value = scores[j] + self._log_p(previous, word)
                    if value > best:
                        best, best_from = value, j
                row.append(best + emission)
                pointers.append(best_from)
            scores, back = row, [*back, pointers]
        index = max(range(len(scores)), key=scores.__getitem__)
        path = [index]
        for pointers in reversed(back):
            index = pointers[index]
            path.append(index)
        path.reverse()
        return [(lattice[i][choice][0], lattice[i][choice][2]) for i, choice in enumerate(path)]


def _is_word(piece: str) -> bool:
    return bool(piece) and piece[0].isalnum() and not piece.isdigit()


def _with_case(word: str, original: str) -> str:
    if original.isupper() and len(original) > 1:
        return word.upper()
    if original[:1].isupper():
        return word[:1].upper() + word[1:]
    return word
