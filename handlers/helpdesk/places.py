"""Where a request belongs: finding the citizen's ward and village, the teams responsible for an area, and who
may see and take which request (members their team's area, officials their area, admins everything)."""

from __future__ import annotations

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.areas import subtree_ids
from bot.storage.models import Area, AreaLevel, Role, Team, User
from bot.textutil import fold

HELPERS = (Role.MEMBER, Role.LEADER)
STAFF = frozenset({Role.MEMBER, Role.LEADER, Role.OFFICIAL, Role.ADMIN})
PREFIXES = ("phuong ", "xa ", "thi tran ", "dac khu ", "thon ", "khu ", "to dan pho ", "ban ", "ap ")
MAX_CHOICES = 8


def label(area: Area) -> str:
    """ "Khu 1, Phường Móng Cái 1" for a village; the bare name otherwise."""
    if area.level is AreaLevel.VILLAGE and area.parent is not None:
        return f"{area.name}, {area.parent.name}"
    return area.name


def ancestors(session: Session, area_id: int) -> list[Area]:
    """The area, then its parent, up to the province."""
    found: list[Area] = []
    area = session.get(Area, area_id)
    while area is not None and len(found) < 8:
        found.append(area)
        area = area.parent
    return found


def responsible_teams(session: Session, area_id: int) -> list[Team]:
    """The teams working in the request's area or below it (a ward's request reaches its villages' teams); when
    there are none, those of the nearest area above that has some (a village without a team is served by its
    ward's teams, or its neighbours'): nobody is left without a team while one exists nearby."""
    for area in ancestors(session, area_id):
        below = subtree_ids(session, area.id)
        teams = list(session.scalars(select(Team).where(Team.area_id.in_(below)).order_by(Team.id)))
        if teams:
            return teams
    return []


def team_people(session: Session, team_ids: list[int], roles: tuple[Role, ...] = HELPERS) -> list[User]:
    if not team_ids:
        return []
    query = select(User).where(User.team_id.in_(team_ids), User.role.in_(roles)).order_by(User.id)
    return list(session.scalars(query))


def officials(session: Session, area_id: int) -> list[User]:
    """Officials of the request's area or of an area above it, nearest first."""
    found: list[User] = []
    for area in ancestors(session, area_id):
        found += session.scalars(select(User).where(User.role == Role.OFFICIAL, User.area_id == area.id))
        if found:
            return found
    return found


def scope_root(user: User) -> int | None:
    """The area whose requests (with its sub-areas) this staff user may see and take."""
    if user.role in HELPERS:
        return user.team.area_id if user.team is not None else user.area_id
    if user.role is Role.OFFICIAL:
        return user.area_id
    return None


def in_scope(session: Session, user: User, area_id: int) -> bool:
    """Whether `user` may see and take requests of this area: their area (with sub-areas), or, for members, an
    area their team is responsible for (a neighbouring village without a team of its own)."""
    if user.role is Role.ADMIN:
        return True
    root = scope_root(user)
    if root is not None and area_id in subtree_ids(session, root):
        return True
    if user.role in HELPERS and user.team_id is not None:
        return user.team_id in {team.id for team in responsible_teams(session, area_id)}
    return False


def scope_area_ids(session: Session, user: User) -> list[int] | None:
    """The areas of the requests `user` may see; None: all (admins). For members, as `in_scope` says: their
    team's area with its sub-areas, the areas above it (a ward's request reaches the teams of its villages)
    and the villages nearby that have no team of their own."""
    if user.role is Role.ADMIN and user.area_id is None:
        return None
    root = user.area_id if user.role is Role.ADMIN else scope_root(user)
    if root is None:
        return []
    own = subtree_ids(session, root)
    if user.role not in HELPERS or user.team_id is None:
        return own
    above = ancestors(session, root)[1:]
    nearby = subtree_ids(session, above[0].id) if above else []
    extra = {area.id for area in above} | set(nearby)
    return sorted(set(own) | {area_id for area_id in extra - set(own) if in_scope(session, user, area_id)})


def _bare(name: str) -> str:
    folded = fold(name)
    for prefix in PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


def find_areas(
    session: Session, query: str, level: AreaLevel | None = None, parent_id: int | None = None
) -> list[Area]:
    """Areas whose code or name (with or without diacritics, nearly) is `query`, best first."""
    query = query.strip()[:100]
    if not query:
        return []
    statement = select(Area).order_by(Area.code)
    if level is not None:
        statement = statement.where(Area.level == level)
    if parent_id is not None:
        statement = statement.where(Area.parent_id == parent_id)
    areas = list(session.scalars(statement))
    by_code = [area for area in areas if area.code.upper() == query.upper()]
    wanted = _bare(query)
    for matches in (
        by_code,
        [a for a in areas if _bare(a.name) == wanted],
        [a for a in areas if wanted in fold(a.name)],
    ):
        if matches:
            return matches[:MAX_CHOICES]
    names = {area.id: _bare(area.name) for area in areas}
    found = process.extract(wanted, names, scorer=fuzz.WRatio, limit=MAX_CHOICES, score_cutoff=80.0)
    by_id = {area.id: area for area in areas}
    return [by_id[key] for _name, _score, key in found]


def communes(session: Session) -> list[Area]:
    return list(session.scalars(select(Area).where(Area.level == AreaLevel.COMMUNE).order_by(Area.name)))


def villages(session: Session, commune_id: int) -> list[Area]:
    return list(session.scalars(select(Area).where(Area.parent_id == commune_id).order_by(Area.code)))


def count_communes(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Area).where(Area.level == AreaLevel.COMMUNE)) or 0)
