"""Vietnamese place names: provinces before and after the 2025 mergers, and the cities plans name.

Plans are located by place: a question that names Hà Nội must not be answered from Móng Cái's plan, and a
question without a place is read for the user's own area. The gazetteer (knowledge/data/places.yaml, with its
sources) finds places in questions, in area names ("Phường Móng Cái 1") and in documents.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from embeddings.text import analyze
from knowledge.phrases import PhraseMatcher

CITY = "city"


@dataclass(frozen=True, slots=True)
class Place:
    key: str  # folded name, "mong cai"
    name: str  # "Móng Cái"
    kind: str  # "tỉnh", "thành phố" (provincial level) or "city" (a city or town inside a province)
    parent: str | None = None  # a city's province (key)
    now: str | None = None  # the province a merged province belongs to since 2025 (key)

    @property
    def label(self) -> str:
        """ "tỉnh Trà Vinh", "thành phố Hải Phòng", "Móng Cái" (cities keep their bare name)."""
        if self.kind == CITY or self.name.lower().startswith("thành phố"):
            return self.name
        return f"{self.kind} {self.name}"


class Gazetteer:
    def __init__(self, places: list[Place], aliases: list[tuple[str, str]]) -> None:
        self.places = {place.key: place for place in places}
        self._matcher: PhraseMatcher[str] = PhraseMatcher([(place.name, place.key) for place in places] + aliases)

    @classmethod
    def load(cls, path: Path | None = None) -> Gazetteer:
        source = path or Path(str(resources.files("knowledge") / "data" / "places.yaml"))
        raw: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))
        places: list[Place] = []
        aliases: list[tuple[str, str]] = []
        for item in raw["provinces"]:
            key = _key(item["name"])
            now = _key(item["now"]) if item.get("now") else None
            places.append(Place(key, str(item["name"]), str(item["kind"]), None, now))
            aliases.extend((str(alias), key) for alias in item.get("aliases") or ())
        for item in raw["cities"]:
            places.append(Place(_key(item["name"]), str(item["name"]), CITY, _key(item["in"])))
        return cls(places, aliases)

    def find(self, text: str) -> list[Place]:
        """The places a text names, in order, each once."""
        keys = dict.fromkeys(found.payload for found in self._matcher.find(analyze(text, expand=False)))
        return [self.places[key] for key in keys]

    def counts(self, text: str) -> Counter[str]:
        return Counter(found.payload for found in self._matcher.find(analyze(text, expand=False)))

    def province_of(self, place: Place) -> Place:
        return self.places[place.parent] if place.parent else place

    def today(self, place: Place) -> Place:
        """The provincial unit a place belongs to today (after the 2025 mergers)."""
        province = self.province_of(place)
        return self.places[province.now] if province.now else province

    def home(self, text: str) -> Place | None:
        """Where a document is from: its most named city if it names one often, else its most named province."""
        counts = self.counts(text)
        if not counts:
            return None
        cities = [(n, key) for key, n in counts.items() if self.places[key].kind == CITY and n >= 2]
        if cities:
            return self.places[max(cities)[1]]
        return self.places[counts.most_common(1)[0][0]]


def _key(name: str) -> str:
    return " ".join(analyze(str(name), expand=False).folded)
