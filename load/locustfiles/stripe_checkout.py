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

Thresholds (enforced by a ``quitting`` listener, so plain ``locust`` fails on a breach too):
- ``MAX_ERROR_RATE = 0.01``: at most 1 % of requests (and flows) may fail;
- ``P95_MS = 1500``: the aggregated p95 over every request and flow, which the checkout flow (four
  requests, a webhook and polling) dominates.

Run it against a running lab (``make run``)::

    python -m load.run stripe_checkout --users 10 --run-time 30s
    STRIPE_FAULTS=rate_limit=0.05,503=0.02 python -m load.run stripe_checkout
"""

from __future__ import annotations

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
enforce(events, Thresholds(max_error_rate=MAX_ERROR_RATE, p95_ms=P95_MS))


# the service's PaymentIntent creates only: the customer's own confirm (Stripe.js) is not the service's call
install_fault_mix(events, STRIPE_URL, "STRIPE_FAULTS", [{"method": "POST", "path": "/v1/payment_intents"}])


class CheckoutCustomer(CheckoutUser):
    flow_name = "order → PAID"
    customer_prefix = "cus_checkout"

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
        with self.client.post(
            f"{STRIPE_URL}/v1/payment_intents/{payment['provider_ref']}/confirm",
            data={"client_secret": payment["client_secret"], "payment_method": "pm_card_visa"},
            headers={"Authorization": f"Bearer {payment['publishable_key']}"},
            name="stripe: confirm (Stripe.js)",
            catch_response=True,
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"confirm: {resp.status_code}")
                return self.report_flow(started, "confirm failed")
        deadline = time.monotonic() + PAID_TIMEOUT_S
        while time.monotonic() < deadline:
            with self.client.get(
                f"{ORDERS}/{order_id}",
                headers=self.auth,
                name=f"{ORDERS}/{{id}} (until PAID)",
                catch_response=True,
            ) as resp:
                if resp.status_code != 200:
                    resp.failure(f"poll: {resp.status_code}")
                    return self.report_flow(started, "poll failed")
                if resp.json()["status"] == "PAID":
                    return self.report_flow(started, None)
            time.sleep(0.02)
        return self.report_flow(started, f"not PAID within {PAID_TIMEOUT_S}s")
