"""``genai-demo bench checkout``: the service's Stripe checkout path under an open-loop arrival rate.

Method (printed with the figures). For each worker count the bench starts, from nothing:

* a database: PostgreSQL ``bench_checkout`` (dropped and created again; ``--database-url`` names the server
  and the database) or, with ``--sqlite``, the embedded default engine on a file in a temporary folder;
* ``genai-demo sim stripe`` (a fresh one, so its journal and deliveries hold only this run), wired as
  ``genai-demo up`` wires it (the service's webhook endpoint and its signing secret);
* ``genai-demo service --workers N`` on a free port, with the rate limit counted in Redis
  (``RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379``, a key prefix of its own), tokens verified against
  the identity simulator's published keys (one ``genai-demo sim identity`` for the whole bench). The
  post-PAID side effects that call other providers (confirmation email, invoice PDF on S3) are off: their
  simulators are not part of this path.

Checkouts arrive on a fixed schedule (open loop: checkout ``i`` starts at ``i / rate`` whatever the service
is doing; a pool of client threads runs them) for ``warmup`` + ``seconds``; only those scheduled after the
warm-up are measured. ``CUSTOMERS`` customers, each with an access token of their own, take turns. One
checkout is what a browser does:

1. ``POST /api/v1/orders``;
2. ``POST /api/v1/orders/{id}/payments`` ``{"provider": "stripe"}`` (the service creates the
   PaymentIntent);
3. the confirm, straight to the Stripe simulator as Stripe.js sends it (publishable key, client secret,
   ``pm_card_visa``);
4. PAID: the ``payment_intent.succeeded`` webhook applied by the service.

Figures: achieved checkouts/s (measured checkouts that reached PAID, over the measured window or until the
last one was PAID if later), p50/p95 of 1 and 2 as the client saw them, 2 minus the provider's own time (the
Stripe simulator's journal: ``duration_ms`` of the requests the service made for that order, from the
request arriving to the answer leaving the simulator; an attempt the simulator did not serve in time, which
the service timed out and retried, is not in the journal, so that wait counts as the service's: read
``external_api_requests_total{outcome="network_error"}`` on the service's /metrics), and confirm->PAID.
**How PAID is observed**: the simulator's delivery record of that PaymentIntent's
``payment_intent.succeeded`` webhook, whose ``completed_at`` is the wall-clock time the service's 2xx
arrived; the service acknowledges a webhook only after its effect is committed, so this is the commit plus
the answer's way back (well under a millisecond on loopback); the bench's ``time.time()`` after the confirm
returned is on the same clock, so the resolution is that of the clock (microseconds), and the client sends
no polling requests that would load the service. Every measured order is then read back (``GET
/api/v1/orders/{id}``) and one not PAID counts as an error.
"""

from __future__ import annotations

import contextlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs

import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from reference_service.config import load_settings
from simulators.kernel.bench_tools import ServerProcess, SimProcess, free_port
from simulators.lab.wiring import credential_env
from simulators.registry import load_wire

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_checkout"
REDIS_URL = "redis://127.0.0.1:6379"
CUSTOMERS = 50
CLIENT_THREADS = 96
ORDER_ITEMS = [{"sku": "BENCH-TEE", "name": "Bench tee", "quantity": 1, "unit_amount": 2500}]
#: targets at 50 checkouts/s on PostgreSQL (the bench prints met/not met beside each)
TARGET_ORDER_P50_MS = 10.0
TARGET_PAY_OWN_P50_MS = 20.0
TARGET_PAID_P95_MS = 50.0


@dataclass
class Checkout:
    """What the client saw of one checkout (times in seconds; ``confirmed_at`` is ``time.time()``)."""

    scheduled: float
    measured: bool
    customer: int = 0
    order_id: str | None = None
    payment_intent: str | None = None
    order_s: float | None = None
    pay_s: float | None = None
    confirmed_at: float | None = None
    error: str | None = None


