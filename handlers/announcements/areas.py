"""Finding the area a resident means: by code, or by name typed with or without diacritics, or nearly."""

from __future__ import annotations

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.storage.models import Area, AreaLevel
from bot.textutil import fold

PREFIXES = ("phuong ", "xa ", "thi tran ", "dac khu ", "tinh ", "thanh pho ")
MAX_CHOICES = 8
FUZZY_CUTOFF = 80.0


def _bare(name: str) -> str:
    """Folded name without its unit word: "Phường Móng Cái 1" → "mong cai 1"."""
    folded = fold(name)
    for prefix in PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


def find_areas(session: Session, query: str) -> list[Area]:
    """Best matches for `query`: one area when it is unambiguous, several to choose from, or none."""
    query = query.strip()
    if not query:
        return []
    by_code = session.scalar(select(Area).where(func.upper(Area.code) == query.upper()))
    if by_code is not None:
        return [by_code]
    areas = list(session.scalars(select(Area).order_by(Area.code)))
    wanted, bare_wanted = fold(query), _bare(query)
    exact = [area for area in areas if fold(area.name) == wanted]
    if exact:
        return exact
    bare = [area for area in areas if _bare(area.name) == bare_wanted]
    if bare:
        return bare
    partial = [area for area in areas if bare_wanted in fold(area.name)]
    if partial:
        return partial
    names = {area.id: _bare(area.name) for area in areas}
    found = process.extract(bare_wanted, names, scorer=fuzz.WRatio, limit=MAX_CHOICES, score_cutoff=FUZZY_CUTOFF)
    by_id = {area.id: area for area in areas}
    return [by_id[key] for _name, _score, key in found]


def communes(session: Session) -> list[Area]:
    """The wards and communes, offered as a list when a resident starts /dangky without a name."""
    return list(session.scalars(select(Area).where(Area.level == AreaLevel.COMMUNE).order_by(Area.name)))


def label(area: Area) -> str:
    """ "Khu 1, Phường Móng Cái 1" for a village; the bare name for a commune or province."""
    if area.level is AreaLevel.VILLAGE and area.parent is not None:
        return f"{area.name}, {area.parent.name}"
    return area.name
