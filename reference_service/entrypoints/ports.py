"""Whether a TCP port can be bound, checked before a server starts (standard library only, so any
process's start-up can afford it).

granian binds its listening sockets with ``SO_REUSEPORT`` on Linux (one per worker), so a second granian
started on a port that one already serves does not fail: the kernel shares the port between both and splits
the connections. A service or simulator that holds state would then answer half of its clients from
another process's state. :func:`port_free` binds without ``SO_REUSEPORT``, which fails while anyone
listens on the port, so the commands refuse to start there instead.
"""

from __future__ import annotations

import socket


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether ``host:port`` can be bound right now by a socket that shares it with no one (a port in
    ``TIME_WAIT`` after a stopped server counts as free: ``SO_REUSEADDR``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True
