"""Zalo access tokens: loaded from the database, refreshed before expiry or when Zalo refuses them.

Refresh tokens are single-use and rotate, so a refresh must never run twice at once and its result must be
stored before it is used. An `asyncio.Lock` serialises refreshes in this process; across processes (`troly
serve`, `troly deliver`, on one machine or several) a refresh takes a **lease** on the token row in a short
transaction, calls Zalo holding no database lock (on SQLite a lock held during the call would stop every
writer of every process for as long as Zalo takes), then stores the new pair with a compare-and-swap: only
if it still holds the lease and the row still has the refresh token it used (adapters/zalo/token_store.py).
Whoever finds the lease taken waits for the holder's token instead of refreshing; a holder that died lets
its lease lapse.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from adapters.zalo.token_store import (
    LEASE,
    REFRESH_FAILED_ACTION,
    Claim,
    CurrentToken,
    RefreshFailed,
    TokenPair,
    TokenStore,
    fingerprint,
)
from bot.redaction import redact_also
from bot.storage.types import utcnow

__all__ = [
    "REFRESH_FAILED_ACTION",
    "CurrentToken",
    "RefreshFailed",
    "TokenManager",
    "TokenPair",
    "TokenStore",
    "fingerprint",
    "parse_token_answer",
]

log = logging.getLogger(__name__)

STORE_ATTEMPTS = 3


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
        wait_interval: float = 0.2,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self._exchange = exchange
        self.margin = margin
        self.failure_cooldown = failure_cooldown
        self.timeout = timeout
        self.wait_interval = wait_interval  # how often a process waiting for another's lease looks again
        self._current: CurrentToken | None = None
        self._lock = asyncio.Lock()
        self._failed_at: float | None = None
        self.on_failure = on_failure  # called in a thread with the reason: the operators' alert

    async def access_token(self) -> str:
        """The token to call Zalo with, refreshed first when it expires within the margin."""
        current = self._current
        if current is None:
            current = self._current = _remembered(await asyncio.to_thread(self.store.load))
        if self.due(current, self.margin):
            current = await self.refresh(current.access_token)
        return current.access_token

    @staticmethod
    def due(current: CurrentToken, margin: timedelta) -> bool:
        return current.expires_at is not None and current.expires_at - utcnow() < margin

    async def current(self) -> CurrentToken:
        if self._current is None:
            self._current = _remembered(await asyncio.to_thread(self.store.load))
        return self._current

    async def refresh(self, used_access_token: str | None) -> CurrentToken:
        """Get a new token unless another task or process already did; raise RefreshFailed otherwise."""
        async with self._lock:
            current = self._current
            if current is not None and used_access_token is not None and current.access_token != used_access_token:
                return current
            if self._failed_at is not None and time.monotonic() - self._failed_at < self.failure_cooldown:
                raise RefreshFailed("the last Zalo token refresh failed moments ago; waiting before trying again")
            owner = uuid.uuid4().hex
            try:
                claim = await self._claim(used_access_token, owner)
                if claim.fresh is not None:
                    self._current = _remembered(claim.fresh)
                    return claim.fresh
                assert claim.refresh_token is not None
                self._current = _remembered(await self._exchange_and_store(owner, claim.refresh_token))
            except Exception as error:
                await self._report(error)
                raise RefreshFailed(str(error) or type(error).__name__) from error
            self._failed_at = None
            log.info("Zalo access token refreshed; valid until %s", self._current.expires_at)
            return self._current

    async def _claim(self, used_access_token: str | None, owner: str) -> Claim:
        """The lease, or the token another process refreshed while this one waited for that process's lease."""
        give_up = time.monotonic() + LEASE.total_seconds() + self.timeout
        while True:
            claim = await asyncio.to_thread(self.store.claim, used_access_token, owner)
            if claim.busy_until is None:
                return claim
            if time.monotonic() > give_up:
                raise RefreshFailed("another process has been refreshing the Zalo token for too long")
            await asyncio.sleep(self.wait_interval)

    async def _exchange_and_store(self, owner: str, refresh_token: str) -> CurrentToken:
        """Call Zalo holding the lease but no database lock, then store the pair (compare-and-swap)."""
        try:
            pair = await asyncio.wait_for(self._exchange(refresh_token), self.timeout)
        except BaseException:
            await self._release(owner)
            raise
        redact_also(pair.access_token)
        redact_also(pair.refresh_token)
        for attempt in range(1, STORE_ATTEMPTS + 1):  # Zalo has already rotated: losing this pair breaks the chain
            try:
                stored = await asyncio.to_thread(self.store.complete, owner, refresh_token, pair)
                break
            except Exception:
                if attempt == STORE_ATTEMPTS:
                    log.critical("Zalo: the refreshed token pair could not be stored; authorise the app again")
                    raise
                log.exception("Zalo: storing the refreshed token pair failed (attempt %d); retrying", attempt)
                await asyncio.sleep(attempt)
        if stored is None:
            log.error("Zalo: another process took the token lease over during this refresh; using its token")
            stored = await asyncio.to_thread(self.store.load)
        return stored

    async def _release(self, owner: str) -> None:
        try:
            await asyncio.to_thread(self.store.release, owner)
        except Exception:
            log.warning("Zalo: could not release the token lease; it lapses after %s", LEASE)

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
        if self.on_failure is not None:
            try:
                await asyncio.to_thread(self.on_failure, reason)
            except Exception:
                log.exception("could not raise the Zalo token failure alert")


def _remembered(current: CurrentToken) -> CurrentToken:
    """The token, now also hidden from every log line (it was not in the settings)."""
    redact_also(current.access_token)
    return current


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
