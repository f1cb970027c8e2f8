"""`GET /healthz` (is the server healthy: database and disk) and `GET /readyz` (may it take traffic now).

Both answer 503 with the reason when the answer is no, so a load balancer or an operator's monitor can tell a
full disk from an unreachable database from a server that is starting or stopping.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.app import Troly
from bot.failures import describe
from bot.senders import SENDERS
from bot.workers import CORE_RUNNER

log = logging.getLogger(__name__)

MB = 1024 * 1024


def routes(troly: Troly, stopping: Callable[[], bool]) -> list[web.RouteDef]:
    """GET /healthz and GET /readyz for this app; `stopping` says whether the server has begun to stop."""

    async def healthz(_request: web.Request) -> web.Response:
        """200 with the configured channels when the database answers and the disk has room; 503 otherwise."""
        checks = await asyncio.to_thread(health_checks, troly)
        senders = troly[SENDERS] if SENDERS in troly else {}  # noqa: SIM401 - Troly is not a Mapping
        healthy = checks["database"] and checks["disk"]
        body = {"status": "ok" if healthy else "unavailable", **checks, "channels": sorted(senders)}
        return web.json_response(body, status=200 if healthy else 503)

    async def readyz(_request: web.Request) -> web.Response:
        """200 when this process can take traffic: started, not stopping, core running, database and disk fine."""
        reasons = ["stopping"] if stopping() else []
        runner = troly[CORE_RUNNER] if CORE_RUNNER in troly else None  # noqa: SIM401 - Troly is not a Mapping
        if runner is None or not runner.ready():
            reasons.append("core not running")
        checks = await asyncio.to_thread(health_checks, troly)
        reasons += [name for name in ("database", "disk") if not checks[name]]
        return web.json_response({"ready": not reasons, "reasons": reasons, **checks}, status=503 if reasons else 200)

    return [web.get("/healthz", healthz), web.get("/readyz", readyz)]


def health_checks(troly: Troly) -> dict[str, Any]:
    """The database answers a query; each directory troly writes to has `min_free_disk_mb` free."""
    database = True
    try:
        with troly.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        log.warning("health check: database unavailable: %s", describe(error))
        database = False
    free = min(_free_mb(path) for path in _written_dirs(troly))
    disk = free >= troly.settings.min_free_disk_mb
    if not disk:
        log.warning(
            "health check: %.1f MB free on the data disk (at least %d needed)", free, troly.settings.min_free_disk_mb
        )
    return {"database": database, "disk": disk, "disk_free_mb": round(free, 1)}


def _written_dirs(troly: Troly) -> list[Path]:
    """The data directory, and the SQLite database's directory when it lives elsewhere."""
    dirs = [Path(troly.settings.data_dir)]
    url = make_url(troly.database.url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        dirs.append(Path(url.database).parent)
    return dirs


def _free_mb(path: Path) -> float:
    """Free space where `path` is (its nearest existing parent); 0 when it cannot be read."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            try:
                return shutil.disk_usage(candidate).free / MB
            except OSError:
                return 0.0
    return 0.0
