"""The places and people of a generated province: areas, officials and teams, subscribers, households' addresses."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from bench import province_names as names
from bench.bulk_load import Loader
from handlers.visits.households import address_key

if TYPE_CHECKING:
    from bench.province_data import Scale

DAY_US = 86_400_000_000
USER_COLUMNS = (
    "id", "channel", "channel_user_id", "chat_id", "display_name", "role", "area_id", "team_id",
    "subscribed_area_id", "blocked", "last_interaction_at", "created_at",
)  # fmt: skip
_FAMILY_P = np.array(names.FAMILY_WEIGHTS) / sum(names.FAMILY_WEIGHTS)


def areas(rng: np.random.Generator, scale: Scale) -> tuple[list[tuple[object, ...]], np.ndarray, np.ndarray]:
    """(id, code, name, level, parent_id) rows: the province (id 1), its communes, their villages (a random
    share each); then the villages' area ids, and the commune index of each village."""
    rows: list[tuple[object, ...]] = [(1, names.PROVINCE_CODE, names.PROVINCE_NAME, "province", None)]
    words = names.COMMUNE_WORDS
    for n in range(scale.communes):
        unit = "Phường" if n % 3 == 0 else "Xã"
        suffix = f" {n // len(words) + 1}" if n >= len(words) else ""
        code = f"{names.PROVINCE_CODE}-{n + 1:03d}"
        rows.append((2 + n, code, f"{unit} {words[n % len(words)]}{suffix}", "commune", 1))
    shares = rng.dirichlet(np.full(scale.communes, 4.0))
    per_commune = 1 + rng.multinomial(scale.villages - scale.communes, shares)
    for commune, count in enumerate(per_commune.tolist()):
        code, name = rows[1 + commune][1], str(rows[1 + commune][2])
        kind = "Khu" if name.startswith("Phường") else "Thôn"
        first = len(rows) + 1
        rows += [(first + n, f"{code}-{n + 1:02d}", f"{kind} {n + 1}", "village", 2 + commune) for n in range(count)]
    villages = np.arange(2 + scale.communes, 2 + scale.communes + scale.villages)
    return rows, villages, np.repeat(np.arange(scale.communes), per_commune)


def staff(
    rng: np.random.Generator, scale: Scale, villages: np.ndarray, end_us: int
) -> tuple[list[tuple[object, ...]], list[np.ndarray], tuple[list[str], list[str]]]:
    """Officials (two for the province, one per commune), then per village team a leader and 2-5 members;
    returns the user rows, each team's member ids, and the officials' Telegram ids."""
    rows: list[tuple[object, ...]] = []
    officials: tuple[list[str], list[str]] = ([], [])
    for area_id in [1, 1, *range(2, 2 + scale.communes)]:
        telegram_id = str(500_000_000 + len(rows))
        officials[0 if area_id == 1 else 1].append(telegram_id)
        rows.append(_member(len(rows) + 1, telegram_id, name(rng), "official", area_id, None, end_us))
    members_of_team: list[np.ndarray] = []
    for team, area_id in enumerate(villages.tolist()):
        first = len(rows) + 1
        for n in range(1 + int(rng.integers(2, 6))):
            telegram_id = str(600_000_000 + len(rows))
            role = "leader" if n == 0 else "member"
            rows.append(_member(len(rows) + 1, telegram_id, name(rng), role, area_id, team + 1, end_us))
        members_of_team.append(np.arange(first, len(rows) + 1))
    return rows, members_of_team, officials


def _member(
    user_id: int, telegram_id: str, display: str, role: str, area: int, team: int | None, end_us: int
) -> tuple[object, ...]:
    seen = end_us - DAY_US * (user_id % 5)
    return (
        user_id,
        "telegram",
        telegram_id,
        telegram_id,
        display,
        role,
        area,
        team,
        None,
        False,
        seen,
        seen - 400 * DAY_US,
    )


def subscribers(
    rng: np.random.Generator,
    scale: Scale,
    first_id: int,
    village_of_household: np.ndarray,
    commune_of_village: np.ndarray,
    end_us: int,
) -> list[tuple[object, ...]]:
    """Residents subscribed to their commune (most) or their village, where households are; Telegram or Zalo;
    last message a few days to two years ago (Zalo lets an OA message only those of the last 7 days)."""
    count, communes = scale.subscribers, scale.communes
    village = village_of_household[rng.integers(0, len(village_of_household), count)]
    area = np.where(rng.random(count) < 0.8, 2 + commune_of_village[village], 2 + communes + village)
    zalo = rng.random(count) < 0.45
    last = end_us - (np.minimum(rng.exponential(20.0, count), 700.0) * DAY_US).astype(np.int64)
    created = last - (rng.exponential(60.0, count) * DAY_US).astype(np.int64)
    blocked = rng.random(count) < 0.03
    rows: list[tuple[object, ...]] = []
    columns = zip(zalo.tolist(), area.tolist(), last.tolist(), created.tolist(), blocked.tolist(), strict=True)
    for n, (is_zalo, area_id, seen, since, is_blocked) in enumerate(columns):
        channel, user_id = (
            ("zalo", str(8_400_000_000_000_000_000 + n)) if is_zalo else ("telegram", str(700_000_000 + n))
        )
        rows.append(
            (first_id + n, channel, user_id, user_id, "", "citizen", None, None, area_id, is_blocked, seen, since)
        )
    return rows


def user_rows(loader: Loader, users: Iterable[tuple[object, ...]]) -> Iterator[tuple[object, ...]]:
    """Users with their two times written as the database stores them."""
    for row in users:
        yield (*row[:10], loader.stamp(int(row[10])), loader.stamp(int(row[11])))  # type: ignore[call-overload]


def addresses(
    rng: np.random.Generator,
    village_of_household: np.ndarray,
    villages: np.ndarray,
    area_rows: list[tuple[object, ...]],
) -> list[str]:
    """A house number on one of the town's streets in a ward, in the village's name in a rural commune."""
    count = len(village_of_household)
    area_names = {int(row[0]): str(row[2]) for row in area_rows}  # type: ignore[call-overload]
    numbers = rng.integers(1, 400, count).tolist()
    streets = rng.integers(0, len(names.STREETS), count).tolist()
    found = []
    for n, village in enumerate(village_of_household.tolist()):
        place = area_names[int(villages[village])]
        found.append(f"Số {numbers[n]} {names.STREETS[streets[n]] if place.startswith('Khu') else place}")
    return found


def name(rng: np.random.Generator) -> str:
    family = names.FAMILY[int(rng.choice(len(names.FAMILY), p=_FAMILY_P))]
    middle = names.MIDDLE[int(rng.integers(len(names.MIDDLE)))]
    return f"{family} {middle} {names.GIVEN[int(rng.integers(len(names.GIVEN)))]}"


@cache
def key(text: str) -> str:
    """The folded key the app stores beside an address or a name (cached: names repeat)."""
    return address_key(text)
