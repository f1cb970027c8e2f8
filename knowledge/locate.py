"""Which plan documents a question may be answered from: the place it names, or the user's own area.

- A question that names a place is answered only from that place's documents (a province's question also from
  its cities' documents). A place with none gets an honest "Mình chưa có kế hoạch ... của Hà Nội" and the list of
  loaded documents, with a note when a loaded document's place now belongs to it (or it to them) after 2025.
- A plan question without a place uses the user's area (subscription, team): its documents if there are any,
  else the same honest answer for that area.
- A plan question without a place from someone with no known area, phrased about "my ward" or "here", gets asked
  which locality; otherwise every document competes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from embeddings.text import analyze
from knowledge.places import Gazetteer, Place

_PLAN_WORDS = re.compile(
    r"\b(?:ke hoach|de an|bao cao|nghi quyet|chi tieu|muc tieu|phan dau|chuyen doi so|thanh pho thong minh|"
    r"do thi thong minh|kinh te so|xa hoi so|chinh quyen so|chinh phu so|ha tang so|giai doan 20\d\d|"
    r"den nam 20\d\d|so ket|tong ket|ket qua thuc hien)\b"
)
_DEICTIC = re.compile(
    r"\b(?:phuong|xa|tinh|thanh pho|huyen|quan|thon|dia phuong|noi|cho|khu) (?:toi|minh|em|nha toi|nha minh|"
    r"chung toi|ta|nay|o|dang o)\b|\bo day\b|\bcho toi o\b|\bnoi toi o\b"
)


@dataclass(frozen=True, slots=True)
class Location:
    """Where plan answers may come from. `groups` None means every document; `missing` is a place without
    documents (answer honestly); `ask` means ask which locality."""

    groups: frozenset[str] | None = None
    missing: Place | None = None
    related: tuple[str, ...] = ()  # documents of a place that merged with the missing one
    ask: bool = False
    from_area: bool = False


class Locator:
    def __init__(self, gazetteer: Gazetteer, document_places: dict[str, str]) -> None:
        self.gazetteer = gazetteer
        self.document_places = document_places  # document -> place key

    def documents_of(self, place: Place) -> frozenset[str]:
        """Documents whose place is this place, or lies in it (a city of the province)."""
        found = set()
        for document, key in self.document_places.items():
            home = self.gazetteer.places.get(key)
            if home is not None and place.key in (home.key, home.parent):
                found.add(document)
        return frozenset(found)

    def related_to(self, place: Place) -> tuple[str, ...]:
        """Documents of places that share today's province with this one (merged in 2025)."""
        today = self.gazetteer.today(place).key
        return tuple(
            sorted(
                document
                for document, key in self.document_places.items()
                if key in self.gazetteer.places and self.gazetteer.today(self.gazetteer.places[key]).key == today
            )
        )

    def locate(self, text: str, area_places: tuple[str, ...] = ()) -> Location:
        named = self.gazetteer.find(text)
        plan_like = is_plan_question(text)
        if named:
            documents = frozenset().union(*(self.documents_of(place) for place in named))
            if documents:
                return Location(groups=documents)
            if plan_like:
                return Location(missing=named[0], related=self.related_to(named[0]))
            return Location(groups=frozenset())  # another place's plan cannot answer it; the guides can
        if not plan_like:
            return Location()
        return self._by_area(text, area_places)

    def _by_area(self, text: str, area_places: tuple[str, ...]) -> Location:
        areas = [self.gazetteer.places[key] for key in area_places if key in self.gazetteer.places]
        for place in areas:
            documents = self.documents_of(place)
            if documents:
                return Location(groups=documents, from_area=True)
        deictic = bool(_DEICTIC.search(" ".join(analyze(text).folded)))
        if areas and deictic:
            return Location(missing=areas[0], related=self.related_to(areas[0]), from_area=True)
        if deictic and self.document_places:
            return Location(ask=True)
        return Location()

    def loaded_places(self) -> list[str]:
        names = {
            self.gazetteer.places[key].name for key in self.document_places.values() if key in self.gazetteer.places
        }
        return sorted(names)


def is_plan_question(text: str) -> bool:
    return bool(_PLAN_WORDS.search(" ".join(analyze(text).folded)))
