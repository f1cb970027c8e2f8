"""The network guard (tests/support/network_guard.py) refuses and reports any way off this machine."""

from __future__ import annotations

import socket

import aiohttp
import pytest

from tests.support.network_guard import NetworkBlocked, NetworkGuard


def test_a_connection_to_another_machine_is_refused_and_recorded(network_guard: NetworkGuard) -> None:
    with socket.socket() as sock, pytest.raises(NetworkBlocked):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: never routed, and never tried
    assert network_guard.violations == ["connection to 192.0.2.1:443"]
    network_guard.violations.clear()  # consumed: this test wanted it


def test_a_lookup_of_a_remote_name_is_refused(network_guard: NetworkGuard) -> None:
    with pytest.raises(NetworkBlocked):
        socket.getaddrinfo("api.telegram.org", 443)
    assert network_guard.violations == ["name lookup of api.telegram.org"]
    network_guard.violations.clear()


async def test_an_http_client_that_swallows_the_error_is_still_caught(network_guard: NetworkGuard) -> None:
    """Code under test may catch the OSError and carry on: the recorded violation still fails the test."""
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientError):
            await session.get("http://192.0.2.1/", timeout=aiohttp.ClientTimeout(total=5))
    assert network_guard.violations
    network_guard.violations.clear()


def test_loopback_is_allowed(network_guard: NetworkGuard) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
    assert socket.getaddrinfo("localhost", 80)
    assert network_guard.violations == []


def test_unix_sockets_are_allowed() -> None:
    left, right = socket.socketpair()
    left.sendall(b"x")
    assert right.recv(1) == b"x"
    left.close()
    right.close()
