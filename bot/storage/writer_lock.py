"""One SQLite writer at a time, across the threads of a process and across processes.

SQLite admits one writer, and every transaction here is a writer (BEGIN IMMEDIATE). Waiting writers that are
left to SQLite's busy handler sleep up to 100 ms between retries: with a few threads or worker processes that
turned 5 ms transactions into second-long waits. Here writers queue instead: threads of one process on a
lock, processes on an advisory `flock` of a file beside the database, and the kernel wakes the next one as
soon as the lock is free.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType


class WriterLock:
    """A re-entrant lock for one thread at a time that also holds an exclusive `flock` on `path` while held
    (no file lock when `path` is None: an in-memory database has no other process to wait for)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._threads = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._pid = os.getpid()

    def __enter__(self) -> WriterLock:
        self._threads.acquire()
        try:
            if self._depth == 0 and self.path is not None:
                fcntl.flock(self._file(), fcntl.LOCK_EX)  # blocks in the kernel, without holding the GIL
            self._depth += 1
        except BaseException:
            self._threads.release()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            self._depth -= 1
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def close(self) -> None:
        with self._threads:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def _file(self) -> int:
        """The lock file's descriptor, opened anew in a forked child (a shared descriptor shares the lock)."""
        assert self.path is not None
        if self._fd is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd
