"""``genai-demo bench stripe``: the Stripe simulator's create-PaymentIntent throughput and latency over HTTP.

Method (printed with the figures): the real ``genai-demo sim stripe`` process (granian, one worker, 64
blocking threads, default settings) on a free port (:class:`simulators.kernel.bench_tools.SimProcess`); the
shared load driver (:func:`simulators.kernel.bench_tools.drive_http`: ``connections`` keep-alive
``http.client`` connections spread over 2 spawned client processes) sends what the official SDK sends for
``client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd", "payment_method_types":
["card"], "metadata": {"order_id": ...}})``: a form body, Bearer key, a fresh ``Idempotency-Key`` per request
and ``Stripe-Version``. ``warmup`` seconds are discarded, then ``seconds`` are measured: requests/s, p50,
p99. A second run measures create + confirm with ``pm_card_visa`` (two requests per payment). Client and
server share the machine; the load average before and after, any 4xx/5xx the journal saw, and the server's
memory are printed too. Target: >= 1,350 creates/s with p99 < 25 ms on 2 cores.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import threading
from typing import Any

from simulators.kernel.bench_tools import SimProcess, drive_http, load_average, summarize

KEY = "sk_test_benchmark0000000000000000"
TARGET_RPS = 1350.0
TARGET_P99_MS = 25.0
_counter = itertools.count()
_CREATE_BODY = b"amount=2000&currency=usd&payment_method_types[0]=card&metadata[order_id]=ord_0123456789"
_CONFIRM_BODY = b"payment_method=pm_card_visa"


def _headers() -> dict[str, str]:
    return {
        "Authorization": f"Bearer {KEY}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Idempotency-Key": f"bench-{os.getpid()}-{threading.get_ident()}-{next(_counter)}",
        "Stripe-Version": "2023-10-16",
        "User-Agent": "Stripe/v1 PythonBindings/16.1.0",
        "Accept": "*/*",
    }


def _post(conn: http.client.HTTPConnection, path: str, body: bytes) -> bytes:
    conn.request("POST", path, body=body, headers=_headers())
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 200:
        raise RuntimeError(f"POST {path} answered {resp.status}: {data[:200]!r}")
    return data


def create_step(conn: http.client.HTTPConnection) -> None:
    """One create-PaymentIntent request (a ``drive_http`` step)."""
    _post(conn, "/v1/payment_intents", _CREATE_BODY)


def create_confirm_step(conn: http.client.HTTPConnection) -> None:
    """Create, then confirm with ``pm_card_visa`` (one payment = two requests)."""
    pi_id = json.loads(_post(conn, "/v1/payment_intents", _CREATE_BODY))["id"]
    _post(conn, f"/v1/payment_intents/{pi_id}/confirm", _CONFIRM_BODY)


def bench_stripe(
    seconds: float = 10.0, connections: int = 16, warmup: float = 2.0, confirm: bool = True
) -> dict[str, Any]:
    """Run the benchmark (see the module docstring), print figures and method, return them."""
    result: dict[str, Any] = {"load_before": load_average()}
    with SimProcess("stripe") as server:
        runs = [("create", create_step)] + ([("create+confirm", create_confirm_step)] if confirm else [])
        for label, step in runs:
            server.reset()
            latencies = drive_http(server.port, step, seconds=seconds, connections=connections, warmup=warmup)
            figures = summarize(latencies, seconds)
            figures["errors_in_journal"] = server.journal_errors()
            figures["server_rss_mb"] = server.rss_mb()
            result[label] = figures
        result["load_after"] = load_average()
    _print(result, seconds, connections, warmup)
    return result


def _print(result: dict[str, Any], seconds: float, connections: int, warmup: float) -> None:
    print(
        f"Stripe simulator over HTTP: `genai-demo sim stripe` (granian, 1 worker, 64 threads), {connections} "
        f"keep-alive connections from 2 client processes (the shared bench client), {warmup:g} s warm-up "
        "then "
        f"{seconds:g} s measured, SDK-shaped form POSTs with a fresh Idempotency-Key each; client and server "
        f"on the same {os.cpu_count()}-core machine."
    )
    create = result["create"]
    ok = create["rps"] >= TARGET_RPS and create["p99_ms"] < TARGET_P99_MS
    for label in ("create", "create+confirm"):
        r = result.get(label)
        if r is None:
            continue
        unit = "payments/s (2 requests each)" if label == "create+confirm" else "requests/s"
        print(
            f"  {label:15s} {r['rps']:8.0f} {unit:28s} p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms  "
            f"errors {r['errors_in_journal']}  server RSS {r['server_rss_mb']:.0f} MB"
        )
    before, after = result["load_before"], result.get("load_after", result["load_before"])
    print(
        f"  load average before {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}, "
        f"after {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}"
    )
    print(
        f"  target: create >= {TARGET_RPS:.0f} req/s with p99 < {TARGET_P99_MS:g} ms -> "
        f"{'met' if ok else 'NOT met'}"
    )


if __name__ == "__main__":
    bench_stripe()
