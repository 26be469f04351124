"""Measure the kernel's per-request overhead (journal, fault matching, request id, account lookup).

Method (printed with the figures):

* **In-process**: the same trivial WSGI handler (a JSON answer, no framework) is called ``iterations``
  times with a prebuilt ~200-byte JSON POST (Authorization, Idempotency-Key, ...), first bare, then
  behind the full kernel with the journal on and five fault rules that do not match (method, path glob,
  account, window and probability rules, so every rule is evaluated). Best of ``repeats``; the
  difference per call is the overhead.
* **HTTP**: both apps under granian (1 worker, 64 blocking threads) in a child process, driven for
  ``seconds`` after a 1 s warm-up by ``connections`` keep-alive connections spread over 2 client
  processes; reports requests/s and p50/p99 latency. Client and server share the machine's cores.

``bench_kernel()`` runs both and prints; ``genai-demo bench kernel`` calls it.
"""

from __future__ import annotations

import http.client
import io
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from simulators.kernel.app import build_simulator_app
from simulators.kernel.config import SimulatorConfig
from simulators.kernel.faults import FaultRuleSpec
from simulators.kernel.provider import SimulatorProvider
from simulators.kernel.wsgi import Environ, SimRequest, StartResponse, WSGIApp

_BODY = json.dumps(
    {"amount": 2000, "currency": "usd", "metadata": {"order_id": "ord_123456789"}, "x": "y" * 100}
).encode()
_HEADERS = {
    "HTTP_AUTHORIZATION": "Bearer sk_test_bench",
    "HTTP_IDEMPOTENCY_KEY": "order-1-attempt-1",
    "HTTP_USER_AGENT": "bench/1.0",
    "HTTP_ACCEPT": "application/json",
    "HTTP_HOST": "127.0.0.1",
}
_RULES: tuple[dict[str, Any], ...] = (
    {"match": {"method": "DELETE"}, "action": {"type": "status", "status": 500}},
    {"match": {"path": "/v1/refunds*"}, "action": {"type": "latency", "ms": 100}},
    {"match": {"account": "someone-else"}, "action": {"type": "reset"}},
    {
        "match": {"path": "/v1/*"},
        "action": {"type": "status", "status": 503},
        "window": {"start_in": 86400, "duration": 60},
    },
    {"match": {"path": "/v2/*"}, "action": {"type": "rate_limit"}, "probability": 0.5, "seed": 1},
)


def bare_handler(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """The trivial handler both variants serve."""
    stream = environ.get("wsgi.input")
    if stream is not None:
        stream.read(int(environ.get("CONTENT_LENGTH") or 0))
    body = b'{"id":"pi_bench","object":"payment_intent","status":"requires_payment_method"}'
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class BenchProvider(SimulatorProvider):
    """A provider whose app is :func:`bare_handler` (so only the kernel's cost is measured)."""

    name = "bench"
    request_id_header = "Request-Id"

    def build_wsgi_app(self) -> WSGIApp:
        return bare_handler

    def account_for(self, request: SimRequest) -> str | None:
        return request.bearer_token()


def bare_app() -> WSGIApp:
    """granian factory: the bare handler."""
    return bare_handler


def kernel_app() -> WSGIApp:
    """granian factory: the handler behind the kernel, journal on, five non-matching rules."""
    app = build_simulator_app(BenchProvider(), SimulatorConfig(seed=1))
    for rule in _RULES:
        app.runtime.faults.add(FaultRuleSpec.model_validate(rule))
    return app


def _environ() -> Environ:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/v1/payment_intents",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(_BODY)),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input_terminated": True,
        **_HEADERS,
    }


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None, /) -> Any:
    return None


def _time_calls(app: WSGIApp, iterations: int) -> float:
    base = _environ()
    start = time.perf_counter()
    for _ in range(iterations):
        environ = dict(base)
        environ["wsgi.input"] = io.BytesIO(_BODY)
        for _chunk in app(environ, _start_response):
            pass  # drain the response as a server would; the bytes themselves are not needed
    return (time.perf_counter() - start) / iterations * 1e6


