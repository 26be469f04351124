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
    ServerProcess,
    SimProcess,
    load_average,
    tree_cpu_seconds,
    tree_pss_mb,
    tree_rss_mb,
)
from simulators.logistics.bench import SHIPMENT_BODY
from simulators.paypal.bench import ORDER_BODY

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
    order = _call(conn, "POST", "/v2/checkout/orders", headers, ORDER_BODY, expect=201)
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


# -- the service -------------------------------------------------------------------------------------------
SERVICE_PART = "service"
#: the checkout's order (one line, 25.00 USD); a fresh Idempotency-Key per checkout
_SOAK_ORDER = json.dumps(
    {
        "customer_ref": "cus_soak",
        "currency": "USD",
        "items": [{"sku": "SOAK", "name": "Soak tee", "quantity": 1, "unit_amount": 2500}],
    }
).encode()


@dataclass
class ServiceSoakResult(SoakResult):
    """The service's run: ``requests`` counts checkouts here, and ``samples`` are ``(seconds, checkouts,
    rss_mb)``; ``pss_samples`` are ``(checkouts, pss_mb)`` (PSS is costlier to read, so sampled less)."""

    pss_samples: list[tuple[int, float]] = field(default_factory=list)
    http_requests: int = 0
    not_paid: int = 0

    @property
    def slope_mb_per_10k(self) -> float:
        """Least-squares slope of RSS against checkouts after warm-up, in MB per 10,000 checkouts."""
        return self.slope_mb_per_100k / 10

    @property
    def pss_growth(self) -> float:
        post = [p for c, p in self.pss_samples if c >= self.warmup_requests]
        return post[-1] / post[0] - 1.0 if len(post) >= 2 and post[0] else 0.0


