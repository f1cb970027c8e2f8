"""The web console's extension point: pages that plugins register, and the progress figures they share.

The console itself is a feature plugin (handlers.dashboard); other features add pages to it without either
importing the other ("discover, don't import"). A plugin defines a hook

    def console_pages(troly: Troly) -> list[ConsolePage]: ...

and the console finds it with `bot.plugins.hooks`, builds its navigation from the pages it finds, checks the
user's role and CSRF token, then calls the page's handler in a worker thread with a `ConsoleRequest`. The
handler returns a `Page` (a Jinja2 template of the plugin, rendered inside the console's layout), a
`Download`, or a `Redirect`; it raises `ConsoleDenied` (403) or `ConsoleNotFound` (404). Nothing here imports
aiohttp or a channel: the request carries plain values.

Visit figures travel the same way: the visits plugin provides `PROGRESS` in the app's services and the console
asks for it only when it is there. See docs/console.md.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from bot.services import ServiceKey
from bot.storage.models import AuditLog, Role

if TYPE_CHECKING:
    from bot.app import Troly

CONSOLE_ROLES = frozenset({Role.LEADER, Role.OFFICIAL, Role.ADMIN})


class ConsoleDenied(Exception):
    """The viewer may not see this (another area's data, a role without access): 403."""


class ConsoleNotFound(Exception):
    """No such item, or not one the viewer could know about: 404."""


class ConsoleInvalid(Exception):
    """A form the page cannot accept; the message (Vietnamese) is shown above the form: 400."""


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking, and which areas they may see (`area_ids` None: every area, an admin without an area)."""

    user_id: int
    role: Role
    name: str
    area_id: int | None
    area_ids: frozenset[int] | None
    team_id: int | None = None

    def may_see(self, area_id: int | None) -> bool:
        return self.area_ids is None or (area_id is not None and area_id in self.area_ids)


@dataclass
class ConsoleRequest:
    """One request to a plugin's page. `session` is read-only for GET and a write transaction for POST."""

    troly: Troly
    session: Session
    viewer: Viewer
    method: str
    query: Mapping[str, str]
    form: Mapping[str, str]
    now: datetime
    subpath: str = ""  # what followed the page's path: "/quan-ly/p/thong-bao/12" gives "12"
    base_url: str = ""  # the console's root URL path ("/quan-ly"), for links

    def audit(self, action: str, target: str = "", details: dict[str, Any] | None = None) -> None:
        """Record a change made on the web, in the same transaction as the change."""
        self.session.add(
            AuditLog(
                at=self.now,
                actor_user_id=self.viewer.user_id,
                actor_label=f"web:{self.viewer.user_id}",
                action=action,
                target=target,
                details={"via": "web", **(details or {})},
            )
        )


@dataclass(frozen=True, slots=True)
class Page:
    """HTML: `template` (found in the page's `template_dir`) rendered in the console's layout with `context`."""

    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    title: str = ""


@dataclass(frozen=True, slots=True)
class Download:
    """A file; `chunks` may be a generator so a large export streams instead of sitting in memory."""

    filename: str
    content_type: str
    chunks: Iterable[bytes]


@dataclass(frozen=True, slots=True)
class Redirect:
    """After a POST: where to go (a path under the console), and a notice to show there."""

    location: str
    notice: str = ""


ConsoleResult = Page | Download | Redirect
ConsoleHandler = Callable[[ConsoleRequest], ConsoleResult]


@dataclass(frozen=True, slots=True)
class ConsolePage:
    """A page a plugin adds to the console, served at /quan-ly/p/<path>[/<subpath>]."""

    path: str  # a URL segment: lowercase letters, digits and "-"
    title: str  # Vietnamese, shown in the navigation
    handler: ConsoleHandler
    roles: frozenset[Role] = CONSOLE_ROLES
    template_dir: Path | None = None
    order: int = 100  # position in the navigation
    methods: frozenset[str] = frozenset({"GET"})
    writes: frozenset[str] = frozenset({"POST"})  # methods that get a write transaction


def console_pages(troly: Troly, plugins: Iterable[Any]) -> list[ConsolePage]:
    """Every page the loaded plugins register, in navigation order (bot.plugins.hooks finds the hooks)."""
    from bot.plugins import hooks

    found = [page for hook in hooks(plugins, "console_pages") for page in hook(troly)]
    return sorted(found, key=lambda page: (page.order, page.title))


# --- Visit figures, provided by the visits plugin and read by the console's overview and monthly report ---


@dataclass(frozen=True, slots=True)
class Reach:
    """One area's result for one group of services (an indicator): households reached for the first time and
    people helped during the period, and the same counted from the beginning up to the period's end."""

    area_id: int
    group: str
    households: int
    people: int
    total_households: int
    total_people: int


@dataclass(frozen=True, slots=True)
class Activity:
    """Visits and households of one team or member over a period, and the time of their last visit."""

    key: int
    visits: int
    households: int
    last_visit: datetime | None


class ProgressSource(Protocol):
    """SQL aggregates over logged visits, grouped in the database (never summed in Python over visits)."""

    def services(self) -> Sequence[tuple[str, str]]:
        """(code, Vietnamese label) of every service a visit can record."""

    def reach(
        self,
        session: Session,
        units: Mapping[int, Collection[int]],
        groups: Mapping[str, Sequence[str]],
        start: datetime,
        end: datetime,
    ) -> list[Reach]:
        """Per unit (an area id, mapped to the ids of its whole subtree) and group, for the period [start, end)
        (local midnights on the first of a month) and cumulatively up to `end`: households whose first completed
        visit with one of the group's services falls in it, and people helped in completed visits giving one."""

    def buckets(
        self, session: Session, unit: int, subtree: Collection[int], edges: Sequence[datetime]
    ) -> list[tuple[int, int]]:
        """(visits, people helped) in the unit's subtree between consecutive `edges` (local midnights)."""

    def team_activity(
        self, session: Session, team_ids: Iterable[int], start: datetime, *, last_visit: bool = True
    ) -> list[Activity]:
        """Visits and households since `start`, and (unless told not to) the last visit ever, per team."""

    def member_activity(self, session: Session, member_ids: Iterable[int], start: datetime) -> list[Activity]:
        """The same per member."""


PROGRESS: ServiceKey[ProgressSource] = ServiceKey("console.progress")


def chunked(rows: Iterable[bytes]) -> Iterator[bytes]:
    """Group small pieces into writes of about 64 KiB (fewer syscalls when streaming an export)."""
    buffer: list[bytes] = []
    size = 0
    for row in rows:
        buffer.append(row)
        size += len(row)
        if size >= 65536:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)
