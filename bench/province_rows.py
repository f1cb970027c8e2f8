"""The rows of a generated province (bench.province_data), drawn with numpy and written by bench.bulk_load.

Ids are assigned here (the database is empty), so every foreign key is known before anything is written.
The columns the database's triggers keep (a household's latest visit, a visit's `service_list`) are
computed here too, since the load bypasses the triggers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bench import province_names as names
from bench import province_people as people
from bench.bulk_load import Loader
from handlers.visits.catalogue import SERVICES, Outcome

if TYPE_CHECKING:
    from bench.province_data import Scale

DAY_US, HOUR_US = people.DAY_US, 3_600_000_000
LOCAL_OFFSET_US = 7 * HOUR_US  # Vietnam: UTC+7, no daylight saving time
SERVICE_CODES = [service.code for service in SERVICES]
SERVICE_WEIGHTS = np.array([30, 25, 8, 10, 10, 7, 4, 5, 1], dtype=float)  # vneid, muc2, tichhop, cks, dvc, ...
# A visit's services as a bit mask over SERVICE_CODES, and what each mask is written as.
MASK_CODES = [sorted(code for bit, code in enumerate(SERVICE_CODES) if mask >> bit & 1) for mask in range(512)]
MASK_LIST = ["," + ",".join(codes) + "," if codes else "" for codes in MASK_CODES]
OUTCOMES = [Outcome.DONE.value, Outcome.LATER.value, Outcome.DECLINED.value]
HOUR_WEIGHTS = np.array([0, 0, 0, 0, 0, 0, 0, 3, 8, 9, 7, 4, 2, 3, 7, 8, 8, 6, 4, 6, 5, 2, 0, 0], dtype=float)


@dataclass
class Visits:
    """One entry per visit, oldest first (ids are positions + 1)."""

    time: np.ndarray  # microseconds since the epoch, UTC
    household: np.ndarray  # household index (id - 1)
    member: np.ndarray  # user id
    outcome: np.ndarray  # index into OUTCOMES
    people: np.ndarray
    note: np.ndarray  # index into names.NOTES, or -1
    latitude: np.ndarray  # NaN: no location
    longitude: np.ndarray
    edited_after: np.ndarray  # microseconds between logging and the last edit (0: never edited)
    deleted: np.ndarray
    services: np.ndarray  # bit mask over SERVICE_CODES


@dataclass
class Rows:
    """Everything to write, and what the benchmarks need to know."""

    areas: list[tuple[object, ...]]
    teams: list[tuple[object, ...]]
    users: list[tuple[object, ...]]
    officials: tuple[list[str], list[str]]  # Telegram ids of the province's officials, of the communes'
    village_area_ids: np.ndarray
    village_of_household: np.ndarray
    visits: Visits
    rng: np.random.Generator
    end_us: int

    @property
    def commune_codes(self) -> list[str]:
        return [str(row[1]) for row in self.areas if row[3] == "commune"]


def build(scale: Scale, seed: int, end_us: int) -> Rows:
    rng = np.random.default_rng(seed)
    areas, village_area_ids, commune_of_village = people.areas(rng, scale)
    area_names = {int(row[0]): str(row[2]) for row in areas}  # type: ignore[call-overload]
    teams = [(n + 1, f"Tổ công nghệ số cộng đồng {area_names[a]}", a) for n, a in enumerate(village_area_ids.tolist())]
    village_weight = rng.lognormal(0.0, 0.5, scale.villages)
    village_of_household = rng.choice(scale.villages, size=scale.households, p=village_weight / village_weight.sum())
    staff, members_of_team, officials = people.staff(rng, scale, village_area_ids, end_us)
    subscribers = people.subscribers(rng, scale, len(staff) + 1, village_of_household, commune_of_village, end_us)
    visits = _visits(rng, scale, end_us, village_of_household, members_of_team)
    return Rows(
        areas, teams, staff + subscribers, officials, village_area_ids, village_of_household, visits, rng, end_us
    )


def _visits(
    rng: np.random.Generator, scale: Scale, end_us: int, village_of_household: np.ndarray, members: list[np.ndarray]
) -> Visits:
    """When (oldest first), where, by whom, and what came of it."""
    count = scale.visits
    household_weight = rng.gamma(1.5, 1.0, len(village_of_household))
    household = rng.choice(len(village_of_household), size=count, p=household_weight / household_weight.sum())
    team = village_of_household[household]
    sizes = np.array([len(found) for found in members])
    firsts = np.array([int(found[0]) for found in members])
    outcome = rng.choice(3, size=count, p=[0.72, 0.18, 0.10])
    located = rng.random(count) < 0.4
    return Visits(
        time=_times(rng, scale, end_us),
        household=household,
        member=firsts[team] + (rng.random(count) * sizes[team]).astype(np.int64),
        outcome=outcome,
        people=np.where(outcome == 2, 0, rng.choice([1, 2, 3, 4], size=count, p=[0.6, 0.25, 0.1, 0.05])),
        note=np.where(rng.random(count) < 0.08, rng.integers(0, len(names.NOTES), count), -1),
        latitude=np.where(located, 21.0 + rng.normal(0, 0.15, count), np.nan),
        longitude=np.where(located, 107.3 + rng.normal(0, 0.15, count), np.nan),
        edited_after=np.where(rng.random(count) < 0.02, rng.integers(60, 86_400, count) * 1_000_000, 0),
        deleted=rng.random(count) < 0.004,
        services=_service_masks(rng, count),
    )


def _times(rng: np.random.Generator, scale: Scale, end_us: int) -> np.ndarray:
    """Visit times, ascending: a first year of growth, three three-week campaigns, busier weekends, working hours."""
    days = int(scale.months * 30.44)
    end_day = (end_us + LOCAL_OFFSET_US) // DAY_US  # local day number of the end
    day_numbers = np.arange(end_day - days + 1, end_day + 1)
    trend = np.interp(np.linspace(0.0, 1.0, days), [0.0, 0.5, 1.0], [0.5, 1.0, 0.95])
    weekend = np.where(((day_numbers + 3) % 7) >= 5, 1.25, 1.0)  # day 0 (1970-01-01) was a Thursday
    campaigns = np.ones(days)
    for start in rng.integers(0, max(1, days - 21), 3).tolist():
        campaigns[start : start + 21] = 1.8
    weight = trend * weekend * campaigns * rng.lognormal(0.0, 0.15, days)
    day = rng.choice(day_numbers, size=scale.visits, p=weight / weight.sum())
    hour = rng.choice(24, size=scale.visits, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    moment = day * DAY_US - LOCAL_OFFSET_US + hour * HOUR_US + rng.integers(0, HOUR_US, scale.visits)
    moment = np.where(moment > end_us, moment - 7 * DAY_US, moment)  # later today: the same hour a week ago
    moment.sort()
    return moment


def _service_masks(rng: np.random.Generator, count: int) -> np.ndarray:
    """One to three services per visit, drawn without replacement by weight (an exponential race)."""
    many = rng.choice([1, 2, 3], size=count, p=[0.5, 0.35, 0.15])
    masks = np.zeros(count, dtype=np.int64)
    for start in range(0, count, 200_000):
        stop = min(count, start + 200_000)
        race = rng.exponential(1.0, (stop - start, len(SERVICE_CODES))) / SERVICE_WEIGHTS
        rank = np.argsort(np.argsort(race, axis=1), axis=1)  # 0 for the winner
        chosen = rank < many[start:stop, None]
        masks[start:stop] = (chosen * (1 << np.arange(len(SERVICE_CODES)))).sum(axis=1)
    return masks


def write(loader: Loader, rows: Rows) -> dict[str, int]:
    """Write every table (ids as assigned); returns the row counts."""
    counts = {
        "areas": loader.rows("areas", ("id", "code", "name", "level", "parent_id"), rows.areas),
        "teams": loader.rows("teams", ("id", "name", "area_id"), rows.teams),
        "users": loader.rows("users", people.USER_COLUMNS, people.user_rows(loader, rows.users)),
        "households": loader.rows("households", HOUSEHOLD_COLUMNS, _households(loader, rows)),
        "visits": loader.rows("visits", VISIT_COLUMNS, _visit_rows(loader, rows)),
        "visit_services": loader.rows("visit_services", ("visit_id", "service_code"), _services(rows.visits)),
    }
    for table in ("areas", "teams", "users", "households", "visits"):
        loader.reset_sequence(table)
    return counts


HOUSEHOLD_COLUMNS = (
    "id", "area_id", "address", "address_key", "head_name", "head_key", "created_by_id", "created_at",
    "last_outcome", "last_visit_at",
)  # fmt: skip
VISIT_COLUMNS = (
    "id", "member_id", "team_id", "area_id", "household_id", "outcome", "people_helped", "note", "latitude",
    "longitude", "created_at", "updated_at", "deleted_at", "service_list",
)  # fmt: skip


def _households(loader: Loader, rows: Rows) -> Iterator[tuple[object, ...]]:
    """Addresses by street in wards, by village in communes; created when first visited (or a year ago)."""
    visits, count = rows.visits, len(rows.village_of_household)
    first_visit = np.full(count, rows.end_us - 365 * DAY_US, dtype=np.int64)
    np.minimum.at(first_visit, visits.household, visits.time)
    latest = np.full(count, -1, dtype=np.int64)  # the household's latest visit not deleted (times ascend with ids)
    live = np.flatnonzero(~visits.deleted)
    np.maximum.at(latest, visits.household[live], live)
    addresses = people.addresses(rows.rng, rows.village_of_household, rows.village_area_ids, rows.areas)
    for n, (address, last) in enumerate(zip(addresses, latest.tolist(), strict=True)):
        head = people.name(rows.rng)
        area_id = int(rows.village_area_ids[rows.village_of_household[n]])
        outcome = OUTCOMES[int(visits.outcome[last])] if last >= 0 else None
        seen = loader.stamp(int(visits.time[last])) if last >= 0 else None
        created = loader.stamp(int(first_visit[n]))
        yield (n + 1, area_id, address, people.key(address), head, people.key(head), None, created, outcome, seen)


def _visit_rows(loader: Loader, rows: Rows) -> Iterator[tuple[object, ...]]:
    visits = rows.visits
    village = rows.village_of_household[visits.household]
    columns = zip(
        visits.member.tolist(), village.tolist(), visits.household.tolist(), visits.outcome.tolist(),
        visits.people.tolist(), visits.note.tolist(), visits.latitude.tolist(), visits.longitude.tolist(),
        visits.time.tolist(), visits.edited_after.tolist(), visits.deleted.tolist(), visits.services.tolist(),
        strict=True,
    )  # fmt: skip
    for n, (member, vil, household, out, helped, note, lat, lon, at, edit, gone, mask) in enumerate(columns):
        created = loader.stamp(at)
        yield (
            n + 1, member, vil + 1, int(rows.village_area_ids[vil]), household + 1, OUTCOMES[out], helped,
            names.NOTES[note] if note >= 0 else "", None if lat != lat else lat, None if lon != lon else lon,
            created, loader.stamp(at + edit) if edit else created, loader.stamp(at + 600_000_000) if gone else None,
            MASK_LIST[mask],
        )  # fmt: skip


def _services(visits: Visits) -> Iterator[tuple[object, ...]]:
    for n, mask in enumerate(visits.services.tolist()):
        for code in MASK_CODES[mask]:
            yield (n + 1, code)