def _checkout_worker(
    service: str, stripe: str, token: str, target: int, done: Any, errors: Any, last: Any, counts: Any
) -> None:
    """One client thread: checkouts until ``done`` reaches ``target``. A checkout: ``POST /orders``
    (Idempotency-Key), ``POST /orders/{id}/payments`` (Stripe), confirm at the Stripe simulator as
    Stripe.js does (publishable key + client secret, ``pm_card_visa``), then ``GET /orders/{id}`` until
    the PAID webhook has been applied (10 s at most)."""
    host, port = service.rsplit(":", 1)
    api = http.client.HTTPConnection(host.split("//")[1], int(port), timeout=30)
    shost, sport = stripe.rsplit(":", 1)
    sim = http.client.HTTPConnection(shost.split("//")[1], int(sport), timeout=30)
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    sent = 0
    try:
        while True:
            with done.get_lock():
                if done.value >= target:
                    return
                done.value += 1
                n = done.value
            key = {**auth, "Idempotency-Key": f"soak-{os.getpid()}-{threading.get_ident()}-{n}"}
            order = _call(api, "POST", "/api/v1/orders", key, _SOAK_ORDER, expect=201)
            body = json.dumps({"provider": "stripe"}).encode()
            payment = _call(api, "POST", f"/api/v1/orders/{order['id']}/payments", auth, body, expect=201)
            confirm = f"client_secret={payment['client_secret']}&payment_method=pm_card_visa".encode()
            _call(
                sim,
                "POST",
                f"/v1/payment_intents/{payment['provider_ref']}/confirm",
                {
                    "Authorization": f"Bearer {payment['publishable_key']}",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                confirm,
            )
            sent += 3
            deadline = time.monotonic() + 10
            while True:
                sent += 1
                if _call(api, "GET", f"/api/v1/orders/{order['id']}", auth)["status"] == "PAID":
                    break
                if time.monotonic() > deadline:
                    with counts.get_lock():
                        counts[1] += 1  # not PAID in time: counted, the soak goes on
                    break
                time.sleep(0.05)
    except Exception as exc:  # noqa: BLE001 - counted and reported by the parent, never swallowed
        with errors.get_lock():
            errors.value += 1
        last.value = str(exc)[:250].encode("utf-8", "replace")
    finally:
        with counts.get_lock():
            counts[0] += sent
        api.close()
        sim.close()


def _checkout_client(
    service: str, stripe: str, token: str, threads: int, target: int, done: Any, errors: Any, last: Any,
    counts: Any,
) -> None:  # fmt: skip
    """One client process of ``threads`` checkout threads (see :func:`_checkout_worker`)."""
    workers = [
        threading.Thread(
            target=_checkout_worker, args=(service, stripe, token, target, done, errors, last, counts)
        )
        for _ in range(threads)
    ]
    for t in workers:
        t.start()
    for t in workers:
        t.join()


def _wait_live(url: str, timeout: float = 60.0) -> None:
    """Until ``url`` answers 200 (the service listens before its app is loaded)."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer 200 within {timeout:.0f} s")
        time.sleep(0.2)


class ServiceProcess(ServerProcess):
    """``genai-demo service`` on ``port``, ready once ``/health/live`` answers (its app is loaded); two
    minutes allowed, a loaded machine starts it slowly."""

    def ready(self) -> None:
        _wait_live(self.url + "/health/live", timeout=120.0)


def soak_service(
    checkouts: int,
    *,
    connections: int = 8,
    clients: int = 2,
    warmup: float = 0.2,
    interval: float = 1.0,
    pss_every: int = 10,
    database_url: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ServiceSoakResult:
    """Run ``checkouts`` checkouts through the real service process and sample its memory.

    The Stripe simulator runs as its own process (shipped caps) with the service's credentials and its
    webhook endpoint wired to the service, as ``genai-demo up`` wires it; the service
    (``genai-demo service``, one granian worker, SQLite in a temporary folder unless ``database_url``)
    trusts a bench issuer, whose admin token the clients send; the rate limit is raised so the clients
    are never refused, and the email, invoice and AWS steps that need other simulators are off. RSS of
    the service's process tree is sampled every ``interval`` seconds, PSS every ``pss_every`` samples;
    ``progress`` (if given) gets a line at every tenth of the checkouts.
    """
    import sys
    import tempfile

    from reference_service.config import load_settings
    from simulators.kernel.bench_tools import free_port
    from simulators.lab.bench_auth import ISSUER, Signer
    from simulators.lab.wiring import credential_env
    from simulators.registry import load_wire

    signer = Signer()
    token = signer.token("usr_soak_admin", "admin")
    creds = credential_env(load_settings(env={}))
    ctx = multiprocessing.get_context("spawn")
    done, errors, last = ctx.Value("q", 0), ctx.Value("i", 0), ctx.Array("c", 256)
    counts = ctx.Array("q", 2)  # HTTP requests sent, checkouts not PAID within 10 s
    with (
        tempfile.TemporaryDirectory(prefix="soak-service-") as folder,
        SimProcess("stripe", env={**os.environ, **creds}) as stripe,
    ):
        port = free_port()
        service_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            **creds,
            "DATABASE_URL": database_url or f"sqlite:///{folder}/soak.db",
            "SERVICE_PUBLIC_URL": service_url,
            "STRIPE_API_BASE": stripe.url,
            "AUTH_ISSUER": ISSUER,
            "AUTH_JWKS": signer.jwks,
            "RATELIMIT_DEFAULT": "10000000/minute",
            "LOG_LEVEL": "WARNING",
            "AWS_PROVISION_ON_START": "false",
            "S3_PROVISION_ON_START": "false",
            "FILES_INVOICE_ON_PAID": "false",
            "FILES_LABEL_ON_DELIVERY": "false",
            "EMAIL_ORDER_CONFIRMATION": "false",
        }
        env.pop("MSK_BOOTSTRAP_SERVERS", None)  # events stay in the service's process
        wire = load_wire("stripe")
        if wire is not None:
            env.update(wire(stripe.url, service_url, env))
        cmd = [sys.executable, "-m", "simulators.lab.cli", "service", "--port", str(port)]
        with ServiceProcess(cmd, port, env) as server:
            per = max(1, connections // clients)
            args = (service_url, stripe.url, token, per, checkouts, done, errors, last, counts)
            procs = [ctx.Process(target=_checkout_client, args=args) for _ in range(clients)]
            started = time.perf_counter()
            for proc in procs:
                proc.start()
            samples = [(0.0, 0, tree_rss_mb(server.pid))]
            pss_samples = [(0, tree_pss_mb(server.pid))]
            tenth = max(1, checkouts // 10)
            next_report = tenth
            while any(p.is_alive() for p in procs):
                time.sleep(interval)
                samples.append((time.perf_counter() - started, int(done.value), tree_rss_mb(server.pid)))
                if len(samples) % pss_every == 0:
                    pss_samples.append((int(done.value), tree_pss_mb(server.pid)))
                if progress is not None and samples[-1][1] >= next_report:
                    seconds, count, rss = samples[-1]
                    progress(f"  ... {count:,} checkouts in {seconds:.0f} s, service RSS {rss:.1f} MB")
                    next_report = (count // tenth + 1) * tenth
            elapsed = time.perf_counter() - started
            for proc in procs:
                proc.join()
            samples.append((elapsed, int(done.value), tree_rss_mb(server.pid)))
            pss_samples.append((int(done.value), tree_pss_mb(server.pid)))
            cpu = tree_cpu_seconds(server.pid)
    return ServiceSoakResult(
        provider=SERVICE_PART,
        requests=int(done.value),
        seconds=elapsed,
        errors=int(errors.value),
        last_error=cast(Any, last).value.decode("utf-8", "replace"),
        warmup_requests=int(checkouts * warmup),
        samples=samples,
        cpu_seconds=cpu,
        pss_final=pss_samples[-1][1],
        pss_samples=pss_samples,
        http_requests=int(counts[0]),
        not_paid=int(counts[1]),
    )


def bench_soak_service(
    checkouts: int = 100_000,
    *,
    connections: int = 8,
    clients: int = 2,
    warmup: float = 0.2,
    max_growth: float = DEFAULT_MAX_GROWTH,
    echo: Callable[[str], None] = print,
) -> ServiceSoakResult:
    """Soak the service (see :func:`soak_service`), print the method and its figures, return them."""
    echo(
        f"Service soak: the real `genai-demo service` process (granian, 1 worker, SQLite) and the Stripe "
        f"simulator (its own process, shipped caps, webhooks wired to the service); {checkouts:,} checkouts "
        f"(create order, start the Stripe payment, confirm as Stripe.js at the simulator, poll until the "
        f"PAID webhook is applied) from {connections} threads in {clients} client processes; RSS of the "
        f"service's process tree sampled every second, PSS every 10 s; the first {warmup:.0%} of the "
        f"checkouts are warm-up; slope = least squares of RSS on checkouts after warm-up. Everything shares "
        f"this {os.cpu_count()}-core machine (load average before: "
        f"{' '.join(f'{x:.2f}' for x in load_average())})."
    )
    r = soak_service(checkouts, connections=connections, clients=clients, warmup=warmup, progress=echo)
    ok = r.errors == 0 and r.not_paid == 0 and r.growth <= max_growth
    echo(
        f"  {'part':10s} {'checkouts':>10s} {'co/s':>6s} {'errors':>6s} {'not PAID':>8s} {'RSS warm':>9s} "
        f"{'final':>7s} {'max':>7s} {'growth':>7s} {'MB/10k':>7s} {'PSS end':>8s} {'PSS gr.':>7s}  verdict"
    )
    echo(
        f"  {SERVICE_PART:10s} {r.requests:>10,} {r.rps:>6.1f} {r.errors:>6d} {r.not_paid:>8d} "
        f"{r.rss_warm:>7.1f}MB {r.rss_final:>5.1f}MB {r.rss_max:>5.1f}MB {r.growth:>+7.1%} "
        f"{r.slope_mb_per_10k:>+7.2f} {r.pss_final:>6.1f}MB {r.pss_growth:>+7.1%}  "
        f"{'flat' if ok else 'NOT met'}" + (f"  (last error: {r.last_error})" if r.errors else "")
    )
    echo(
        f"  {r.http_requests:,} HTTP requests in {r.seconds:.0f} s, service CPU {r.cpu_seconds:.0f} s; "
        f"goal: no errors, every order PAID, growth after warm-up <= {max_growth:.0%}; load average after: "
        f"{' '.join(f'{x:.2f}' for x in load_average())}"
    )
    return r
