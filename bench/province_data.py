"""Province-scale data for the report benchmarks: areas, teams, members, households, visits, subscribers.

    PYTHONPATH=. .venv/bin/python -m bench.province_data --database-url sqlite:///var/province.db
    PYTHONPATH=. .venv/bin/python -m bench.province_data --database-url postgresql://... --scale 0.1

At scale 1 (the figures of issue 17): 1,000 areas (a province, 99 communes, 900 villages), 300,000 households,
1,000,000 visits over 24 months (about 41,000 a month), 200,000 subscribers, one team per village with a leader
and two to five members, an official per commune and two for the province. Distributions are skewed as real
ones are: village sizes log-normal, some households visited many times, activity growing with campaigns and
busier at weekends, outcomes mostly "done", one to three services per visit weighted towards VNeID and level-2
identity. The same seed gives the same rows on SQLite and PostgreSQL, so both databases are measured on the
same data. `generate()` is the function the benchmarks (and a small-scale test) call; the command then rolls up
the closed days, as the visits-rollup job of `troly serve` does.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import province_rows  # noqa: E402
from bench.bulk_load import bulk_session  # noqa: E402
from bot.plugins import load_plugins, migration_dirs  # noqa: E402
from bot.settings import DEFAULT_PLUGINS  # noqa: E402
from bot.storage.db import Database  # noqa: E402
from handlers.visits.records import VIETNAM  # noqa: E402
from handlers.visits.rollup import roll_up  # noqa: E402

TABLES = ("areas", "teams", "users", "households", "visits", "visit_services")


@dataclass(frozen=True, slots=True)
class Scale:
    """How much to generate; `Scale()` is the province of issue 17, `Scale.of(0.01)` a hundredth of it."""

    communes: int = 99
    villages: int = 900
    households: int = 300_000
    visits: int = 1_000_000
    subscribers: int = 200_000
    months: int = 24

    @classmethod
    def of(cls, factor: float) -> Scale:
        """Rows scaled by `factor`; areas by its square root (a small province still has several communes)."""
        full, root = cls(), factor**0.5
        communes = max(2, round(full.communes * root))
        return replace(
            full,
            communes=communes,
            villages=max(2 * communes, round(full.villages * root)),
            households=max(20, round(full.households * factor)),
            visits=max(50, round(full.visits * factor)),
            subscribers=max(20, round(full.subscribers * factor)),
        )


@dataclass
class Province:
    """What a benchmark needs to know about the generated data."""

    code: str
    commune_codes: list[str]
    province_officials: list[str]  # Telegram user ids of the province's officials
    commune_officials: list[str]
    end: datetime
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def generate(database_url: str, scale: Scale | None = None, *, seed: int = 17, end: datetime | None = None) -> Province:
    """Migrate the database and fill it; refuses a database that already has areas (it would mix data)."""
    scale = scale or Scale()
    end = end or datetime.now(UTC)
    started = time.perf_counter()
    database = Database(database_url, migrations=migration_dirs(load_plugins(DEFAULT_PLUGINS)))
    try:
        database.upgrade()
        with database.engine.connect() as connection:
            if connection.scalar(text("SELECT count(*) FROM areas")):
                raise SystemExit(f"{database_url}: the database already has areas; generate into an empty one")
        rows = province_rows.build(scale, seed, int(end.timestamp() * 1_000_000))
        with bulk_session(database.engine, TABLES) as loader:
            counts = province_rows.write(loader, rows)
    finally:
        database.dispose()
    province = Province(
        code=str(rows.areas[0][1]),
        commune_codes=rows.commune_codes,
        province_officials=rows.officials[0],
        commune_officials=rows.officials[1],
        end=end,
        counts=counts,
    )
    province.seconds = time.perf_counter() - started
    return province


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=VIETNAM)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="an empty database (it is migrated first)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the province (default 1)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--end", type=_moment, help="the last visits' time, ISO 8601, Vietnam time (default: now)")
    args = parser.parse_args()
    scale = Scale() if args.scale == 1.0 else Scale.of(args.scale)
    province = generate(args.database_url, scale, seed=args.seed, end=args.end)
    print(f"generated in {province.seconds:.1f} s: " + ", ".join(f"{n} {t}" for t, n in province.counts.items()))
    print(f"province {province.code}; its officials (telegram ids): {', '.join(province.province_officials)}")
    print(f"rolled up in {roll_up_as_served(args.database_url):.1f} s (the visits-rollup job of troly serve)")


def roll_up_as_served(database_url: str) -> float:
    """Roll up every closed day, as `troly serve`'s job does within its first runs: a province that has been
    served has its roll-ups, which the reports and the console read. Returns the seconds it took."""
    started = time.perf_counter()
    database = Database(database_url, migrations=migration_dirs(load_plugins(DEFAULT_PLUGINS)))
    try:
        roll_up(database, datetime.now(UTC), budget_seconds=3600)
    finally:
        database.dispose()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
