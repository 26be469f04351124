"""A checkout storm through the whole lab, and the count at the end: the chaos suite's driver.

:func:`checkout_storm` runs ``n`` checkouts (create the order, pay it server-side through Stripe) on a
thread pool, each retried the way a careful client retries: on a connection error, a 502/503/504 or a
429, again with the same ``Idempotency-Key``, until its deadline. Whatever a chaos case does to the lab
meanwhile (kill the service, cut the database, fail a provider), :func:`settle` then advances the
simulators' clocks so due webhook retries run, and :func:`tally` counts every order by final status and
every webhook delivery by outcome. "Lost" is an order that did not reach its legal final state.

``CHAOS_CHECKOUTS`` sets ``n`` (the CI-sized default is 24, 40 for the service kill; ``make chaos`` runs
200).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.auth import auth_issuer

CHECKOUTS = int(os.environ.get("CHAOS_CHECKOUTS", "24"))
RETRYABLE = {429, 502, 503, 504}
ORDER = {
    "customer_ref": "cus_storm",
    "currency": "USD",
    "items": [{"sku": "STORM", "name": "Storm tee", "quantity": 1, "unit_amount": 2500}],
}


@dataclass
class Storm:
    """What the clients saw: ids of the orders created, and every answer by status (``"error"`` for a
    connection that failed)."""

    order_ids: list[str] = field(default_factory=list)
    answers: Counter[str] = field(default_factory=Counter)
    #: the slowest answer (s) the service gave, by status
    slowest: dict[str, float] = field(default_factory=dict)
    started: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, answer: str, seconds: float = 0.0) -> None:
        with self.lock:
            self.answers[answer] += 1
            self.slowest[answer] = round(max(self.slowest.get(answer, 0.0), seconds), 3)


def _call(
    storm: Storm, session: requests.Session, method: str, url: str, deadline: float, **kw: Any
) -> requests.Response:
    """One request, retried with the same headers and body until a final answer or the deadline."""
    while True:
        started = time.monotonic()
        try:
            resp = session.request(method, url, timeout=30, **kw)
            storm.saw(str(resp.status_code), time.monotonic() - started)
            if resp.status_code not in RETRYABLE:
                return resp
        except requests.RequestException:
            storm.saw("error")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{method} {url} had no final answer before the deadline")
        time.sleep(0.2)


Pay = Callable[[Storm, requests.Session, str, float], None]
#: a signed-in session for the admin client named by its argument (the token's subject)
Client = Callable[[str], requests.Session]


def issuer_client(sub: str) -> requests.Session:
    """An admin session with a token of the tests' issuer (``tests/auth.py``), which test services trust."""
    return auth_issuer().session("admin", sub=sub)


def pay_with_stripe(storm: Storm, session: requests.Session, order_url: str, deadline: float) -> None:
    """Server-side confirmation with a test card; the webhook (or the answer) makes the order PAID."""
    body = {"provider": "stripe", "payment_method": "pm_card_visa"}
    paid = _call(storm, session, "POST", f"{order_url}/payments", deadline, json=body)
    # 201: started (or resumed); 409: already paid or an attempt in flight. Both end in PAID.
    assert paid.status_code in (201, 409), paid.text


def pay_with_paypal(storm: Storm, session: requests.Session, order_url: str, deadline: float) -> None:
    """Create the PayPal order, approve it as the buyer's browser would, capture it."""
    started = _call(storm, session, "POST", f"{order_url}/payments", deadline, json={"provider": "paypal"})
    assert started.status_code == 201, started.text
    payment = started.json()
    while True:  # the buyer's browser talks to PayPal directly: it retries a failing page too
        try:
            approved = requests.get(payment["approve_url"], allow_redirects=False, timeout=10)
            if approved.status_code in (200, 302):
                break
        except requests.RequestException:
            pass  # PayPal's page failed: the browser tries again, until the deadline below
        assert time.monotonic() < deadline, "the buyer never got through to approve"
        time.sleep(0.2)
    captured = _call(storm, session, "POST", f"{order_url}/payments/{payment['id']}/capture", deadline)
    assert captured.status_code in (200, 409), captured.text


