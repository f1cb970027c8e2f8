"""Vietnamese text normalisation shared by the index and the query side.

Citizens type the same word in many ways: with or without diacritics, with the tone mark on either vowel
("hoà"/"hòa"), in teencode ("ko", "dc") or with abbreviations ("cccd"). Retrieval only works if the index and the
query are reduced to the same form, so every text goes through `analyze` here, and nowhere else.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from embeddings.abbreviations import ABBREVIATIONS

# Combining marks for the five Vietnamese tones (huyền, sắc, ngã, hỏi, nặng).
TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")
_VOWELS = frozenset("aăâeêioôơuưy")
_MODIFIED_VOWELS = frozenset("ăâêôơư")
_WORD = re.compile(r"[^\W_]+")
# A syllable that is consonants followed by a final "y" ("ky", "ly", "quy") is also written with "i".
_CONSONANT_Y = re.compile(r"^(?:qu|[bcdghklmnprstvx]+)y$")


@dataclass(frozen=True, slots=True)
class Analyzed:
    """A text reduced to comparable syllables: `accented` keeps diacritics, `folded` drops them."""

    accented: tuple[str, ...]
    folded: tuple[str, ...]


def nfc_lower(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower()


def split_tone(syllable: str) -> tuple[str, str]:
    """Return the syllable without its tone mark (NFC) and the tone's combining mark ("" for level tone)."""
    tone = ""
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", syllable):
        if char in TONE_MARKS:
            tone = char
        else:
            kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)), tone


def _tone_position(base: str) -> int | None:
    """Index of the vowel that carries the tone, by the "new style" rule (hoà, thuý, khoẻ)."""
    vowels = [i for i, char in enumerate(base) if char in _VOWELS]
    if base.startswith(("qu", "gi")) and len(vowels) > 1 and vowels[0] == 1:
        vowels = vowels[1:]
    if not vowels:
        return None
    modified = [i for i in vowels if base[i] in _MODIFIED_VOWELS]
    if modified:
        return modified[-1]
    if len(vowels) == 1:
        return vowels[0]
    if vowels[-1] < len(base) - 1:  # a final consonant follows: "hoàn", "thuyết"
        return vowels[-1]
    if len(vowels) >= 3:
        return vowels[1]
    if base[vowels[0] : vowels[0] + 2] in ("oa", "oe", "uy"):
        return vowels[1]
    return vowels[0]


def place_tone(syllable: str) -> str:
    """Put the tone mark of one lower-case syllable on a single canonical vowel."""
    base, tone = split_tone(syllable)
    if not tone:
        return base
    position = _tone_position(base)
    if position is None:
        return syllable
    marked = unicodedata.normalize("NFC", base[position] + tone)
    return base[:position] + marked + base[position + 1 :]


def fold(text: str) -> str:
    """Remove every diacritic (đ→d) so that accented and unaccented text meet."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fold_syllable(syllable: str) -> str:
    folded = fold(syllable)
    if _CONSONANT_Y.match(folded):
        return folded[:-1] + "i"
    return folded


def syllables(text: str) -> list[str]:
    """Lower-case NFC words of a text, each with its tone on the canonical vowel."""
    return [place_tone(word) for word in _WORD.findall(nfc_lower(text))]


def analyze(text: str, expand: bool = True) -> Analyzed:
    """Normalise a text into accented and folded syllables, expanding teencode and abbreviations."""
    accented: list[str] = []
    for word in syllables(text):
        expansion = ABBREVIATIONS.get(word) if expand else None
        if expansion is None:
            accented.append(word)
        else:
            accented.extend(place_tone(part) for part in expansion.split())
    return Analyzed(tuple(accented), tuple(fold_syllable(word) for word in accented))


def folded_text(text: str) -> str:
    """The normalised, unaccented form of a whole text, as one string (for display-free comparisons)."""
    return " ".join(analyze(text).folded)
