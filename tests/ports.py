"""A free TCP port on loopback, for servers the tests start (import as ``waiting`` is)."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port nothing listens on now (the OS picks it; another process may take it before the
    server binds, so a server that fails to start says so in its log)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