def checkout_storm(
    base_url: str,
    n: int = CHECKOUTS,
    *,
    workers: int = 8,
    deadline_s: float = 90.0,
    on_progress: Callable[[int], None] | None = None,
    pay: Pay = pay_with_stripe,
    client: Client = issuer_client,
) -> Storm:
    """Run ``n`` checkouts against ``base_url``, paying each with ``pay``; ``on_progress(k)`` is called
    after the k-th order exists."""
    storm = Storm()
    deadline = time.monotonic() + deadline_s
    run = uuid.uuid4().hex[:8]

    def one(i: int) -> None:
        # each checkout is its own client, as in a real storm: one subject for all 200 of make chaos spent
        # the service's per-client rate limit (1,000 a minute) on its own retries
        session = client(f"usr_storm_{run}_{i}")
        created = _call(
            storm,
            session,
            "POST",
            f"{base_url}/api/v1/orders",
            deadline,
            json=ORDER,
            headers={"Idempotency-Key": f"storm-{run}-{i}"},
        )
        assert created.status_code == 201, created.text
        order_id = created.json()["id"]
        with storm.lock:
            storm.order_ids.append(order_id)
            count = len(storm.order_ids)
        if on_progress is not None:
            on_progress(count)
        pay(storm, session, f"{base_url}/api/v1/orders/{order_id}", deadline)

    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(one, i) for i in range(n)]:
            future.result()
    return storm


def order_statuses(base_url: str, order_ids: list[str], client: Client = issuer_client) -> Counter[str]:
    """Every order's status, read by a counting client of its own (a fresh subject per count, so its reads
    never share a rate limit with the storm's or an earlier count's); each read is retried as the storm's
    requests are (:func:`_call`, up to a minute), its answers kept apart from any storm's."""
    session = client(f"usr_tally_{uuid.uuid4().hex[:8]}")
    reads, deadline = Storm(), time.monotonic() + 60

    def status_of(order_id: str) -> str:
        resp = _call(reads, session, "GET", f"{base_url}/api/v1/orders/{order_id}", deadline)
        assert resp.status_code == 200, resp.text
        status: str = resp.json()["status"]
        return status

    return Counter(status_of(oid) for oid in order_ids)


def settle(
    base_url: str,
    order_ids: list[str],
    advance: Callable[[float], object],
    *,
    final: str = "PAID",
    timeout_s: float = 60.0,
    client: Client = issuer_client,
) -> Counter[str]:
    """Advance the simulators' clocks a minute at a time (due webhook retries run) until every order is
    ``final`` or the timeout passes; the statuses at the end."""
    deadline = time.monotonic() + timeout_s
    while True:
        statuses = order_statuses(base_url, order_ids, client)
        if statuses.get(final, 0) == len(order_ids) or time.monotonic() > deadline:
            return statuses
        advance(60.0)
        time.sleep(0.3)


def tally(deliveries: list[dict[str, Any]]) -> dict[str, int]:
    """Webhook deliveries by final status, and their attempts in all."""
    by_status = Counter(str(d.get("status")) for d in deliveries)
    attempts = sum(len(d.get("attempts") or []) for d in deliveries)
    return {**by_status, "attempts": attempts, "deliveries": len(deliveries)}


def report(case: str, **figures: Any) -> None:
    """Print the case's figures and keep them in ``var/chaos/<case>.json`` (``make chaos`` lists them)."""
    import json
    from pathlib import Path

    out = Path(__file__).resolve().parents[2] / "var" / "chaos"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{case}.json").write_text(json.dumps(figures, indent=2, default=dict) + "\n")
    print(f"chaos {case}: {json.dumps(figures, default=dict)}")


def report_storm(
    case: str, checkouts: int, statuses: Counter[str], storm: Storm, webhooks: dict[str, int], **extra: Any
) -> None:
    """:func:`report` with what every checkout storm counts: orders by final status, how many did not
    reach PAID (lost), the answers its clients saw and the webhook deliveries; ``extra`` adds the case's
    own figures."""
    report(
        case,
        checkouts=checkouts,
        orders=dict(statuses),
        lost=checkouts - statuses.get("PAID", 0),
        client_answers=dict(storm.answers),
        webhooks=webhooks,
        **extra,
    )


def drain(sim: Any, *, step_s: float = 3600.0, max_steps: int = 80) -> list[dict[str, Any]]:
    """Advance a simulator's clock an hour at a time (up to the providers' 3-day retry window) until no
    webhook delivery is pending; its deliveries at the end."""
    for _ in range(max_steps):
        deliveries: list[dict[str, Any]] = sim.deliveries(limit=1000)
        if not any(d.get("status") == "pending" for d in deliveries):
            return deliveries
        sim.advance(step_s)
    return list(sim.deliveries(limit=1000))
