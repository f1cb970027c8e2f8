"""Follow-up questions read with the previous topic: "còn iphone thì sao", "thế còn mức 1?", "ở đâu?".

A follow-up leans on the question before it: alone it names no topic, or it opens with "còn", "thế còn",
"vậy còn", "nếu". It is answered as the previous question rewritten with the new words: a word pair of the new
question replaces the pair with the same head in the old one ("mức 1" replaces "mức 2"), other new words are
added in front. The caller decides whether the previous question is recent enough (10 minutes in the chat).
"""

from __future__ import annotations

import itertools
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from embeddings.text import analyze
from knowledge.intents import Intent

if TYPE_CHECKING:
    from knowledge.answers import Answer

WINDOW_MINUTES = 10
_OPENERS = re.compile(r"^(?:the con|vay con|con|the|vay|neu|con neu|the neu|vay neu|nhung|the thi|con ve)\b")
_ENDINGS = re.compile(r"\b(?:thi sao|the nao|ra sao|duoc khong|thi the nao|sao|nua|thi)$")
# Words that carry no topic of their own in a follow-up.
_EMPTY = frozenset(
    """
    the con vay neu thi sao nao nhu ra duoc khong ko co nua la gi o dau bao lau mat phi tien nhieu can mang
    cach lam a ah nhi nhe minh toi ban em anh chi may cho voi di phai chua roi
    """.split()  # noqa: SIM905
)


@dataclass(frozen=True, slots=True)
class Previous:
    """What the user asked last: the masked question, its intent, and what answered it."""

    question: str
    intent: Intent = Intent.OTHER
    kind: str | None = None  # "guide" | "plan" | None
    target: str | None = None  # guide id or passage id


def is_follow_up(text: str) -> bool:
    """Shaped like a follow-up: opens with "còn/thế còn/vậy/nếu", or has almost no topic words of its own."""
    folded = " ".join(analyze(text).folded)
    if not folded:
        return False
    own = [word for word in folded.split() if word not in _EMPTY]
    if _OPENERS.match(folded) and len(own) <= 5:
        return True
    return len(own) <= 1 and bool(_ENDINGS.search(folded) or len(folded.split()) <= 6)


def compose(text: str, previous: Previous) -> str:
    """The previous question with this one's words put in (see the module's docstring)."""
    new = new_words(text)
    old = [word for word in analyze(previous.question).folded if word not in _EMPTY]
    replaced: set[str] = set()
    for first, second in itertools.pairwise(new):
        for i in range(len(old) - 1):
            if old[i] == first and old[i + 1] != second:
                old[i + 1] = second
                replaced.update((first, second))
    added = [word for word in new if word not in replaced and word not in old]
    return " ".join([*added, *old])


def new_words(text: str) -> list[str]:
    """The words a follow-up brings (its topic words, without "còn", "thì sao", "ở đâu"...)."""
    return [word for word in analyze(text).folded if word not in _EMPTY]


def intent_for(text: str, own: Intent, previous: Previous) -> Intent:
    """A follow-up without an intent of its own ("còn iphone thì sao") keeps the previous one."""
    return previous.intent if own in (Intent.OTHER, Intent.HOW) and previous.intent is not Intent.OTHER else own


class Conversations:
    """Each user's previous question within the window, kept in memory (`troly ask --json -`, evaluation);
    the chat keeps the same in the database (handlers/questions/memory.py)."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[float, Previous]] = {}

    def previous(self, user: str | None) -> Previous | None:
        if user is None or user not in self._last:
            return None
        at, previous = self._last[user]
        return previous if time.monotonic() - at <= WINDOW_MINUTES * 60 else None

    def remember(self, user: str | None, answer: Answer) -> None:
        if user is None or answer.outcome.value == "smalltalk":
            return
        self._last[user] = (time.monotonic(), previous_of(answer))


def previous_of(answer: Answer) -> Previous:
    source = answer.source
    return Previous(answer.question, answer.intent, source.kind if source else None, source.id if source else None)
