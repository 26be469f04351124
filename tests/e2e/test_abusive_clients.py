"""Slow and abusive clients against the real service process (granian): 10,000 idle connections,
slowloris-style headers and bodies, 20 MB bodies and deeply nested JSON. The service keeps answering
everyone else, and its memory stays bounded."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from tests.support import LiveProcess, run_service

# one worker runs the whole module, so its module-scoped lab starts once (make test: --dist loadgroup)
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("abusive-clients")]

IDLE = 10_000
HEADER_TIMEOUT = 2


def group_rss_mb(pgid: int) -> float:
    """Resident memory of every process in the process group (the CLI and granian's worker)."""
    total_kb = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != pgid:
                continue
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProcess]:
    env = {"AWS_PROVISION_ON_START": "false", "SERVICE_HEADER_READ_TIMEOUT_SECONDS": str(HEADER_TIMEOUT)}
    with run_service(tmp_path_factory.mktemp("abuse"), env=env) as live:
        yield live


def answered(live: LiveProcess, times: int = 10) -> list[int]:
    """Statuses of ordinary requests from a well-behaved client (each given 5 s)."""
    return [live.http.get(f"{live.url}/api/v1/orders", timeout=5).status_code for _ in range(times)]


def test_idle_and_slow_connections_do_not_starve_other_clients(service: LiveProcess) -> None:
    host, port = urlsplit(service.url).hostname or "127.0.0.1", urlsplit(service.url).port or 80
    rss_before = group_rss_mb(os.getpgid(service.proc.pid))
    idle: list[socket.socket] = []
    stop = threading.Event()

    def slowloris(body: bool) -> None:
        with socket.create_connection((host, port), timeout=5) as s:
            if body:  # headers complete, then a body promised and trickled
                s.sendall(
                    b"POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 100000\r\n\r\n"
                )
            else:
                s.sendall(b"GET /api/v1/orders HTTP/1.1\r\n")
            while not stop.wait(0.2):
                with contextlib.suppress(OSError):
                    s.sendall(b"{" if body else b"X-a: b\r\n")

    trickle = [threading.Thread(target=slowloris, args=(i % 2 == 0,), daemon=True) for i in range(40)]
    try:
        for _ in range(IDLE):
            idle.append(socket.create_connection((host, port), timeout=5))
        for t in trickle:
            t.start()
        time.sleep(1.0)  # let the trickles hold their connections open
        assert answered(service) == [200] * 10
        rss_during = group_rss_mb(os.getpgid(service.proc.pid))
    finally:
        stop.set()
        for s in idle:
            s.close()
        for t in trickle:
            t.join(5)
    assert answered(service) == [200] * 10
    # 10,000 connections cost kernel buffers, not service memory: bounded well under a megabyte-per-100
    assert rss_during - rss_before < 150, (rss_before, rss_during)


def test_huge_and_deep_bodies_are_refused_without_growing_memory(service: LiveProcess) -> None:
    pgid = os.getpgid(service.proc.pid)
    rss_before = group_rss_mb(pgid)
    for _ in range(5):
        huge = service.http.post(
            f"{service.url}/api/v1/orders",
            data=b"x" * (20 * 1024 * 1024),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert huge.status_code == 413 and huge.json()["type"] == "/problems/payload-too-large"
    deep = service.http.post(
        f"{service.url}/api/v1/orders",
        data="[" * 500_000,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert deep.status_code == 400, deep.text
    assert answered(service, 3) == [200] * 3
    # five 20 MB bodies refused: the service never held one whole (a read would cost 20 MB each)
    assert group_rss_mb(pgid) - rss_before < 40
    with contextlib.suppress(requests.RequestException):
        requests.get(f"{service.url}/health/live", timeout=5)


def test_a_client_that_never_finishes_its_headers_is_disconnected(service: LiveProcess) -> None:
    host, port = urlsplit(service.url).hostname or "127.0.0.1", urlsplit(service.url).port or 80
    with socket.create_connection((host, port), timeout=HEADER_TIMEOUT * 4) as s:
        started = time.monotonic()
        s.sendall(b"GET /api/v1/orders HTTP/1.1\r\n")
        closed = False
        while time.monotonic() - started < HEADER_TIMEOUT * 4:
            try:
                s.sendall(b"X-a: b\r\n")  # a header line every 0.2 s: slowloris
                s.settimeout(0.2)
                if s.recv(65536) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except OSError:
                closed = True
                break
        assert closed, "the server kept a connection whose headers never ended"
        assert time.monotonic() - started < HEADER_TIMEOUT * 3  # closed at the header read timeout
