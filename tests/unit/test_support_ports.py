"""The test helpers tell a service that bound its port from one that found another test's server there."""

from __future__ import annotations

import socket
import subprocess
import sys

from tests.support import _bound_by

LISTEN = (
    "import socket, sys, time; s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(); "
    "time.sleep(30)"
)


def test_a_process_group_listening_on_the_port_holds_it() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", LISTEN, str(port)], start_new_session=True)
    try:
        assert _bound_by(proc, port, timeout=10)
    finally:
        proc.kill()
        proc.wait()


def test_a_listener_of_another_process_is_not_ours() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        proc = subprocess.Popen([sys.executable, "-c", LISTEN, str(port)], start_new_session=True)
        try:
            assert not _bound_by(proc, port, timeout=10)  # ours fails to bind and exits
            assert proc.wait(5) != 0
        finally:
            proc.kill()
            proc.wait()
