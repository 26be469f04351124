"""``genai-demo bench logistics``: the EasyPost simulator's create-shipment throughput and latency over HTTP.

Method (printed with the figures): the real ``genai-demo sim logistics`` process (granian, one worker, 64
blocking threads, default settings) on a free port (:class:`simulators.kernel.bench_tools.SimProcess`); the
shared load driver (:func:`simulators.kernel.bench_tools.drive_http`: ``connections`` keep-alive
``http.client`` connections over 2 spawned client processes) sends what easypost-python 10 sends for
``client.shipment.create(to_address=..., from_address=..., parcel=...)``: a JSON body with two inline
addresses and a parcel, ``Authorization: Bearer <key>`` and the SDK's User-Agent. Each answer holds nine rates
(USPS, UPS, FedEx). ``warmup`` seconds are discarded, then ``seconds`` are measured: requests/s, p50, p99. A
second run measures create + buy of the first rate (two requests per label; each buy schedules a tracker's
journey and sends two events). Client and server share the machine; the load average, any 4xx/5xx the
journal saw, and the server's memory are printed too. Target (the Stripe simulator's class): >= 1,350
creates/s with p99 < 25 ms on 2 cores.
"""

from __future__ import annotations

import http.client
import json
import os
from typing import Any

from simulators.kernel.bench_tools import SimProcess, drive_http, load_average, summarize

KEY = "EZTK_benchmark"
TARGET_RPS = 1350.0
TARGET_P99_MS = 25.0
HEADERS = {
    "Authorization": f"Bearer {KEY}",
    "Content-Type": "application/json",
    "User-Agent": "EasyPost/v2 PythonClient/10.7.0 Python/3.11",
    "Accept": "*/*",
}
SHIPMENT_BODY = json.dumps(
    {
        "shipment": {
            "to_address": {
                "name": "Ada Lovelace",
                "street1": "179 N Harbor Dr",
                "city": "Redondo Beach",
                "state": "CA",
                "zip": "90277",
                "country": "US",
            },
            "from_address": {
                "company": "genai-demo",
                "street1": "388 Townsend St",
                "city": "San Francisco",
                "state": "CA",
                "zip": "94107",
                "country": "US",
            },
            "parcel": {"length": 10, "width": 8, "height": 4, "weight": 15.4},
        }
    }
).encode()


def _post(conn: http.client.HTTPConnection, path: str, body: bytes, expect: int) -> bytes:
    conn.request("POST", path, body=body, headers=HEADERS)
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != expect:
        raise RuntimeError(f"POST {path} answered {resp.status}: {data[:200]!r}")
    return data


def create_step(conn: http.client.HTTPConnection) -> None:
    """One create-shipment request (a ``drive_http`` step)."""
    _post(conn, "/v2/shipments", SHIPMENT_BODY, 201)


def create_buy_step(conn: http.client.HTTPConnection) -> None:
    """Create a shipment, then buy its first rate (one label = two requests)."""
    shipment = json.loads(_post(conn, "/v2/shipments", SHIPMENT_BODY, 201))
    body = json.dumps({"rate": {"id": shipment["rates"][0]["id"]}}).encode()
    _post(conn, f"/v2/shipments/{shipment['id']}/buy", body, 200)


def bench_logistics(
    seconds: float = 10.0, connections: int = 16, warmup: float = 2.0, buy: bool = True
) -> dict[str, Any]:
    """Run the benchmark (see the module docstring), print figures and method, return them."""
    result: dict[str, Any] = {"load_before": load_average()}
    with SimProcess("logistics") as server:
        runs = [("create", create_step)] + ([("create+buy", create_buy_step)] if buy else [])
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
        "EasyPost simulator over HTTP: `genai-demo sim logistics` (granian, 1 worker, 64 threads), "
        f"{connections} keep-alive connections from 2 client processes (the shared bench client), "
        f"{warmup:g} s warm-up then {seconds:g} s measured, SDK-shaped JSON create-shipment POSTs "
        f"(9 rates each); client and server on the same {os.cpu_count()}-core machine."
    )
    for label in ("create", "create+buy"):
        r = result.get(label)
        if r is None:
            continue
        unit = "labels/s (2 requests each)" if label == "create+buy" else "requests/s"
        print(
            f"  {label:12s} {r['rps']:8.0f} {unit:27s} p50 {r['p50_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms  "
            f"errors {r['errors_in_journal']}  server RSS {r['server_rss_mb']:.0f} MB"
        )
    create = result["create"]
    ok = create["rps"] >= TARGET_RPS and create["p99_ms"] < TARGET_P99_MS
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
    bench_logistics()