@dataclass
class RunResult:
    """The figures of one worker count."""

    workers: int
    checkouts: int
    paid: int
    per_second: float
    order_ms: tuple[float, float]
    pay_ms: tuple[float, float]
    pay_own_ms: tuple[float, float]
    paid_ms: tuple[float, float]
    #: CPU the service's processes used per checkout (warm-up included, webhooks included): it moves far
    #: less than the latencies with what else the machine runs (about +-15 % at load 15-25 on 2 cores)
    cpu_ms: float = float("nan")
    errors: dict[str, int] = field(default_factory=dict)
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)
    #: share of the machine's CPU time the hypervisor gave to other guests during the run (``steal`` in
    #: ``/proc/stat``): on a shared virtual machine, the latencies follow it; NaN where it is not known
    steal_percent: float = float("nan")


def cpu_times() -> list[int]:
    """The machine's CPU time counters (``cpu`` line of ``/proc/stat``: user ... steal); empty off Linux."""
    try:
        with open("/proc/stat") as stat:
            return [int(v) for v in stat.readline().split()[1:9]]
    except (OSError, ValueError):
        return []


def steal_percent(before: Sequence[int], after: Sequence[int]) -> float:
    """Steal time between two :func:`cpu_times` readings, as a percentage of all CPU time."""
    if len(before) < 8 or len(after) < 8:
        return float("nan")
    delta = [b - a for a, b in zip(before, after, strict=True)]
    return 100.0 * delta[7] / max(1, sum(delta))


def p50_p95(values: Sequence[float]) -> tuple[float, float]:
    """Median and 95th percentile (ms) of ``values`` (seconds); NaN when there are fewer than two."""
    if len(values) < 2:
        return (float("nan"), float("nan"))
    q = statistics.quantiles(values, n=100, method="inclusive")
    return (q[49] * 1000, q[94] * 1000)


# -- the processes -----------------------------------------------------------------------------------------
def genai_demo() -> list[str]:
    """The ``genai-demo`` console script of this environment."""
    script = Path(sys.executable).with_name("genai-demo")
    return [str(script)] if script.exists() else [sys.executable, "-m", "simulators.lab.cli"]


def fresh_postgres(url: str) -> None:
    """Drop and create the database ``url`` names (on the server it names), so each run starts empty."""
    parsed = make_url(url)
    name = parsed.database
    if not name or not name.replace("_", "").isalnum():
        raise ValueError(f"--database-url must name a database of letters, digits and _ (got {name!r})")
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()


class ServiceProcess(ServerProcess):
    """``genai-demo service --workers N``, ready when ``/health/live`` answers 200 (within 3 minutes: four
    workers starting on a busy 2-core machine took more than one)."""

    def ready(self) -> None:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/health/live", timeout=1).status_code == 200:
                    return
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"the service exited with {self._proc.returncode} before it was ready")
            time.sleep(0.1)
        raise RuntimeError(f"the service at {self.url} did not become ready")


def stripe_env() -> dict[str, str]:
    """The Stripe simulator's environment: the service's credentials, room for the whole run's journal and
    deliveries."""
    creds = credential_env(load_settings(env={}))
    return {**os.environ, **creds, "SIM_JOURNAL_SIZE": "200000", "SIM_MAX_DELIVERIES": "200000",
            "SIM_WEBHOOK_WORKERS": "16"}  # fmt: skip


def service_env(
    database_url: str, stripe: SimProcess, identity_url: str, port: int, tmp: Path
) -> dict[str, str]:
    """The service's environment for one run (see the module docstring)."""
    service_url = f"http://127.0.0.1:{port}"
    creds = credential_env(load_settings(env={}))
    wire = load_wire("stripe")
    assert wire is not None, "the Stripe provider has no wiring hook"
    env = {**os.environ, **creds}
    env.update(wire(stripe.url, service_url, env))
    multiproc = tmp / f"metrics-{uuid.uuid4().hex[:8]}"
    multiproc.mkdir()
    env.update(
        DATABASE_URL=database_url,
        SERVICE_PUBLIC_URL=service_url,
        STRIPE_API_BASE=stripe.url,
        AUTH_ISSUER=identity_url,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=f"bench-checkout-{uuid.uuid4().hex[:8]}",
        LOG_LEVEL="WARNING",
        AWS_PROVISION_ON_START="false",
        S3_PROVISION_ON_START="false",
        FILES_INVOICE_ON_PAID="false",
        FILES_LABEL_ON_DELIVERY="false",
        EMAIL_ORDER_CONFIRMATION="false",
        RETENTION_INTERVAL_SECONDS="0",
        PROMETHEUS_MULTIPROC_DIR=str(multiproc),
    )
    return env


