"""Extension points: typed lists that plugins add to and other plugins read, so features never import each other.

A feature that wants to be extended declares (here, in the core) an `ExtensionPoint` with the type of what it
accepts; any plugin adds to it in `setup(troly)` with `troly.extensions.add(POINT, item)`, and the feature reads
`troly.extensions[POINT]`. Neither side imports the other, and a plugin left out simply adds nothing.

The points a feature may use are declared at the bottom of this module, each with what it is for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.messages import Choice, Outbound

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.context import Context
    from bot.storage.models import User

T = TypeVar("T")


class ExtensionPoint(Generic[T]):
    """Names a list of extensions and carries the type of its items."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ExtensionPoint({self.name!r})"


class Extensions:
    """What plugins added to each extension point, in the order they were added (plugin order)."""

    def __init__(self) -> None:
        self._items: dict[ExtensionPoint[Any], list[Any]] = {}

    def add(self, point: ExtensionPoint[T], item: T) -> None:
        self._items.setdefault(point, []).append(item)

    def __getitem__(self, point: ExtensionPoint[T]) -> list[T]:
        return list(self._items.get(point, ()))


@dataclass(frozen=True, slots=True)
class ProvidedAnswer:
    """An answer from another source than the built-in guides and plans (for example a local answer that an
    official published for their area). `score` is a confidence in [0, 1] comparable with the answerer's own;
    `source` follows the `troly ask --json` contract ({"kind": "local", "id": ..., "title": ...})."""

    text: str
    score: float
    source: dict[str, Any]
    choices: tuple[Choice, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


# Free-text questions: each provider may answer a question for this user (area-aware) before the guides do.
# handlers.questions consults them and keeps the most confident answer.
ANSWER_PROVIDERS: ExtensionPoint[Callable[[Context, str], ProvidedAnswer | None]] = ExtensionPoint("answer_providers")

# "Where to find a person": the first provider that returns a text for this user replaces the generic help
# line in fallbacks, referrals and help replies (an area's contact card, for example).
HELP_LINES: ExtensionPoint[Callable[[Context], str | None]] = ExtensionPoint("help_lines")

# /huy when no dialog is active: each hook may end a mode of its plugin (a citizen talking with a helper
# goes back to questions) and return what to tell the user; the first text wins, else "nothing to cancel".
CANCEL_HOOKS: ExtensionPoint[Callable[[Context], str | None]] = ExtensionPoint("cancel_hooks")


@dataclass(frozen=True, slots=True)
class CatalogueService:
    """A kind of help a community team gives (the visits feature's catalogue), offered by other features
    (a help request: "what do you need?") without importing it."""

    code: str
    label: str


# The services community teams give, in the order to show them (handlers.visits adds its catalogue).
SERVICE_CATALOGUE: ExtensionPoint[CatalogueService] = ExtensionPoint("service_catalogue")


@dataclass(frozen=True, slots=True)
class VisitLink:
    """Something a member's visit can be logged for (an open help request), offered first by /ghinhan.

    `key` is opaque to the visits feature and comes back in `SavedVisit.link`; `label` fits a button."""

    key: str
    label: str


@dataclass(frozen=True, slots=True)
class SavedVisit:
    """A visit a member just logged: its id, outcome (done, later, declined), address, and the `VisitLink.key`
    chosen for it (None when logged without choosing one, e.g. with the one-line form)."""

    id: int
    outcome: str
    address: str
    link: str | None


@dataclass(frozen=True, slots=True)
class VisitHooks:
    """How another feature takes part in logging visits (handlers.visits calls these, in the member's message):
    `offers(ctx)` what this member's visit may be for, shown first; `saved(ctx, visit)` after a new visit is
    stored, returning messages to add to the member's reply (a link confirmed, or offered)."""

    offers: Callable[[Context], list[VisitLink]]
    saved: Callable[[Context, SavedVisit], list[Outbound]]


VISIT_HOOKS: ExtensionPoint[VisitHooks] = ExtensionPoint("visit_hooks")

# More sections of the activity report in chat (/baocao): each returns lines for this reader, already scoped
# to what their role may see (members their own, leaders their team, officials their area), or nothing.
REPORT_SECTIONS: ExtensionPoint[Callable[[Context], list[str]]] = ExtensionPoint("report_sections")

# A user's role, team or area just changed (an invite redeemed in chat, `troly users grant`), in the transaction
# that changed it: features holding work assigned to them (help requests) give back what is no longer theirs.
# Arguments: the session, the user as they are now, and the time.
MEMBERSHIP_CHANGED: ExtensionPoint[Callable[[Session, User, datetime], None]] = ExtensionPoint("membership_changed")

# What a channel learnt about messages it delivered (Zalo reports "delivered" and "seen"; Telegram reports
# nothing): given a channel name and that channel's message ids (SendResult.message_id), each provider returns
# {message id: "delivered" | "seen"} for the ids it knows. Announcements use it for their delivery report.
DELIVERY_STATES: ExtensionPoint[Callable[[Session, str, list[str]], dict[str, str]]] = ExtensionPoint("delivery_states")


@dataclass(frozen=True, slots=True)
class AnswerProposal:
    """A good answer found elsewhere (a helper's reply to a help request) offered as a local answer for an area.
    It is only proposed: an official of the area reviews it before citizens see it."""

    question: str
    answer: str
    area_id: int
    origin: str  # "<feature>:<id>", e.g. "helpdesk:42", kept with the local answer
    author_label: str = ""  # who wrote the answer, e.g. "Nguyễn Văn A, Tổ CNSCĐ Khu 1"


# Offer an answer for review as a local answer (handlers.feedback adds one): the return value is a short
# Vietnamese confirmation for the person who offered it, or None when nothing was proposed.
ANSWER_PROPOSALS: ExtensionPoint[Callable[[Context, AnswerProposal], str | None]] = ExtensionPoint("answer_proposals")


@dataclass(frozen=True, slots=True)
class RatingSummary:
    """Ratings a feature collected in one area and month (help requests rated 1-5, for example)."""

    label: str  # Vietnamese, e.g. "Yêu cầu hỗ trợ"
    area_id: int | None
    month: str  # "2026-12", Vietnam time
    ratings: int
    satisfied: int  # the ratings that count as satisfied (4 or 5 of 5)


# Other features' ratings for the satisfaction report (handlers.feedback): given the areas in scope (None: all)
# and a period [start, end), each returns its ratings per area and month.
RATING_SUMMARIES: ExtensionPoint[Callable[[Session, list[int] | None, datetime, datetime], list[RatingSummary]]] = (
    ExtensionPoint("rating_summaries")
)
