"""Stripe checkout scenario: create an order → pay with Stripe → the customer confirms → webhook → PAID.

Each simulated customer runs the whole checkout the way a web shop does: ``POST /api/v1/orders``, then
``POST /api/v1/orders/{id}/payments {"provider": "stripe"}``, then confirms the PaymentIntent directly
against the Stripe simulator with the publishable key and ``client_secret`` (what Stripe.js does), then
polls the order until Stripe's signed ``payment_intent.succeeded`` webhook has made it PAID. A share of
customers (``DECLINE_SHARE``) pays server-side with a declining card and must get the 402 with the
seed's message. The whole flow is reported as its own entry, ``CHECKOUT order → PAID``, so its p50/p95
is the end-to-end checkout latency through the service.

Fault mixes come from the Stripe simulator's control API, set when the run starts and removed when it
stops: ``STRIPE_FAULTS="rate_limit=0.05,503=0.02,latency=0.1"`` makes that share of
``POST /v1/payment_intents`` calls (the service's creates) fail, seeded and reproducible. The service's
retry policy (3 attempts) absorbs them: the error budget stays the same.

Forged webhooks: one checkout in ``FORGED_EVERY`` (the first of each process, then 1 %) also receives a
forged ``payment_intent.succeeded`` for its own, still unconfirmed PaymentIntent, signed with a wrong
secret, as an attacker would send it to ``/api/v1/webhooks/stripe``. The service must answer 400 and
the order must stay unpaid; Locust reports it as ``webhook (forged): payment_intent.succeeded`` (a
failure there is a forgery that was accepted or changed state), and ``python -m load.run`` compares the
count with the rejections the service counted (``webhook_events_total{outcome="rejected"}``).

Thresholds (enforced by a ``quitting`` listener, so plain ``locust`` fails on a breach too):
- ``MAX_ERROR_RATE = 0.01``: at most 1 % of requests (and flows) may fail;
- ``P95_MS = 1500``: the aggregated p95 over every request and flow, which the checkout flow (four
  requests, a webhook and polling) dominates.

Run it against a running lab (``make run``)::

    python -m load.run stripe_checkout --users 10 --run-time 30s
    STRIPE_FAULTS=rate_limit=0.05,503=0.02 python -m load.run stripe_checkout
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import time
from typing import Any

from locust import events, task

from load.common.checkout import ORDERS, CheckoutUser
from load.common.faults import install_fault_mix
from load.common.thresholds import Thresholds, enforce

MAX_ERROR_RATE = 0.01
P95_MS = 1500
#: share of checkouts that pay server-side with a declining card (a 402 is then the expected answer)
DECLINE_SHARE = 0.05
#: how long a checkout may wait for the webhook to mark the order PAID
PAID_TIMEOUT_S = 10.0
STRIPE_URL = os.environ.get("STRIPE_SIM_URL", "http://127.0.0.1:12111")
#: one checkout in this many (the first one included) gets a forged webhook: 1 % of the webhook traffic
FORGED_EVERY = 100
FORGED_NAME = "webhook (forged): payment_intent.succeeded"
_checkouts = itertools.count()


def forged_signature(payload: bytes) -> str:
    """A well-formed ``Stripe-Signature`` made with a secret the service does not know."""
    stamp = str(int(time.time()))
    digest = hmac.new(b"whsec_not_the_real_secret", stamp.encode() + b"." + payload, hashlib.sha256)
    return f"t={stamp},v1={digest.hexdigest()}"


enforce(events, Thresholds(max_error_rate=MAX_ERROR_RATE, p95_ms=P95_MS))


# the service's PaymentIntent creates only: the customer's own confirm (Stripe.js) is not the service's call
install_fault_mix(events, STRIPE_URL, "STRIPE_FAULTS", [{"method": "POST", "path": "/v1/payment_intents"}])


class CheckoutCustomer(CheckoutUser):
    flow_name = "order → PAID"
    customer_prefix = "cus_checkout"

    def forge(self, order_id: str, payment: dict[str, Any]) -> bool:
        """Send a forged ``payment_intent.succeeded`` for this payment; True when it was rejected (400)
        and the order is still unpaid."""
        event = {
            "id": f"evt_forged_{payment['provider_ref'][-12:]}",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": int(time.time()),
            "data": {
                "object": {"id": payment["provider_ref"], "object": "payment_intent", "status": "succeeded"}
            },
        }
        body = json.dumps(event).encode()
        with self.client.post(
            "/api/v1/webhooks/stripe",
            data=body.decode(),  # ASCII JSON: the same bytes that were signed
            headers={"Content-Type": "application/json", "Stripe-Signature": forged_signature(body)},
            name=FORGED_NAME,
            catch_response=True,
        ) as resp:
            if resp.status_code != 400:
                resp.failure(f"a forged webhook was answered {resp.status_code}, not 400")
                return False
            with self.client.get(f"{ORDERS}/{order_id}", headers=self.auth, name=f"{ORDERS}/{{id}}") as order:
                if order.status_code == 200 and order.json().get("status") == "PAID":
                    resp.failure("a forged webhook made the order PAID")
                    return False
            resp.success()
        return True

    @task
    def checkout(self) -> None:
        started = time.perf_counter()
        order_id = self.create_order(started)
        if order_id is None:
            return None
        decline = self.rng.random() < DECLINE_SHARE
        body: dict[str, Any] = {"provider": "stripe"}
        if decline:
            body["payment_method"] = "pm_card_chargeDeclined"
        with self.client.post(
            f"{ORDERS}/{order_id}/payments",
            json=body,
            headers=self.auth,
            name=f"{ORDERS}/{{id}}/payments",
            catch_response=True,
        ) as resp:
            expected = 402 if decline else 201
            if resp.status_code != expected:
                resp.failure(f"pay: expected {expected}, got {resp.status_code}: {str(resp.text)[:200]}")
                return self.report_flow(started, "payment not started")
            if decline:
                if resp.json().get("code") != "CARD_DECLINED":
                    resp.failure(f"decline without CARD_DECLINED: {resp.text[:200]}")
                else:
                    resp.success()  # the 402 with the seed's message is the right answer
                return None  # a decline is not a checkout
            payment = resp.json()
        if next(_checkouts) % FORGED_EVERY == 0 and not self.forge(order_id, payment):
            return self.report_flow(started, "a forged webhook was accepted")
        if not self.confirm_with_stripe_js(STRIPE_URL, payment, started):
            return None
        return self.wait_until_paid(order_id, started, PAID_TIMEOUT_S, 0.02)
