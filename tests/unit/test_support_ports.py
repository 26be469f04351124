"""The test helpers tell a server that bound its port from one that found another test's server there."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from simulators.testing import free_port
from tests import support
from tests.support import _bound_by, run_simulator

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


def test_a_simulator_whose_port_another_simulator_answers_on_moves_to_a_new_port(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race ``free_port`` cannot prevent: the port it chose is taken, by a server that even answers our
    health check. ``run_simulator`` must notice the socket is not its own and start again elsewhere."""
    with run_simulator("stripe", tmp_path) as first:
        taken = int(first.url.rsplit(":", 1)[1])
        ports = iter([taken, free_port()])
        monkeypatch.setattr(support, "free_port", lambda: next(ports))
        with run_simulator("stripe", tmp_path) as second:
            assert second.url != first.url
            assert second.proc.poll() is None and first.proc.poll() is None
            assert requests.get(second.url + "/_sim/health", timeout=5).status_code == 200
        assert "already in use" in (tmp_path / f"sim-stripe-{taken}.log").read_text()