def mint_tokens(identity_url: str, customers: int) -> list[tuple[str, dict[str, str]]]:
    """``(customer_ref, Authorization header)`` for ``customers`` customers, from the identity simulator."""
    out = []
    for n in range(customers):
        sub = f"cus_bench_{uuid.uuid4().hex[:6]}_{n}"
        resp = requests.post(
            f"{identity_url}/_sim/identity/tokens",
            json={"sub": sub, "roles": ["customer"], "client_id": "genai-demo-bench", "expires_in": 3600},
            timeout=10,
        )
        resp.raise_for_status()
        out.append((sub, {"Authorization": f"Bearer {resp.json()['access_token']}"}))
    return out


# -- the client --------------------------------------------------------------------------------------------
class Client:
    """Runs checkouts against one service and Stripe simulator (a ``requests`` session per thread)."""

    def __init__(
        self, service_url: str, stripe_url: str, customers: list[tuple[str, dict[str, str]]]
    ) -> None:
        self.service_url = service_url
        self.stripe_url = stripe_url
        self.customers = customers
        self._local = threading.local()

    def session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def checkout(self, n: int, record: Checkout) -> None:
        """Steps 1-3 of the module docstring; step 4 is observed afterwards (:func:`paid_times`)."""
        http = self.session()
        record.customer = n % len(self.customers)
        customer, auth = self.customers[record.customer]
        try:
            t0 = time.perf_counter()
            body = {"customer_ref": customer, "currency": "USD", "items": ORDER_ITEMS}
            resp = http.post(f"{self.service_url}/api/v1/orders", json=body, headers=auth, timeout=30)
            record.order_s = time.perf_counter() - t0
            if resp.status_code != 201:
                record.error = f"create order {resp.status_code}"
                return
            record.order_id = order_id = str(resp.json()["id"])
            t0 = time.perf_counter()
            resp = http.post(f"{self.service_url}/api/v1/orders/{order_id}/payments",
                             json={"provider": "stripe"}, headers=auth, timeout=30)  # fmt: skip
            record.pay_s = time.perf_counter() - t0
            if resp.status_code != 201:
                record.error = f"start payment {resp.status_code}"
                return
            payment = resp.json()
            record.payment_intent = str(payment["provider_ref"])
            resp = http.post(
                f"{self.stripe_url}/v1/payment_intents/{record.payment_intent}/confirm",
                data={"client_secret": payment["client_secret"], "payment_method": "pm_card_visa"},
                headers={"Authorization": f"Bearer {payment['publishable_key']}"},
                timeout=30,
            )
            if resp.status_code != 200:
                record.error = f"confirm {resp.status_code}"
                return
            record.confirmed_at = time.time()
        except requests.RequestException as exc:
            record.error = f"connection: {type(exc).__name__}"


def open_loop(
    run: Callable[[int, Checkout], None], rate: float, warmup: float, seconds: float
) -> tuple[float, list[Checkout]]:
    """Start checkout ``i`` at ``i / rate`` seconds from now on a thread pool, for ``warmup + seconds``;
    returns the wall-clock start and every checkout once all have finished (``measured``: scheduled after
    the warm-up)."""
    total = int((warmup + seconds) * rate)
    records: list[Checkout] = []
    with ThreadPoolExecutor(CLIENT_THREADS, thread_name_prefix="checkout") as pool:
        wall, start = time.time(), time.perf_counter()
        for i in range(total):
            at = i / rate
            delay = start + at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            record = Checkout(scheduled=at, measured=at >= warmup)
            records.append(record)
            pool.submit(run, i, record)
    return wall, records


