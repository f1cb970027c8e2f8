"""A throw-away PostgreSQL server on 127.0.0.1 for the test session, from the Debian packages.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the `postgres` user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def find_bin_dir() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """A throw-away server that a test may stop and start again (a database outage)."""

    def __init__(self, bin_dir: Path, base: Path, port: int, owner: str | None) -> None:
        self.bin_dir, self.base, self.port, self.owner = bin_dir, base, port, owner
        self.data = base / "data"
        self.url = f"postgresql+psycopg://troly@127.0.0.1:{port}/postgres"

    def start(self) -> None:
        options = (
            f"-p {self.port} -h 127.0.0.1 -k {self.base} -c fsync=off -c synchronous_commit=off -c max_connections=200"
        )
        _runner(self.owner)(
            [
                str(self.bin_dir / "pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.base / "log"),
                "-w",
                "start",
            ]
        )

    def stop(self, mode: str = "fast") -> None:
        """`fast` disconnects every client, as a crash or a restart of the database server does."""
        subprocess.run(
            _command(self.owner, [str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"]),
            capture_output=True,
            check=False,
        )


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """Start a server in a temporary directory; stop and delete it afterwards."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL binaries not found (apt-get install postgresql)")
    owner = "postgres" if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="troly-pg-"))
    server = PostgresServer(bin_dir, base, free_port(), owner)
    if owner:
        record = pwd.getpwnam(owner)
        os.chown(base, record.pw_uid, record.pw_gid)
    try:
        _runner(owner)([str(bin_dir / "initdb"), "-D", str(server.data), "-U", "troly", "--auth=trust", "-E", "UTF8",
                        "--locale=C.UTF-8"])  # fmt: skip
        server.start()
        yield server
    finally:
        if server.data.exists():
            server.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def running_postgres() -> Iterator[str]:
    """Start a server in a temporary directory; yield an admin URL; stop and delete it afterwards."""
    with postgres_server() as server:
        yield server.url


def _command(owner: str | None, args: list[str]) -> list[str]:
    return ["runuser", "-u", owner, "--", *args] if owner else args


def _runner(owner: str | None):  # type: ignore[no-untyped-def]
    def run(args: list[str]) -> None:
        result = subprocess.run(_command(owner, args), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stdout}\n{result.stderr}")

    return run
