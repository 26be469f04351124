"""``genai-demo bench soak``: does a simulator's memory stay flat over a long run of mixed requests?

Method (printed with the figures): for each simulator (stripe, paypal, twilio, logistics) the real
``genai-demo sim <provider>`` process (granian, one worker, 64 blocking threads) runs on a free port
(:class:`simulators.kernel.bench_tools.SimProcess`). A count-based driver sends ``requests`` HTTP requests
on keep-alive ``http.client`` connections spread over spawned client processes; each connection repeats
the provider's *round*, shaped like what the official SDK sends:

* stripe: create a PaymentIntent (fresh ``Idempotency-Key``), confirm it with ``pm_card_visa``, retrieve
  it; every 8th round also lists the newest three;
* paypal: create an order, get it; every 8th round first fetches a new OAuth token (client credentials);
* twilio: create a message, fetch it; every 8th round also lists a page of 20;
* logistics (EasyPost): create a shipment (nine rates), buy its first rate, retrieve it; every 8th round
  also lists five shipments.

Any answer other than the documented success stops that connection and counts as an error. Meanwhile the
parent samples the resident memory of the simulator's process tree (``/proc/<pid>/status`` ``VmRSS``) and
the shared request count every ``interval`` seconds. The first ``warmup`` fraction of the requests is the
warm-up: by its end every state cap (objects, events, idempotency keys, messages, journal) should be full
and the oldest entries evicted, so from there memory must stay flat. Printed per simulator: requests,
requests/s, RSS at warm-up end, final and max, the growth after warm-up (final / warm-up end - 1) and the
slope in MB per 100k requests, a least-squares fit of RSS against requests over the post-warm-up samples.
Goal: flat (growth <= ``max_growth``) and max RSS under 200 MB per simulator. RSS counts the pages the
granian worker shares with its parent (``genai-demo sim``) twice; the PSS of the tree at the end (shared
pages counted once) is printed beside it.

``small_caps=True`` (``--small-caps``) starts each simulator with the caps of :data:`SMALL_CAPS`, so even a
short run fills them during warm-up; the default runs them with their shipped caps (the memory a long-lived
lab really reaches). The CI-sized version is ``tests/e2e/test_soak.py``.
"""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import multiprocessing
import os
import statistics
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from simulators.kernel.bench_tools import (
    SimProcess,
    load_average,
    tree_cpu_seconds,
    tree_pss_mb,
    tree_rss_mb,
)
from simulators.logistics.bench import SHIPMENT_BODY

PROVIDERS = ("stripe", "paypal", "twilio", "logistics")
GOAL_MAX_RSS_MB = 200.0
DEFAULT_MAX_GROWTH = 0.20

# Caps small enough that a few thousand requests fill every one of them (env of each simulator process).
SMALL_CAPS: dict[str, dict[str, str]] = {
    "stripe": {
        "STRIPE_SIM_MAX_OBJECTS": "500",
        "STRIPE_SIM_MAX_EVENTS": "500",
        "STRIPE_SIM_MAX_IDEMPOTENCY_KEYS": "500",
    },
    "paypal": {"PAYPAL_SIM_MAX_ORDERS": "500", "PAYPAL_SIM_MAX_EVENTS": "500"},
    "twilio": {"TWILIO_SIM_MAX_MESSAGES": "500"},
    "logistics": {"LOGISTICS_SIM_MAX_OBJECTS": "500"},
}
KERNEL_SMALL_CAPS = {"SIM_JOURNAL_SIZE": "200", "SIM_MAX_DELIVERIES": "200"}

# A round returns how many HTTP requests it sent; ``n`` is the connection's round number.
Round = Callable[[http.client.HTTPConnection, int, dict[str, Any]], int]


def _call(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes | None = None,
    expect: int = 200,
) -> Any:
    conn.request(method, path, body=body, headers=dict(headers))
    resp = conn.getresponse()
    data = resp.read()
    if resp.status != expect:
        raise RuntimeError(f"{method} {path} answered {resp.status}: {data[:200]!r}")
    return json.loads(data) if data else None


