"""Offline means offline: inside an eval run, a connection to a non-loopback address fails.

`no_network()` patches `socket.socket.connect`/`connect_ex` and
`socket.getaddrinfo` for the duration of a `with` block. The attempt raises
`StrayNetworkCall` *and* is remembered, because the code under test may
catch the error (a retry layer turns it into "model unavailable", the
composer takes over) and the run must still fail.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class StrayNetworkCall(ConnectionRefusedError):
    """Code under evaluation tried to reach the network during an offline run."""


@dataclass(slots=True)
class NetworkGuard:
    attempts: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse(self, target: str) -> StrayNetworkCall:
        with self._lock:
            self.attempts.append(target)
        return StrayNetworkCall(f"offline eval run: network access to {target} is not allowed")


def _is_loopback_host(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def _is_ip(host: str) -> bool:
    """IP literals resolve without DNS; connect() decides about them."""
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _target(address: Any) -> tuple[str, str] | None:
    """(host, printable target) for an inet address; None for unix sockets and the like."""
    if isinstance(address, tuple) and address and isinstance(address[0], str):
        port = address[1] if len(address) > 1 else "?"
        return address[0], f"{address[0]}:{port}"
    return None


@contextmanager
def no_network(*, allow_loopback: bool = True) -> Iterator[NetworkGuard]:
    """Refuse every non-loopback connection (and DNS lookup) inside the block."""
    guard = NetworkGuard()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def allowed(host: str) -> bool:
        return allow_loopback and _is_loopback_host(host)

    def connect(self: socket.socket, address: Any) -> None:
        target = _target(address)
        if target is not None and not allowed(target[0]):
            raise guard.refuse(target[1])
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        target = _target(address)
        if target is not None and not allowed(target[0]):
            raise guard.refuse(target[1])
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if isinstance(name, str) and not allowed(name) and not _is_ip(name):
            raise guard.refuse(f"{name}:{port} (DNS lookup)")
        return real_getaddrinfo(host, port, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = getaddrinfo
    try:
        yield guard
    finally:
        socket.socket.connect = real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = real_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = real_getaddrinfo
