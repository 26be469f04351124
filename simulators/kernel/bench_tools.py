"""What every simulator benchmark shares: a free port, a server in its own process, its memory and CPU, the
HTTP load driver and the summary.

* :class:`ServerProcess` runs a server command in its own session on a free port and waits until it
  listens; :meth:`ServerProcess.rss_mb` and :meth:`ServerProcess.cpu_seconds` read the process tree from
  Linux ``/proc``; leaving the block stops the whole group (SIGTERM, then SIGKILL after 15 s).
* :class:`SimProcess` is the real ``genai-demo sim <provider>`` (granian, one worker, 64 blocking threads)
  run that way, healthy at ``/_sim/health`` before the block starts, with its journal's 4xx/5xx count.
* :func:`drive_http` runs a step function in a loop on keep-alive ``http.client`` connections spread over
  spawned client processes; :func:`summarize` turns the latencies into requests/s and p50/p99.

``genai-demo bench kernel|stripe|paypal`` (:mod:`simulators.kernel.bench`, ``simulators.<provider>.bench``)
are built on these.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import requests

Step = Callable[[http.client.HTTPConnection], None]


def free_port() -> int:
    """A port nothing listens on right now (127.0.0.1)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout: float = 15.0) -> None:
    """Wait until something accepts connections on ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        todo.extend(int(c) for c in children)
    return out


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants (Linux ``/proc``), in MB."""
    total = 0
    for current in _tree(pid):
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def tree_pss_mb(pid: int) -> float:
    """Proportional set size of ``pid`` and its descendants (``/proc/<pid>/smaps_rollup``), in MB: pages
    shared between them (a forked worker's copy of its parent) count once, so this is what the tree really
    holds; :func:`tree_rss_mb` counts shared pages once per process."""
    total = 0
    for current in _tree(pid):
        try:
            rollup = Path(f"/proc/{current}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    return total / 1024


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` and its descendants (Linux ``/proc``)."""
    ticks = 0
    for current in _tree(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


class ServerProcess:
    """``cmd`` (which must listen on ``port``) in its own session, for the duration of a ``with`` block."""

    def __init__(self, cmd: Sequence[str], port: int, env: Mapping[str, str] | None = None) -> None:
        self.cmd = list(cmd)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = dict(os.environ if env is None else env)
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The server's process id."""
        if self._proc is None:
            raise RuntimeError("server not started")
        return self._proc.pid

    def ready(self) -> None:
        """Wait until the server accepts connections."""
        wait_port(self.port, timeout=30)

    def __enter__(self) -> Self:
        self._proc = subprocess.Popen(
            self.cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=self.env,
            start_new_session=True,
        )
        try:
            self.ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the whole process group (SIGTERM, SIGKILL after 15 s)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        except ProcessLookupError:
            proc.wait(5)

    def rss_mb(self) -> float:
        """Resident memory of the server and its workers, in MB."""
        return tree_rss_mb(self.pid)

    def cpu_seconds(self) -> float:
        """CPU seconds the server and its workers have used."""
        return tree_cpu_seconds(self.pid)


def sim_command() -> list[str]:
    """``genai-demo sim`` of this environment (``python -m simulators.cli`` without the script)."""
    script = Path(sys.executable).with_name("genai-demo")
    return [str(script), "sim"] if script.exists() else [sys.executable, "-m", "simulators.cli"]


class SimProcess(ServerProcess):
    """``genai-demo sim <provider> --seed <seed>`` on a free port, healthy when the block starts."""

    def __init__(self, provider: str, *, seed: int = 1, env: Mapping[str, str] | None = None) -> None:
        port = free_port()
        cmd = [*sim_command(), provider, "--port", str(port), "--seed", str(seed), "--log-level", "error"]
        super().__init__(cmd, port, env)
        self.provider = provider

    def ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/_sim/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass  # not listening yet: poll again until the deadline
            time.sleep(0.05)
        raise RuntimeError(f"the {self.provider} simulator at {self.url} did not become healthy")

    def reset(self) -> None:
        """``POST /_sim/reset``."""
        requests.post(self.url + "/_sim/reset", timeout=10).raise_for_status()

    def journal_errors(self) -> int:
        """4xx and 5xx answers among the journal's last 1000 entries of each."""
        total = 0
        for status in ("4xx", "5xx"):
            resp = requests.get(
                self.url + "/_sim/journal", params={"status": status, "limit": 1000}, timeout=10
            )
            total += len(resp.json()["data"])
        return total


# -- the load driver ---------------------------------------------------------------------------------------
def _client(port: int, connections: int, seconds: float, warmup: float, out: Any, step: Step) -> None:
    latencies: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        local: list[float] = []
        begin = time.perf_counter()
        stop_at = begin + warmup + seconds
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at:
                break
            step(conn)
            if t0 - begin >= warmup:
                local.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            latencies.extend(local)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.send(latencies)
    out.close()


def drive_http(
    port: int,
    step: Step,
    *,
    seconds: float = 5.0,
    connections: int = 16,
    clients: int = 2,
    warmup: float = 1.0,
) -> list[float]:
    """Run ``step`` in a loop on ``connections`` keep-alive connections spread over ``clients`` spawned
    processes for ``warmup`` + ``seconds``; returns the latencies (s) measured after the warm-up.
    ``step`` must be picklable (a module-level function or a ``functools.partial`` of one)."""
    ctx = multiprocessing.get_context("spawn")
    pipes, procs = [], []
    per = max(1, connections // clients)
    for _ in range(clients):
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_client, args=(port, per, seconds, warmup, send, step))
        proc.start()
        pipes.append(recv)
        procs.append(proc)
    latencies: list[float] = []
    for recv in pipes:
        latencies.extend(recv.recv())
    for proc in procs:
        proc.join()
    return latencies


def summarize(latencies: list[float], seconds: float) -> dict[str, float]:
    """Requests/s and p50/p99 latency (ms) of a :func:`drive_http` run."""
    latencies = sorted(latencies)
    q = statistics.quantiles(latencies, n=100)
    return {
        "rps": len(latencies) / seconds,
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
        "requests": len(latencies),
    }


def load_average() -> tuple[float, float, float]:
    """The machine's 1/5/15-minute load average (client and server share its cores)."""
    return os.getloadavg()
