"""The feature's shared objects on the app (lazy: built by the first message that needs them)."""

from __future__ import annotations

from bot.services import ServiceKey
from handlers.feedback.local_index import LocalIndex
from handlers.feedback.pseudonym import Pseudonymizer

LOCAL_INDEX: ServiceKey[LocalIndex] = ServiceKey("feedback.local_index")
PSEUDONYMS: ServiceKey[Pseudonymizer] = ServiceKey("feedback.pseudonyms")


def guide_questions() -> list[str]:
    """The guides' example questions: the ordinary wording of citizens' questions (see similarity.TextSpace)."""
    from knowledge.guides import load_guides

    return [question for guide in load_guides() for question in guide.questions]


def make_local_index() -> LocalIndex:
    return LocalIndex(guide_questions)
