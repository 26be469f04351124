"""``genai-demo sim`` and ``genai-demo service`` refuse a port that something already listens on.

granian binds with ``SO_REUSEPORT``: without this check a second simulator or service on a served port
would start, share the port with the first, and answer half of the connections from its own state."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from click.testing import CliRunner

from reference_service.entrypoints.ports import port_free
from simulators.lab.cli import cli


@pytest.fixture
def served_port() -> Iterator[int]:
    """A port listened on as granian does it (``SO_REUSEPORT``)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_a_port_served_with_reuse_port_is_not_free(served_port: int) -> None:
    assert not port_free(served_port)


def test_a_port_nobody_listens_on_is_free() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    assert port_free(port)


@pytest.mark.parametrize("argv", [["sim", "stripe"], ["sim", "twilio"], ["service"]])
def test_a_server_command_on_a_served_port_exits_saying_so(served_port: int, argv: list[str]) -> None:
    result = CliRunner().invoke(cli, [*argv, "--port", str(served_port)])
    assert result.exit_code == 1, result.output
    assert f"port {served_port} on 127.0.0.1 is already in use" in result.output