def bench_in_process(iterations: int = 20_000, repeats: int = 3) -> dict[str, float]:
    """Microseconds per call: bare handler, kernel without rules, kernel with five rules."""
    plain = build_simulator_app(BenchProvider(), SimulatorConfig(seed=1))
    ruled = kernel_app()
    try:
        bare = min(_time_calls(bare_handler, iterations) for _ in range(repeats))
        no_rules = min(_time_calls(plain, iterations) for _ in range(repeats))
        kernel = min(_time_calls(ruled, iterations) for _ in range(repeats))
    finally:
        plain.close()
        ruled.close()  # type: ignore[attr-defined]
    return {
        "iterations": float(iterations),
        "bare_us": bare,
        "kernel_no_rules_us": no_rules,
        "kernel_us": kernel,
        "overhead_us": kernel - bare,
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post_kernel_request(conn: http.client.HTTPConnection) -> None:
    """One measured unit of the kernel benchmark: the prebuilt JSON POST (a ``drive_http`` step)."""
    conn.request("POST", "/v1/payment_intents", body=_BODY, headers=_CLIENT_HEADERS)
    conn.getresponse().read()


_CLIENT_HEADERS = {k[5:].replace("_", "-").title(): v for k, v in _HEADERS.items()}
_CLIENT_HEADERS["Content-Type"] = "application/json"
Step = Callable[[http.client.HTTPConnection], None]


def _client(
    port: int, connections: int, seconds: float, warmup: float, out: Any, step: Step = post_kernel_request
) -> None:
    import threading

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


def _wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def drive_http(
    port: int,
    *,
    seconds: float = 5.0,
    connections: int = 16,
    clients: int = 2,
    warmup: float = 1.0,
    step: Step = post_kernel_request,
) -> list[float]:
    """Run ``step`` in a loop on ``connections`` keep-alive connections spread over ``clients`` spawned
    processes for ``warmup`` + ``seconds``; returns the latencies (s) measured after the warm-up.
    ``step`` must be a module-level function (it is pickled into the client processes)."""
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
    """Requests/s and p50/p99 latency (ms) of a ``drive_http`` run."""
    latencies = sorted(latencies)
    q = statistics.quantiles(latencies, n=100)
    return {
        "rps": len(latencies) / seconds,
        "p50_ms": q[49] * 1000,
        "p99_ms": q[98] * 1000,
        "requests": len(latencies),
    }


def bench_http(
    target: str, seconds: float = 5.0, connections: int = 16, clients: int = 2
) -> dict[str, float]:
    """Requests/s and latency of granian serving factory ``target`` (``module:func``)."""
    port = _free_port()
    cmd = [
        sys.executable, "-m", "granian", "--interface", "wsgi", "--factory", "--workers", "1",
        "--blocking-threads", "64", "--backpressure", "64", "--no-ws", "--log-level", "error",
        "--host", "127.0.0.1", "--port", str(port), target,
    ]  # fmt: skip
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    try:
        _wait_port(port)
        latencies = drive_http(port, seconds=seconds, connections=connections, clients=clients)
    finally:
        server.terminate()
        server.wait(10)
    return summarize(latencies, seconds)


def bench_kernel(seconds: float = 5.0, connections: int = 16, http: bool = True) -> dict[str, Any]:
    """Run the in-process and (optionally) HTTP benchmarks, print figures and method, return them."""
    result: dict[str, Any] = {"in_process": bench_in_process()}
    ip = result["in_process"]
    print("kernel overhead, in-process (best of 3 x 20000 WSGI calls, POST with a 190-byte JSON body):")
    print(f"  bare handler                    {ip['bare_us']:8.1f} us/request")
    print(f"  kernel, journal, no fault rules {ip['kernel_no_rules_us']:8.1f} us/request")
    print(f"  kernel, journal, 5 fault rules  {ip['kernel_us']:8.1f} us/request")
    print(f"  overhead                        {ip['overhead_us']:8.1f} us/request")
    if http:
        bare = bench_http("simulators.kernel.bench:bare_app", seconds, connections)
        kern = bench_http("simulators.kernel.bench:kernel_app", seconds, connections)
        result["http"] = {"bare": bare, "kernel": kern}
        print(
            f"HTTP under granian (1 worker, 64 threads), {connections} keep-alive connections from 2 client "
            f"processes, {seconds:g} s after 1 s warm-up, same machine:"
        )
        for label, r in (("bare handler", bare), ("kernel + 5 rules", kern)):
            print(
                f"  {label:18s} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms"
            )
    return result


if __name__ == "__main__":
    bench_kernel()