def paid_times(stripe_url: str, intents: set[str], timeout: float = 60.0) -> dict[str, float]:
    """``{payment_intent: completed_at}`` of each successful ``payment_intent.succeeded`` delivery (see the
    module docstring), waiting up to ``timeout`` for all of ``intents``."""
    found: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    while True:
        resp = requests.get(
            f"{stripe_url}/_sim/webhooks/deliveries",
            params={"event_type": "payment_intent.succeeded", "status": "succeeded", "limit": "10000"},
            timeout=30,
        )
        resp.raise_for_status()
        for delivery in resp.json()["data"]:
            if delivery.get("completed_at") is not None:
                intent = str(json.loads(delivery["body"])["data"]["object"]["id"])
                found[intent] = float(delivery["completed_at"])
        if intents <= found.keys() or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def provider_ms(stripe_url: str) -> dict[str, float]:
    """``{order_id: ms}``: the Stripe simulator's own time for the requests the service made for each order
    (journal entries whose body names the order: the PaymentIntent's ``metadata[order_id]``)."""
    resp = requests.get(
        f"{stripe_url}/_sim/journal", params={"method": "POST", "limit": "200000"}, timeout=60
    )
    resp.raise_for_status()
    out: dict[str, float] = {}
    for entry in resp.json()["data"]:
        order_id = parse_qs(entry.get("body") or "").get("metadata[order_id]", [""])[0]
        if not order_id:
            continue
        out[order_id] = out.get(order_id, 0.0) + float(entry["duration_ms"])
    return out


def read_back(service_url: str, customers: list[tuple[str, dict[str, str]]], records: list[Checkout]) -> int:
    """GET every order of ``records`` as its customer; how many are not PAID."""

    def paid(record: Checkout) -> bool:
        _, auth = customers[record.customer]
        resp = requests.get(f"{service_url}/api/v1/orders/{record.order_id}", headers=auth, timeout=30)
        return resp.status_code == 200 and resp.json().get("status") == "PAID"

    with ThreadPoolExecutor(8) as pool:
        return sum(1 for ok in pool.map(paid, [r for r in records if r.order_id]) if not ok)


# -- one worker count --------------------------------------------------------------------------------------
def run_once(
    workers: int,
    *,
    rate: float,
    seconds: float,
    warmup: float,
    database_url: str,
    identity_url: str,
    customers: list[tuple[str, dict[str, str]]],
    tmp: Path,
) -> RunResult:
    """One worker count, from a fresh database, simulator and service (see the module docstring)."""
    if database_url.startswith("postgresql"):
        fresh_postgres(database_url)
    with SimProcess("stripe", seed=workers, env=stripe_env()) as stripe:
        port = free_port()
        env = service_env(database_url, stripe, identity_url, port, tmp)
        cmd = [*genai_demo(), "service", "--port", str(port), "--workers", str(workers)]
        with ServiceProcess(cmd, port, env) as service:
            client = Client(service.url, stripe.url, customers)
            cpu = service.cpu_seconds()
            machine = cpu_times()
            wall, records = open_loop(client.checkout, rate, warmup, seconds)
            load = os.getloadavg()
            steal = steal_percent(machine, cpu_times())
            measured = [r for r in records if r.measured]
            confirmed = [r for r in records if r.payment_intent and r.confirmed_at is not None]
            paid_at = paid_times(stripe.url, {str(r.payment_intent) for r in confirmed})
            cpu = service.cpu_seconds() - cpu
            confirmed = [r for r in confirmed if r.measured]
            own = provider_ms(stripe.url)
            not_paid = read_back(service.url, customers, measured)
    errors: dict[str, int] = {}
    for r in measured:
        if r.error:
            errors[r.error] = errors.get(r.error, 0) + 1
    paid = [r for r in confirmed if r.payment_intent in paid_at]
    if len(confirmed) > len(paid):
        errors["no PAID webhook"] = len(confirmed) - len(paid)
    if not_paid > len(measured) - len(paid):
        errors["read back not PAID"] = not_paid - (len(measured) - len(paid))
    to_paid = [paid_at[str(r.payment_intent)] - float(r.confirmed_at or 0.0) for r in paid]
    last = max((paid_at[str(r.payment_intent)] for r in paid), default=0.0)
    window = max(seconds, last - (wall + warmup))
    pay_own = [
        r.pay_s - own[r.order_id] / 1000 for r in measured if r.pay_s is not None and r.order_id in own
    ]
    return RunResult(
        workers=workers,
        checkouts=len(measured),
        paid=len(paid),
        per_second=len(paid) / window,
        order_ms=p50_p95([r.order_s for r in measured if r.order_s is not None]),
        pay_ms=p50_p95([r.pay_s for r in measured if r.pay_s is not None]),
        pay_own_ms=p50_p95(pay_own),
        paid_ms=p50_p95(to_paid),
        cpu_ms=cpu * 1000 / max(1, len(records)),
        errors=errors,
        load=load,
        steal_percent=steal,
    )


