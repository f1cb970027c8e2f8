"""A guide cut into sections with a role, and the part of it that answers a given question.

Guides are written as an introduction followed by bold-headed sections ("**Cần chuẩn bị**", "**Các bước**",
"**Chi phí**" ...). Each heading maps to a role (what it is, who, cost, what to bring, steps, problems, warnings,
where, how long, help). A question's intent (knowledge.intents) picks the role that should lead the reply; among
the candidate sentences (a role's sentences, the guide's FAQ answers) the one sharing the rarest words with the
question becomes the one-sentence lead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from embeddings.text import analyze, fold
from knowledge.intents import Intent

_HEADING = re.compile(r"^\*\*(.+?)\*\*\s*$", re.MULTILINE)
_SEE_ALSO = re.compile(r"^\s*Xem thêm:.*$", re.MULTILINE | re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ỹ\"«(])")


class Role(StrEnum):
    WHAT = "what"
    WHO = "who"
    COST = "cost"
    BRING = "bring"
    STEPS = "steps"
    PROBLEMS = "problems"
    WARNINGS = "warnings"
    WHERE = "where"
    DURATION = "duration"
    HELP = "help"
    FAQ = "faq"


# Folded heading words → role; the first rule that matches a heading wins.
_ROLE_RULES: tuple[tuple[Role, tuple[str, ...]], ...] = (
    (Role.HELP, ("can ho tro",)),
    (Role.COST, ("chi phi", "phi", "le phi", "mien phi")),
    (Role.DURATION, ("bao lau", "thoi gian", "thoi han")),
    (Role.WHERE, ("o dau", "noi lam", "noi nop")),
    (Role.BRING, ("can chuan bi", "chuan bi", "giay to can")),
    (Role.STEPS, ("cac buoc", "cach lam", "ky mot", "gia han", "khoa tai khoan", "mo khoa", "xoa tai khoan")),
    (Role.PROBLEMS, ("loi thuong gap", "mat dien thoai", "su co")),
    (Role.WARNINGS, ("lua dao", "luu y", "an toan", "dau hieu", "canh bao")),
    (Role.WHO, ("ai ", "doi tuong", "do tuoi", "tre em")),
    (Role.WHAT, ("la gi", "dung de", "dung lam", "giup gi", "gia tri", "gioi thieu", "cac muc", "cac trang thai")),
)

# The roles that answer each intent, best first.
INTENT_ROLES: dict[Intent, tuple[Role, ...]] = {
    Intent.DEFINITION: (Role.WHAT, Role.FAQ),
    Intent.COST: (Role.COST,),
    Intent.DURATION: (Role.DURATION, Role.FAQ, Role.PROBLEMS, Role.STEPS),
    Intent.WHERE: (Role.WHERE, Role.FAQ, Role.STEPS, Role.HELP),
    Intent.BRING: (Role.BRING, Role.FAQ, Role.STEPS),
    Intent.YESNO: (Role.FAQ, Role.WHO, Role.WHAT, Role.PROBLEMS, Role.WARNINGS, Role.COST, Role.STEPS),
    Intent.HOW: (Role.STEPS, Role.PROBLEMS),
    Intent.SCAM: (Role.WARNINGS, Role.PROBLEMS, Role.STEPS),
    Intent.OTHER: (Role.FAQ, Role.STEPS, Role.PROBLEMS, Role.WHAT, Role.WARNINGS),
}


# Intents answered by the opening sentence of their section, which guides write as the direct answer.
DIRECT_INTENTS = frozenset({Intent.DEFINITION, Intent.COST, Intent.DURATION, Intent.WHERE, Intent.BRING})


@dataclass(frozen=True, slots=True)
class Section:
    heading: str  # "" for the introduction
    role: Role
    text: str  # Markdown as written


@dataclass(frozen=True, slots=True)
class Lead:
    """The sentence that answers the question, and the section it comes from (which fills the rest)."""

    sentence: str
    section: Section
    score: float
    overlap: float = 0.0  # share of the question's weight the sentence contains


def role_of(heading: str) -> Role:
    folded = f" {fold(heading).lower().strip(' ?:')} "
    for role, words in _ROLE_RULES:
        if any(f" {word}" in folded for word in words):
            return role
    return Role.WHAT


def split_sections(body: str, faq: Iterable[tuple[str, str]] = ()) -> list[Section]:
    """The guide's sections in order (the introduction first), plus one FAQ section for its q/a pairs."""
    parts = _HEADING.split(_SEE_ALSO.sub("", body))
    result = [Section("", Role.WHAT, parts[0].strip())] if parts[0].strip() else []
    for heading, text in zip(parts[1::2], parts[2::2], strict=False):
        clean = heading.strip().rstrip(":")
        result.append(Section(clean, role_of(clean), text.strip()))
    answers = [answer for _, answer in faq]
    if answers:
        result.append(Section("Hỏi đáp", Role.FAQ, "\n".join(f"- {answer}" for answer in answers)))
    return result


