"""A pytest plugin: a test that opens a socket to anything but this machine fails.

Every remote service is faked on 127.0.0.1 (tests/support/fake_*.py), so a connection elsewhere is a bug: a
default URL that escaped the test's settings, a library phoning home. The guard refuses the connection (an
OSError, as a firewall would) and also records it, because the code under test may well catch the OSError
and carry on: the test then fails at teardown, naming the address. Name lookups other than localhost are
refused the same way. Processes a test starts are not guarded; their settings point at the fakes.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class NetworkBlocked(PermissionError):
    """What the code under test sees instead of a connection to another machine."""


@dataclass
class NetworkGuard:
    violations: list[str] = field(default_factory=list)

    def check_address(self, family: int, address: Any) -> None:
        if family not in (socket.AF_INET, socket.AF_INET6) or _is_local(str(address[0])):
            return
        self._refuse(f"connection to {address[0]}:{address[1]}")

    def check_name(self, host: Any) -> None:
        if host is None:
            return
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.lower() in LOCAL_NAMES or name == "" or _is_local(name):
            return
        self._refuse(f"name lookup of {name}")

    def _refuse(self, what: str) -> None:
        self.violations.append(what)
        raise NetworkBlocked(f"tests may not leave this machine: {what}")


def _is_local(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def _install(guard: NetworkGuard) -> None:
    connect, connect_ex, sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto
    getaddrinfo = socket.getaddrinfo

    def guarded_connect(self: socket.socket, address: Any) -> None:
        guard.check_address(self.family, address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        guard.check_address(self.family, address)
        return connect_ex(self, address)

    def guarded_sendto(self: socket.socket, data: Any, *args: Any) -> int:
        guard.check_address(self.family, args[-1])
        return sendto(self, data, *args)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        guard.check_name(host)
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign]
    socket.socket.sendto = guarded_sendto  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = guarded_getaddrinfo


GUARD_KEY = pytest.StashKey[NetworkGuard]()


def pytest_configure(config: pytest.Config) -> None:
    """Installed for the whole session, so session fixtures (the PostgreSQL server) are guarded too."""
    guard = NetworkGuard()
    config.stash[GUARD_KEY] = guard
    _install(guard)


@pytest.fixture(autouse=True)
def network_guard(request: pytest.FixtureRequest) -> Iterator[NetworkGuard]:
    guard = request.config.stash[GUARD_KEY]
    guard.violations.clear()
    yield guard
    if guard.violations:
        found = ", ".join(guard.violations)
        guard.violations.clear()
        pytest.fail(f"the test tried to reach another machine: {found}")
