"""Zalo access tokens: loaded from the database, refreshed before expiry or when Zalo refuses them.

Refresh tokens are single-use and rotate, so a refresh must never run twice at once and its result must be
stored before it is used: an `asyncio.Lock` serialises refreshes in this process, and the refresh runs
inside one database transaction holding the token row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's
`BEGIN IMMEDIATE` takes the write lock) so `troly serve` and `troly deliver` never refresh at the same
time. Whoever gets the lock second sees a different access token in the row and just uses it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adapters.zalo.models import ZaloToken
from bot.storage.db import Database
from bot.storage.models import AuditLog
from bot.storage.types import utcnow

log = logging.getLogger(__name__)

REFRESH_FAILED_ACTION = "zalo.token_refresh_failed"


class RefreshFailed(Exception):
    """Zalo did not give us a new token pair; sends cannot continue until it does."""


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: float | None = None  # seconds, from Zalo's answer


@dataclass(frozen=True, slots=True)
class CurrentToken:
    access_token: str
    expires_at: datetime | None


Exchange = Callable[[str], TokenPair]  # refresh token → new pair (blocking; runs in the refresh transaction)


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class TokenStore:
    """The database side: the one row per app, seeded from the settings' bootstrap pair."""

    def __init__(self, database: Database, app_id: str, seed_access: str, seed_refresh: str) -> None:
        self.database = database
        self.app_id = app_id
        self._seed = (seed_access, seed_refresh)

    def load(self) -> CurrentToken:
        for attempt in (1, 2):
            try:
                with self.database.transaction() as session:
                    row = self._row(session, lock=False)
                    return CurrentToken(row.access_token, row.expires_at)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def refresh(self, used_access_token: str | None, exchange: Exchange) -> CurrentToken:
        """Refresh under the row lock, unless someone already replaced `used_access_token`; commit, then return."""
        with self.database.transaction() as session:
            row = self._row(session, lock=True)
            if used_access_token is not None and row.access_token != used_access_token:
                return CurrentToken(row.access_token, row.expires_at)
            pair = exchange(row.refresh_token)
            now = utcnow()
            row.access_token, row.refresh_token = pair.access_token, pair.refresh_token
            row.expires_at = now + timedelta(seconds=pair.expires_in) if pair.expires_in else None
            row.refreshed_at = row.updated_at = now
            return CurrentToken(row.access_token, row.expires_at)

    def record_failure(self, reason: str) -> None:
        """Leave a trace admins can query (`audit_log.action = 'zalo.token_refresh_failed'`)."""
        with self.database.transaction() as session:
            session.add(
                AuditLog(
                    at=utcnow(),
                    actor_label="system:zalo",
                    action=REFRESH_FAILED_ACTION,
                    target=f"zalo_app:{self.app_id}",
                    details={"reason": reason[:500]},
                )
            )

    def _row(self, session: Session, *, lock: bool) -> ZaloToken:
        query = select(ZaloToken).where(ZaloToken.app_id == self.app_id)
        row = session.scalar(query.with_for_update() if lock else query)
        seed_access, seed_refresh = self._seed
        seed_print = fingerprint(seed_refresh) if seed_refresh else ""
        if row is None:
            if not (seed_access and seed_refresh):
                raise RefreshFailed("no Zalo token pair stored and none in the settings")
            row = ZaloToken(app_id=self.app_id, seed_fingerprint=seed_print)
            session.add(row)
            log.info("Zalo: token chain started from the pair in the settings")
        elif not seed_print or row.seed_fingerprint == seed_print:
            return row
        else:  # a new bootstrap pair in the settings (an admin authorised the app again): restart from it
            log.warning("Zalo: the settings hold a new token pair; the stored chain is replaced by it")
        row.access_token, row.refresh_token, row.seed_fingerprint = seed_access, seed_refresh, seed_print
        row.expires_at, row.refreshed_at, row.updated_at = None, None, utcnow()
        session.flush()
        return row


class TokenManager:
    """The async side: caches the current token, refreshes it once at a time, reports failures loudly."""

    def __init__(
        self,
        store: TokenStore,
        exchange: Callable[[str], Coroutine[Any, Any, TokenPair]],
        *,
        margin: timedelta = timedelta(minutes=30),
        failure_cooldown: float = 60.0,
        timeout: float = 30.0,
    ) -> None:
        self.store = store
        self._exchange = exchange
        self.margin = margin
        self.failure_cooldown = failure_cooldown
        self.timeout = timeout
        self._current: CurrentToken | None = None
        self._lock = asyncio.Lock()
        self._failed_at: float | None = None

    async def access_token(self) -> str:
        """The token to call Zalo with, refreshed first when it expires within the margin."""
        current = self._current
        if current is None:
            current = self._current = await asyncio.to_thread(self.store.load)
        if self.due(current, self.margin):
            current = await self.refresh(current.access_token)
        return current.access_token

    @staticmethod
    def due(current: CurrentToken, margin: timedelta) -> bool:
        return current.expires_at is not None and current.expires_at - utcnow() < margin

    async def current(self) -> CurrentToken:
        if self._current is None:
            self._current = await asyncio.to_thread(self.store.load)
        return self._current

    async def refresh(self, used_access_token: str | None) -> CurrentToken:
        """Get a new token unless another task or process already did; raise RefreshFailed otherwise."""
        async with self._lock:
            current = self._current
            if current is not None and used_access_token is not None and current.access_token != used_access_token:
                return current
            if self._failed_at is not None and time.monotonic() - self._failed_at < self.failure_cooldown:
                raise RefreshFailed("the last Zalo token refresh failed moments ago; waiting before trying again")
            loop = asyncio.get_running_loop()

            def exchange(refresh_token: str) -> TokenPair:
                future: Future[TokenPair] = asyncio.run_coroutine_threadsafe(self._exchange(refresh_token), loop)
                return future.result(self.timeout)

            try:
                self._current = await asyncio.to_thread(self.store.refresh, used_access_token, exchange)
            except Exception as error:
                await self._report(error)
                raise RefreshFailed(str(error) or type(error).__name__) from error
            self._failed_at = None
            log.info("Zalo access token refreshed; valid until %s", self._current.expires_at)
            return self._current

    async def _report(self, error: Exception) -> None:
        self._failed_at = time.monotonic()
        reason = f"{type(error).__name__}: {error}"
        log.error(
            "ZALO TOKEN REFRESH FAILED (%s). Replies on Zalo stop until this is fixed: check TROLY_ZALO_APP_ID "
            "and TROLY_ZALO_APP_SECRET, or authorise the app again and put the new pair in "
            "TROLY_ZALO_ACCESS_TOKEN / TROLY_ZALO_REFRESH_TOKEN.",
            reason,
        )
        try:
            await asyncio.to_thread(self.store.record_failure, reason)
        except Exception:
            log.exception("could not write the Zalo token failure to the audit log")


def parse_token_answer(data: Any) -> TokenPair:
    """Zalo's OAuth answer: {access_token, refresh_token, expires_in: "90000"} or {error, error_name, …}."""
    if not isinstance(data, dict):
        raise RefreshFailed("Zalo OAuth answered something that is not a JSON object")
    access, refresh = data.get("access_token"), data.get("refresh_token")
    if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
        name = data.get("error_name") or data.get("message") or "no token in the answer"
        raise RefreshFailed(f"Zalo OAuth error {data.get('error', '?')}: {name} {data.get('error_description', '')}")
    try:
        expires_in: float | None = float(data.get("expires_in", "")) or None
    except (TypeError, ValueError):
        expires_in = None
    return TokenPair(access, refresh, expires_in)