# -- stripe ------------------------------------------------------------------------------------------------
_STRIPE_KEY = "sk_test_soak000000000000000000000"
_ids = itertools.count()


def _stripe_headers(idempotent: bool = False) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {_STRIPE_KEY}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Stripe-Version": "2023-10-16",
        "User-Agent": "Stripe/v1 PythonBindings/16.1.0",
    }
    if idempotent:
        headers["Idempotency-Key"] = f"soak-{os.getpid()}-{threading.get_ident()}-{next(_ids)}"
    return headers


def stripe_round(conn: http.client.HTTPConnection, n: int, _state: dict[str, Any]) -> int:
    """Create + confirm + retrieve a PaymentIntent; every 8th round also list the newest three."""
    body = f"amount=2000&currency=usd&payment_method_types[0]=card&metadata[order_id]=ord_{n}".encode()
    intent = _call(conn, "POST", "/v1/payment_intents", _stripe_headers(True), body)
    pi = intent["id"]
    _call(
        conn,
        "POST",
        f"/v1/payment_intents/{pi}/confirm",
        _stripe_headers(True),
        b"payment_method=pm_card_visa",
    )
    if _call(conn, "GET", f"/v1/payment_intents/{pi}", _stripe_headers())["status"] != "succeeded":
        raise RuntimeError(f"{pi} did not succeed with pm_card_visa")
    if n % 8 == 0:
        _call(conn, "GET", "/v1/payment_intents?limit=3", _stripe_headers())
        return 4
    return 3