def sentences(text: str) -> list[str]:
    """Sentences and list items of a section, as plain lines (bullets and numbers kept)."""
    found: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            found.extend(part.strip() for part in _SENTENCE_END.split(line) if part.strip())
    return found


@dataclass(frozen=True, slots=True)
class Candidate:
    sentence: str
    section: Section
    position: int  # 0 for a section's first sentence
    words: frozenset[str]  # folded syllables (with the FAQ question for FAQ answers)


@dataclass(frozen=True, slots=True)
class GuideView:
    """A guide's sections and its candidate lead sentences, prepared once per guide."""

    sections: tuple[Section, ...]
    candidates: tuple[Candidate, ...]

    @classmethod
    def of(cls, body: str, faq: Iterable[tuple[str, str]] = ()) -> GuideView:
        faq = tuple(faq)
        asked = {answer: question for question, answer in faq}
        parts = split_sections(body, faq)
        candidates = [
            Candidate(
                _unbullet(sentence),
                section,
                position,
                frozenset(analyze(f"{asked.get(_unbullet(sentence), '')} {sentence}").folded),
            )
            for section in parts
            for position, sentence in enumerate(sentences(section.text))
        ]
        return cls(tuple(parts), tuple(candidates))

    def _opening(self, roles: tuple[Role, ...]) -> Lead | None:
        """The first sentence of the first section with one of these roles: guides open each section with its
        direct answer ("Chữ ký số là ...", "Đăng ký mức 2 không mất phí.")."""
        for role in roles:
            for candidate in self.candidates:
                if candidate.section.role is role:
                    return Lead(candidate.sentence, candidate.section, 1.0, 1.0)
        return None

    def companion(self, lead: Lead, question_words: dict[str, float]) -> Section:
        """The section to show under the lead: its own, or for a FAQ answer the section sharing most of the
        question's words (the FAQ's other answers are about other things)."""
        if lead.section.role is not Role.FAQ:
            return lead.section
        best, best_overlap = self.first(Role.STEPS) or self.sections[0], -1.0
        for section in self.sections:
            if section.role in (Role.FAQ, Role.HELP):
                continue
            words = {word for c in self.candidates if c.section is section for word in c.words}
            overlap = sum(weight for word, weight in question_words.items() if word in words)
            if overlap > best_overlap:
                best, best_overlap = section, overlap
        return best

    def has(self, role: Role) -> bool:
        return any(section.role is role for section in self.sections)

    def first(self, *roles: Role) -> Section | None:
        for role in roles:
            for section in self.sections:
                if section.role is role:
                    return section
        return None

    def lead(self, intent: Intent, question_words: dict[str, float]) -> Lead | None:
        """The best sentence for this intent: from the intent's roles, weighted by the question's rare words.

        `question_words` maps the question's folded content syllables to their weight (IDF). A FAQ answer is
        scored with its question, since "Tự đăng ký mức 2 ở nhà được không?" is matched by the question.
        A role earlier in the intent's list and a section's first sentence get a small head start.
        """
        roles = INTENT_ROLES[intent]
        if intent in DIRECT_INTENTS and self.has(roles[0]):
            return self._opening(roles[:1])
        total = sum(question_words.values()) or 1.0
        best: Lead | None = None
        for rank, role in enumerate(roles):
            for candidate in (c for c in self.candidates if c.section.role is role):
                overlap = sum(weight for word, weight in question_words.items() if word in candidate.words) / total
                prior = 0.3 - 0.05 * rank + (0.1 if candidate.position == 0 and role is not Role.FAQ else 0.0)
                score = overlap + prior
                if best is None or score > best.score:
                    best = Lead(candidate.sentence, candidate.section, score, overlap)
        return best


def _unbullet(sentence: str) -> str:
    return re.sub(r"^(?:[-*•]|\d+\.)\s+", "", sentence).strip()


def _folded_words(text: str) -> set[str]:
    return set(analyze(text).folded)