# -- the whole bench ---------------------------------------------------------------------------------------
def bench_checkout(
    workers: Sequence[int] = (1, 2, 4),
    *,
    rate: float = 50.0,
    seconds: float = 15.0,
    warmup: float = 3.0,
    database_url: str = DEFAULT_DATABASE_URL,
    sqlite: bool = False,
    echo: Callable[[str], None] = print,
) -> list[RunResult]:
    """Run the bench (see the module docstring) for each worker count; print the method and the figures."""
    engine = (
        "SQLite (embedded default, a file in a temporary folder)"
        if sqlite
        else (
            f"PostgreSQL {make_url(database_url).render_as_string(hide_password=True)} (created anew per run)"
        )
    )
    echo(
        f"Stripe checkout, open loop at {rate:g} checkouts/s for {warmup:g} s warm-up (not measured) + "
        f"{seconds:g} s measured, per worker count {', '.join(map(str, workers))}; {engine}; rate limit in "
        f"Redis; {CUSTOMERS} customers with their own tokens (identity simulator); {CLIENT_THREADS} client "
        f"threads in this process; {os.cpu_count()} cores shared by the client, the service and the "
        "simulators. Start payment 'own' = minus the Stripe simulator's journal duration for that order's "
        "requests. confirm->PAID = the simulator's record of the service's 2xx to payment_intent.succeeded "
        "(sent after the commit) minus the time the confirm returned, same clock (us resolution). Service "
        "CPU = user+system seconds of the service's processes over the whole run / checkouts (warm-up "
        "included). CPU steal = the share of the machine's CPU time the hypervisor gave to other guests "
        "during the run (/proc/stat): on a shared virtual machine the latencies follow it. Load average at "
        f"the start {' '.join(f'{x:.2f}' for x in os.getloadavg())}."
    )
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-checkout-") as tmp,
        SimProcess("identity", seed=1) as identity,
    ):
        customers = mint_tokens(identity.url, CUSTOMERS)
        for n in workers:
            url = f"sqlite:///{Path(tmp) / f'checkout-{n}.db'}" if sqlite else database_url
            result = run_once(n, rate=rate, seconds=seconds, warmup=warmup, database_url=url,
                              identity_url=identity.url, customers=customers, tmp=Path(tmp))  # fmt: skip
            results.append(result)
            echo(format_result(result))
    if not sqlite:
        echo(format_targets(results, rate))
    return results


def format_result(r: RunResult) -> str:
    """One worker count's figures (two lines)."""
    errors = ", ".join(f"{k}: {v}" for k, v in sorted(r.errors.items())) or "none"
    return (
        f"  workers {r.workers}: {r.per_second:5.1f} checkouts/s ({r.paid}/{r.checkouts} PAID)  "
        f"POST /orders p50 {r.order_ms[0]:.1f} p95 {r.order_ms[1]:.1f} ms  "
        f"start payment p50 {r.pay_ms[0]:.1f} p95 {r.pay_ms[1]:.1f} ms "
        f"(own p50 {r.pay_own_ms[0]:.1f} p95 {r.pay_own_ms[1]:.1f} ms)\n"
        f"             confirm->PAID p50 {r.paid_ms[0]:.1f} p95 {r.paid_ms[1]:.1f} ms  "
        f"service CPU {r.cpu_ms:.1f} ms/checkout  errors: {errors}  "
        f"load average {r.load[0]:.2f} {r.load[1]:.2f} {r.load[2]:.2f}  CPU steal {r.steal_percent:.1f} %"
    )


def format_targets(results: Sequence[RunResult], rate: float) -> str:
    """Each target with met/not met, per worker count (they are set for 50 checkouts/s on PostgreSQL)."""
    lines = [f"  targets (PostgreSQL, 50 checkouts/s; this run: {rate:g}/s):"]
    for r in results:
        checks = [
            ("POST /orders p50 < 10 ms", r.order_ms[0] < TARGET_ORDER_P50_MS),
            ("start payment own p50 < 20 ms", r.pay_own_ms[0] < TARGET_PAY_OWN_P50_MS),
            ("confirm->PAID p95 < 50 ms", r.paid_ms[1] < TARGET_PAID_P95_MS),
        ]
        text = "; ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in checks)
        lines.append(f"    workers {r.workers}: {text}")
    return "\n".join(lines)
