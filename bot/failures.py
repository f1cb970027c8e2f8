"""Telling infrastructure failures from bugs, so that nothing is acknowledged that was not stored.

A handler bug is the message's problem: the user gets the polite apology and the channel its 200 (a retry
would fail the same way). A database that does not answer, a full disk or a lock that timed out is the
server's problem and passes: nothing was stored, so the channel must be told to deliver the message again
(Telegram: a 5xx; Zalo: no 200) and the user must not be told that something went wrong with it.
"""

from __future__ import annotations

import errno
import sqlite3
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc

# OS errors that mean the machine, not the message: disk full or over quota, read-only or failing disk, no
# file descriptors left.
_OS_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO, errno.EMFILE, errno.ENFILE})
_DATABASE_ERRORS = (
    sa_exc.OperationalError,  # connection refused or lost, server shutting down, SQLite "disk is full", "locked"
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,  # no connection free in the pool in time
    sqlite3.OperationalError,
)


class InfrastructureFailure(Exception):
    """The message could not be stored for a reason outside it: the channel should deliver it again later."""


@dataclass(frozen=True, slots=True)
class HandleFailed:
    """What a core worker process answers instead of replies when `Troly.handle` met an infrastructure failure
    (exceptions do not cross the pipe: this does, and the server raises InfrastructureFailure from it)."""

    reason: str


def is_infrastructure(error: BaseException) -> bool:
    """Whether `error`, or anything that caused it, is a failure of the database, the disk or the machine."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (InfrastructureFailure, *_DATABASE_ERRORS)):
            return True
        if isinstance(current, sa_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, OSError) and current.errno in _OS_ERRNOS:
            return True
        current = current.__cause__ or current.__context__
    return False


def describe(error: BaseException) -> str:
    """One line for the log: the exception's type and the first line of its message (no SQL, no parameters)."""
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first_line[:200]}"
