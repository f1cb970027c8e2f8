"""Time every page of the web console, signed in as a province official, on data already in a database.

    PYTHONPATH=. .venv/bin/python -m bench.province_data --database-url sqlite:///var/province.db   # issue 17b
    PYTHONPATH=. .venv/bin/python -m bench.console_pages --database-url sqlite:///var/province.db --rounds 20

The console runs in this process on 127.0.0.1 (a free port) exactly as `troly serve` mounts it; an aiohttp
client signs in with a one-time link, then requests each page `--rounds` times one after another (after one
warm-up request) and prints p50, p95 and max in milliseconds. `--official` picks the official by Telegram user
id; by default the first official of the area without a parent (the province), else any official.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import date
from pathlib import Path

import aiohttp
from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import create_app  # noqa: E402
from bot.server import create_web_app  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.storage.models import Area, Role, User  # noqa: E402
from bot.storage.types import utcnow  # noqa: E402
from handlers.dashboard import auth  # noqa: E402
from tests.support.web import running_app  # noqa: E402


def pages(commune: str) -> list[str]:
    month = date.today().strftime("%Y-%m")
    return [
        "/quan-ly/",
        f"/quan-ly/?area={commune}",
        "/quan-ly/khu-vuc",
        "/quan-ly/to",
        f"/quan-ly/to?area={commune}",
        "/quan-ly/bao-cao",
        f"/quan-ly/bao-cao.xlsx?thang={month}",
        "/quan-ly/p/luot-tham",
        "/quan-ly/p/luot-tham?trang=200",
        "/quan-ly/p/luot-tham?dv=muc2&kq=done",
        f"/quan-ly/p/luot-tham?area={commune}&dv=cks",
        "/quan-ly/p/thong-bao",
        "/quan-ly/p/thong-bao/moi",
        "/quan-ly/phien",
    ]


def official_and_commune(settings: Settings, wanted: str | None) -> tuple[int, str]:
    troly = create_app(settings)
    try:
        with troly.database.reading() as session:
            query = select(User).join(Area, Area.id == User.area_id).where(User.role == Role.OFFICIAL)
            if wanted:
                query = query.where(User.channel_user_id == wanted)
            officials = list(session.scalars(query.order_by(Area.parent_id.is_not(None), User.id).limit(1)))
            if not officials:
                raise SystemExit("no official in this database: generate data first (bench.province_data)")
            official = officials[0]
            commune = session.scalar(select(Area.code).where(Area.parent_id == official.area_id).order_by(Area.code))
            return official.id, commune or (official.area.code if official.area else "")
    finally:
        troly.close()


async def measure(settings: Settings, user_id: int, commune: str, rounds: int) -> None:
    troly = create_app(settings)
    with troly.database.transaction() as session:
        user = session.get(User, user_id)
        assert user is not None
        secret = auth.create_link(session, user, utcnow())
    try:
        async with (
            running_app(create_web_app(troly)) as base,
            aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client,
        ):
            async with client.post(f"{base}{auth.LOGIN_PATH}/{secret}", allow_redirects=False) as response:
                assert response.status == 303, await response.text()
            print(f"{'page':48} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'KiB':>7}")
            for path in pages(commune):
                await _time_page(client, base + path, path, rounds)
    finally:
        troly.close()


async def _time_page(client: aiohttp.ClientSession, url: str, path: str, rounds: int) -> None:
    timings, size = [], 0
    for round_ in range(rounds + 1):
        started = time.perf_counter()
        async with client.get(url) as response:
            body = await response.read()
            if response.status != 200:
                raise SystemExit(f"{path}: HTTP {response.status}: {body[:300]!r}")
        if round_:  # the first request warms caches and is not counted
            timings.append((time.perf_counter() - started) * 1000)
        size = len(body)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    print(f"{path:48} {statistics.median(timings):8.1f} {p95:8.1f} {timings[-1]:8.1f} {size / 1024:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--official", help="Telegram user id of the official to sign in as")
    args = parser.parse_args()
    settings = Settings(database_url=args.database_url, core_workers=0, data_dir=Path("var"))
    user_id, commune = official_and_commune(settings, args.official)
    asyncio.run(measure(settings, user_id, commune, args.rounds))


if __name__ == "__main__":
    main()
