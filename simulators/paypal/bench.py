"""Benchmark: the PayPal simulator's create-order throughput and latency over HTTP.

Method (printed with the figures):

* The simulator runs as the real process, ``genai-demo sim paypal`` (granian, one worker, 64 blocking
  threads), on a free port with ``--seed 1``.
* One OAuth token is fetched first (``POST /v1/oauth2/token``), as a client that caches its token would.
* The process is started and measured by :class:`simulators.kernel.bench_tools.SimProcess`; load comes
  from the shared driver (:func:`simulators.kernel.bench_tools.drive_http`): ``connections`` keep-alive
  connections spread over ``clients`` processes, a 1 s warm-up, then ``seconds`` measured. Each step
  (:func:`create_order_step`) is PayPal's ``POST /v2/checkout/orders``: the bearer token, a 1-item
  CAPTURE order with a full amount breakdown (so every validation rule runs), ``Prefer: return=minimal``;
  any answer but 201 stops that connection.
* Reported: requests/s, p50 and p99 latency, 4xx/5xx in the journal, the server's CPU share and resident
  memory before/after, read from ``/proc`` (state per app is capped at ``PAYPAL_SIM_MAX_ORDERS``, so
  memory stays flat), and the machine's load average while measuring (client and server share the
  machine's cores).

``genai-demo bench paypal`` calls :func:`bench_paypal`.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import time
from typing import Any

import requests

from simulators.kernel.bench_tools import SimProcess, drive_http, load_average, summarize

ORDER_BODY = json.dumps(
    {
        "intent": "CAPTURE",
        "purchase_units": [
            {
                "reference_id": "ord_123456789",
                "custom_id": "ord_123456789",
                "description": "genai-demo order",
                "amount": {
                    "currency_code": "USD",
                    "value": "54.98",
                    "breakdown": {
                        "item_total": {"currency_code": "USD", "value": "49.98"},
                        "shipping": {"currency_code": "USD", "value": "5.00"},
                    },
                },
                "items": [
                    {
                        "name": "Widget",
                        "quantity": "2",
                        "unit_amount": {"currency_code": "USD", "value": "24.99"},
                    }
                ],
            }
        ],
        "application_context": {
            "return_url": "http://127.0.0.1:8000/return",
            "cancel_url": "http://127.0.0.1:8000/cancel",
        },
    }
).encode()


def create_order_step(conn: http.client.HTTPConnection, token: str) -> None:
    """One ``POST /v2/checkout/orders`` (a kernel ``drive_http`` step); anything but 201 stops the worker."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Prefer": "return=minimal",
        "User-Agent": "bench/1.0",
    }
    conn.request("POST", "/v2/checkout/orders", body=ORDER_BODY, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != 201:
        raise RuntimeError(f"create order answered {resp.status}: {data[:200]!r}")


def bench_paypal(seconds: float = 10.0, connections: int = 16, clients: int = 2) -> dict[str, Any]:
    """Run the benchmark against a fresh ``genai-demo sim paypal`` process; print and return the figures."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYPAL_")}
    with SimProcess("paypal", env=env) as server:
        base = server.url
        token = requests.post(
            base + "/v1/oauth2/token",
            auth=("genai-demo-client", "genai-demo-secret"),
            data={"grant_type": "client_credentials"},
            timeout=10,
        ).json()["access_token"]
        probe = requests.post(
            base + "/v2/checkout/orders",
            data=ORDER_BODY,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            timeout=10,
        )
        if probe.status_code != 201:
            raise RuntimeError(f"create order failed before the run: {probe.status_code} {probe.text[:200]}")
        rss_before, cpu_before = server.rss_mb(), server.cpu_seconds()
        load_before = load_average()
        started = time.monotonic()
        step = functools.partial(create_order_step, token=token)
        latencies = drive_http(server.port, step, seconds=seconds, connections=connections, clients=clients)
        wall = time.monotonic() - started
        load_after = load_average()
        rss_after, cpu_after = server.rss_mb(), server.cpu_seconds()
        errors = server.journal_errors()
    result: dict[str, Any] = {
        **summarize(latencies, seconds),
        "server_cpu_cores": (cpu_after - cpu_before) / wall,
        "rss_mb_before": rss_before,
        "rss_mb_after": rss_after,
        "load_before": load_before,
        "load_after": load_after,
        "errors_in_journal": errors,
    }
    _print(result, seconds, connections, clients)
    return result


def _print(r: dict[str, Any], seconds: float, connections: int, clients: int) -> None:
    print(
        "PayPal simulator, POST /v2/checkout/orders "
        "(1 item + breakdown, Prefer: return=minimal, one cached token)\n"
        f"  server: genai-demo sim paypal (granian, 1 worker, 64 threads); load: shared bench client, "
        f"{connections} keep-alive connections from {clients} processes, {seconds:g} s after a 1 s warm-up, "
        f"same machine ({os.cpu_count()} cores)"
    )
    print(
        f"  {r['rps']:8.0f} req/s   p50 {r['p50_ms']:6.2f} ms   p99 {r['p99_ms']:6.2f} ms   "
        f"({r['requests']} requests; 4xx/5xx among the journal's last 1000: {r['errors_in_journal']})"
    )
    rss = f"RSS {r['rss_mb_before']:.0f} -> {r['rss_mb_after']:.0f} MB"
    print(f"  server CPU {r['server_cpu_cores']:.2f} cores; {rss}")
    lb, la = r["load_before"], r["load_after"]
    before, after = " ".join(f"{x:.2f}" for x in lb), " ".join(f"{x:.2f}" for x in la)
    print(f"  load average (1/5/15 min) before {before}, after {after}")
    print("  target (the Stripe simulator's): >= 1350 req/s, p99 < 25 ms")


if __name__ == "__main__":
    bench_paypal()