# -- paypal ------------------------------------------------------------------------------------------------
_PAYPAL_BASIC = base64.b64encode(b"genai-demo-client:genai-demo-secret").decode()
_PAYPAL_ORDER = json.dumps(
    {
        "intent": "CAPTURE",
        "purchase_units": [
            {
                "reference_id": "ord_soak",
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
    }
).encode()


def paypal_round(conn: http.client.HTTPConnection, n: int, state: dict[str, Any]) -> int:
    """Create an order and get it; every 8th round (and the first) fetch a new OAuth token first."""
    sent = 0
    if n % 8 == 0 or "token" not in state:
        token = _call(
            conn,
            "POST",
            "/v1/oauth2/token",
            {
                "Authorization": f"Basic {_PAYPAL_BASIC}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            b"grant_type=client_credentials",
        )
        state["token"] = token["access_token"]
        sent += 1
    headers = {"Authorization": f"Bearer {state['token']}", "Content-Type": "application/json"}
    order = _call(conn, "POST", "/v2/checkout/orders", headers, _PAYPAL_ORDER, expect=201)
    got = _call(conn, "GET", f"/v2/checkout/orders/{order['id']}", headers)
    if got["status"] != "CREATED":
        raise RuntimeError(f"order {order['id']} is {got['status']}")
    return sent + 2


# -- twilio ------------------------------------------------------------------------------------------------
_TWILIO_SID = "AC00000000000000000000000000000000"
_TWILIO_HEADERS = {
    "Authorization": "Basic " + base64.b64encode(f"{_TWILIO_SID}:genai-demo-twilio-token".encode()).decode(),
    "Content-Type": "application/x-www-form-urlencoded",
    "User-Agent": "twilio-python/9.0.0 (Linux x86_64) Python/3.11",
}
_TWILIO_MESSAGES = f"/2010-04-01/Accounts/{_TWILIO_SID}/Messages"


def twilio_round(conn: http.client.HTTPConnection, n: int, _state: dict[str, Any]) -> int:
    """Create a message and fetch it; every 8th round also list a page of 20."""
    body = f"To=%2B15558675310&From=%2B15005550006&Body=Order+ord_{n}+has+shipped".encode()
    message = _call(conn, "POST", f"{_TWILIO_MESSAGES}.json", _TWILIO_HEADERS, body, expect=201)
    _call(conn, "GET", f"{_TWILIO_MESSAGES}/{message['sid']}.json", _TWILIO_HEADERS)
    if n % 8 == 0:
        _call(conn, "GET", f"{_TWILIO_MESSAGES}.json?PageSize=20", _TWILIO_HEADERS)
        return 3
    return 2


# -- logistics ---------------------------------------------------------------------------------------------
_EASYPOST_HEADERS = {
    "Authorization": "Bearer EZTK_soak",
    "Content-Type": "application/json",
    "User-Agent": "EasyPost/v2 PythonClient/10.7.0 Python/3.11",
}


def logistics_round(conn: http.client.HTTPConnection, n: int, _state: dict[str, Any]) -> int:
    """Create a shipment, buy its first rate, retrieve it; every 8th round also list five shipments."""
    shipment = _call(conn, "POST", "/v2/shipments", _EASYPOST_HEADERS, SHIPMENT_BODY, expect=201)
    body = json.dumps({"rate": {"id": shipment["rates"][0]["id"]}}).encode()
    _call(conn, "POST", f"/v2/shipments/{shipment['id']}/buy", _EASYPOST_HEADERS, body)
    if not _call(conn, "GET", f"/v2/shipments/{shipment['id']}", _EASYPOST_HEADERS).get("tracking_code"):
        raise RuntimeError(f"bought shipment {shipment['id']} has no tracking code")
    if n % 8 == 0:
        _call(conn, "GET", "/v2/shipments?page_size=5", _EASYPOST_HEADERS)
        return 4
    return 3


ROUNDS: dict[str, Round] = {
    "stripe": stripe_round,
    "paypal": paypal_round,
    "twilio": twilio_round,
    "logistics": logistics_round,
}


# -- the count-based driver --------------------------------------------------------------------------------
def _client(
    provider: str, port: int, connections: int, target: int, done: Any, errors: Any, last: Any
) -> None:
    """One client process: ``connections`` threads, each on its own keep-alive connection, repeating the
    provider's round until ``done`` (shared by every client) reaches ``target``."""
    step = ROUNDS[provider]

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        state: dict[str, Any] = {}
        n = 0
        try:
            while done.value < target:
                sent = step(conn, n, state)
                n += 1
                with done.get_lock():
                    done.value += sent
        except Exception as exc:  # noqa: BLE001 - counted and reported by the parent, never swallowed
            with errors.get_lock():
                errors.value += 1
            last.value = str(exc)[:250].encode("utf-8", "replace")
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@dataclass
class SoakResult:
    """One simulator's run: the samples ``(seconds, requests, rss_mb)`` and what they say."""

    provider: str
    requests: int
    seconds: float
    errors: int
    last_error: str
    warmup_requests: int
    samples: list[tuple[float, int, float]] = field(default_factory=list)
    cpu_seconds: float = 0.0
    pss_final: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def post_warmup(self) -> list[tuple[float, int, float]]:
        return [s for s in self.samples if s[1] >= self.warmup_requests]

    @property
    def rss_warm(self) -> float:
        """RSS at the first sample at or past the warm-up's request count."""
        post = self.post_warmup
        return post[0][2] if post else self.samples[-1][2]

    @property
    def rss_final(self) -> float:
        return self.samples[-1][2]

    @property
    def rss_max(self) -> float:
        return max(s[2] for s in self.samples)

    @property
    def growth(self) -> float:
        """Final RSS over RSS at warm-up end, minus one (0.05 = grew 5 %)."""
        return self.rss_final / self.rss_warm - 1.0

    @property
    def slope_mb_per_100k(self) -> float:
        """Least-squares slope of RSS against requests after warm-up, in MB per 100,000 requests."""
        post = self.post_warmup
        if len(post) < 2 or post[0][1] == post[-1][1]:
            return 0.0
        fit = statistics.linear_regression([float(s[1]) for s in post], [s[2] for s in post])
        return fit.slope * 100_000


def soak_one(
    provider: str,
    requests: int,
    *,
    env: Mapping[str, str] | None = None,
    connections: int = 8,
    clients: int = 2,
    warmup: float = 0.2,
    interval: float = 0.5,
) -> SoakResult:
    """Run one simulator through ``requests`` requests of its round (see the module docstring)."""
    ctx = multiprocessing.get_context("spawn")
    done = ctx.Value("q", 0)
    errors = ctx.Value("i", 0)
    last = ctx.Array("c", 256)
    sim_env = {**os.environ, **(env or {})}
    with SimProcess(provider, env=sim_env) as server:
        per = max(1, connections // clients)
        procs = [
            ctx.Process(target=_client, args=(provider, server.port, per, requests, done, errors, last))
            for _ in range(clients)
        ]
        started = time.perf_counter()
        for proc in procs:
            proc.start()
        samples = [(0.0, 0, tree_rss_mb(server.pid))]
        while any(p.is_alive() for p in procs):
            time.sleep(interval)
            samples.append((time.perf_counter() - started, int(done.value), tree_rss_mb(server.pid)))
        elapsed = time.perf_counter() - started
        for proc in procs:
            proc.join()
        samples.append((elapsed, int(done.value), tree_rss_mb(server.pid)))
        cpu = tree_cpu_seconds(server.pid)
        pss = tree_pss_mb(server.pid)
    return SoakResult(
        provider=provider,
        requests=int(done.value),
        seconds=elapsed,
        errors=int(errors.value),
        last_error=cast(Any, last).value.decode("utf-8", "replace"),  # "c" arrays have .value
        warmup_requests=int(requests * warmup),
        samples=samples,
        cpu_seconds=cpu,
        pss_final=pss,
    )


def caps_env(provider: str, small_caps: bool) -> dict[str, str]:
    """The env that starts ``provider`` with :data:`SMALL_CAPS` (empty: shipped caps)."""
    return {**KERNEL_SMALL_CAPS, **SMALL_CAPS.get(provider, {})} if small_caps else {}


def bench_soak(
    requests: int = 1_000_000,
    providers: Sequence[str] = PROVIDERS,
    *,
    small_caps: bool = False,
    connections: int = 8,
    clients: int = 2,
    warmup: float = 0.2,
    max_growth: float = DEFAULT_MAX_GROWTH,
    echo: Callable[[str], None] = print,
) -> list[SoakResult]:
    """Soak each simulator in turn, print the method and one line of figures each, return the results."""
    echo(
        f"Soak: per simulator the real `genai-demo sim <provider>` process (granian, 1 worker, 64 threads), "
        f"{requests:,} requests of SDK-shaped rounds (create + act + read, a list every 8th round) on "
        f"{connections} keep-alive connections from {clients} client processes, count-based; RSS of the "
        f"simulator's process tree sampled every 0.5 s; the first {warmup:.0%} of the requests are warm-up "
        f"(caps: {'small, see SMALL_CAPS' if small_caps else 'shipped defaults'}); slope = least squares of "
        f"RSS on requests after warm-up. Client and server share this {os.cpu_count()}-core machine "
        f"(load average before: {' '.join(f'{x:.2f}' for x in load_average())})."
    )
    echo(
        f"  {'simulator':10s} {'requests':>10s} {'req/s':>7s} {'errors':>6s} {'RSS warm':>9s} {'final':>7s} "
        f"{'max':>7s} {'growth':>7s} {'MB/100k':>8s} {'PSS end':>8s}  verdict"
    )
    results = []
    for provider in providers:
        r = soak_one(
            provider,
            requests,
            env=caps_env(provider, small_caps),
            connections=connections,
            clients=clients,
            warmup=warmup,
        )
        results.append(r)
        ok = r.errors == 0 and r.growth <= max_growth and r.rss_max < GOAL_MAX_RSS_MB
        echo(
            f"  {provider:10s} {r.requests:>10,} {r.rps:>7.0f} {r.errors:>6d} {r.rss_warm:>7.1f}MB "
            f"{r.rss_final:>5.1f}MB {r.rss_max:>5.1f}MB {r.growth:>+7.1%} {r.slope_mb_per_100k:>+8.2f} "
            f"{r.pss_final:>6.1f}MB  "
            f"{'flat, under 200 MB' if ok else 'NOT met'}"
            + (f"  (last error: {r.last_error})" if r.errors else "")
        )
    echo(
        f"  goal: no errors, growth after warm-up <= {max_growth:.0%}, max RSS < {GOAL_MAX_RSS_MB:.0f} MB "
        f"per simulator; load average after: {' '.join(f'{x:.2f}' for x in load_average())}"
    )
    return results
