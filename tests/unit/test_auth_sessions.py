"""The tests' token sessions never send a request on a connection idle long enough for the service to be
closing it: after ``MAX_IDLE_SECONDS`` without a request they open a new one. And a GET answered 429 with a
Retry-After reaches the caller as that answer, not as an exception."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import tests.auth
from tests.auth import auth_issuer


class _KeepAlive(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keeps connections open
    ports: list[int] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.ports.append(self.client_address[1])
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.send_response(429)
        self.send_header("Retry-After", "1")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet."""


@pytest.fixture
def server() -> Iterator[str]:
    _KeepAlive.ports = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAlive)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_busy_session_reuses_its_connection_and_an_idle_one_opens_a_new_one(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tests.auth, "MAX_IDLE_SECONDS", 0.2)
    session = auth_issuer().session("admin")
    for _ in range(3):
        assert session.post(server, json={}, timeout=5).status_code == 200
    assert len(set(_KeepAlive.ports)) == 1, _KeepAlive.ports  # one kept-alive connection
    threading.Event().wait(0.4)  # idle past the limit
    assert session.post(server, json={}, timeout=5).status_code == 200
    assert _KeepAlive.ports[-1] != _KeepAlive.ports[0], _KeepAlive.ports


def test_a_rate_limited_get_is_answered_not_raised(server: str) -> None:
    resp = auth_issuer().session("admin").get(server, timeout=5)
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "1"
