"""The database side of the Zalo token chain: the one row per app, its refresh lease and compare-and-swap.

See adapters/zalo/tokens.py for why a refresh holds a lease rather than a database lock.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
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


LEASE = timedelta(seconds=60)  # longer than a refresh may take (TokenManager.timeout), shorter than a wait


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of asking for the lease: a token someone else already refreshed, or the lease, or neither."""

    fresh: CurrentToken | None = None  # the used token was already replaced: use this one
    refresh_token: str | None = None  # the lease is ours: refresh with this
    busy_until: datetime | None = None  # another process holds the lease until then


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

    def claim(self, used_access_token: str | None, owner: str, lease: timedelta = LEASE) -> Claim:
        """Take the refresh lease in one short transaction, unless the token was already replaced or another
        live process holds the lease."""
        with self.database.transaction() as session:
            row = self._row(session, lock=True)
            now = utcnow()
            if used_access_token is not None and row.access_token != used_access_token:
                return Claim(fresh=CurrentToken(row.access_token, row.expires_at))
            if row.lease_owner not in (None, owner) and row.lease_until is not None and row.lease_until > now:
                return Claim(busy_until=row.lease_until)
            row.lease_owner, row.lease_until = owner, now + lease
            return Claim(refresh_token=row.refresh_token)

    def complete(self, owner: str, used_refresh_token: str, pair: TokenPair) -> CurrentToken | None:
        """Store the new pair if the lease is still ours and the row still holds the refresh token we used
        (compare-and-swap); None when someone took over meanwhile."""
        now = utcnow()
        expires_at = now + timedelta(seconds=pair.expires_in) if pair.expires_in else None
        with self.database.transaction() as session:
            changed = session.execute(
                update(ZaloToken)
                .where(
                    ZaloToken.app_id == self.app_id,
                    ZaloToken.lease_owner == owner,
                    ZaloToken.refresh_token == used_refresh_token,
                )
                .values(
                    access_token=pair.access_token,
                    refresh_token=pair.refresh_token,
                    expires_at=expires_at,
                    refreshed_at=now,
                    updated_at=now,
                    lease_owner=None,
                    lease_until=None,
                )
            )
        return CurrentToken(pair.access_token, expires_at) if _rowcount(changed) == 1 else None

    def release(self, owner: str) -> None:
        """Give the lease back after a failed refresh, so others need not wait for it to lapse."""
        with self.database.transaction() as session:
            session.execute(
                update(ZaloToken)
                .where(ZaloToken.app_id == self.app_id, ZaloToken.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

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


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
