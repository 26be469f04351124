"""Measure the kernel's per-request overhead (journal, fault matching, request id, account lookup).

Method (printed with the figures):

* **In-process**: the same trivial WSGI handler (a JSON answer, no framework) is called ``iterations``
  times with a prebuilt ~200-byte JSON POST (Authorization, Idempotency-Key, ...), first bare, then
  behind the full kernel with the journal on and five fault rules that do not match (method, path glob,
  account, window and probability rules, so every rule is evaluated). Best of ``repeats``; the
  difference per call is the overhead.
* **HTTP**: both apps under granian (1 worker, 64 blocking threads) in a child process, driven for
  ``seconds`` after a 1 s warm-up by ``connections`` keep-alive connections spread over 2 client
  processes (:mod:`simulators.kernel.bench_tools`); reports requests/s and p50/p99 latency. Client and
  server share the machine's cores.

``bench_kernel()`` runs both and prints; ``genai-demo bench kernel`` calls it.
"""

from __future__ import annotations

import http.client
import io
import json
import sys
import time
from collections.abc import Iterable
from typing import Any

from simulators.kernel.app import build_simulator_app
from simulators.kernel.bench_tools import ServerProcess, drive_http, free_port, summarize
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


def post_kernel_request(conn: http.client.HTTPConnection) -> None:
    """One measured unit of the kernel benchmark: the prebuilt JSON POST (a ``drive_http`` step)."""
    conn.request("POST", "/v1/payment_intents", body=_BODY, headers=_CLIENT_HEADERS)
    conn.getresponse().read()


_CLIENT_HEADERS = {k[5:].replace("_", "-").title(): v for k, v in _HEADERS.items()}
_CLIENT_HEADERS["Content-Type"] = "application/json"


def bench_http(
    target: str, seconds: float = 5.0, connections: int = 16, clients: int = 2
) -> dict[str, float]:
    """Requests/s and latency of granian serving factory ``target`` (``module:func``)."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "granian", "--interface", "wsgi", "--factory", "--workers", "1",
        "--blocking-threads", "64", "--backpressure", "64", "--no-ws", "--log-level", "error",
        "--host", "127.0.0.1", "--port", str(port), target,
    ]  # fmt: skip
    with ServerProcess(cmd, port):
        latencies = drive_http(
            port, post_kernel_request, seconds=seconds, connections=connections, clients=clients
        )
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
