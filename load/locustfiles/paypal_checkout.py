"""PayPal checkout scenario: create an order → pay with PayPal → buyer approves → webhook → capture → PAID.

Each simulated customer: ``POST /api/v1/orders``; ``POST /api/v1/orders/{id}/payments {"provider":
"paypal"}`` (the service takes an OAuth token once and creates a PayPal order with its PayPal-Request-Id);
follows ``approve_url`` on the PayPal simulator as the buyer's browser would; waits until PayPal's signed
``CHECKOUT.ORDER.APPROVED`` webhook marks the payment AUTHORIZED; then
``POST …/payments/{pid}/capture`` makes the order PAID. A share of buyers (``DECLINE_SHARE``) uses the
simulator's ``buyer-declined@…`` profile, whose capture must be answered with the 402 decline. The whole
flow is reported as ``CHECKOUT order → PAID (PayPal)``.

``PAYPAL_FAULTS="rate_limit=0.05,503=0.03"`` makes that share of the service's create and capture calls fail
through the simulator's control API (seeded); the service's retry policy must absorb them.

Thresholds (a ``quitting`` listener enforces them, so plain ``locust`` fails on a breach too):
``MAX_ERROR_RATE = 0.01`` and ``P95_MS = 1500`` over every request and flow.

Run against a running lab (``make run``)::

    python -m load.run paypal_checkout --users 10 --run-time 30s
"""

from __future__ import annotations

import os
import time

import requests
from locust import events, task

from load.common.checkout import ORDERS, CheckoutUser
from load.common.faults import install_fault_mix
from load.common.thresholds import Thresholds, enforce

MAX_ERROR_RATE = 0.01
P95_MS = 1500
DECLINE_SHARE = 0.05
WAIT_S = 10.0
PAYPAL_URL = os.environ.get("PAYPAL_SIM_URL", "http://127.0.0.1:12112")
enforce(events, Thresholds(max_error_rate=MAX_ERROR_RATE, p95_ms=P95_MS))


# the service's create and capture calls only, not the buyer's approval
install_fault_mix(
    events, PAYPAL_URL, "PAYPAL_FAULTS", [{"operation": "create_order"}, {"operation": "capture_order"}]
)


class PayPalCustomer(CheckoutUser):
    flow_name = "order → PAID (PayPal)"
    customer_prefix = "cus_paypal"

    def on_start(self) -> None:
        super().on_start()
        self.browser = requests.Session()  # the buyer's browser on PayPal: not the service's traffic

    def _wait_payment(self, path: str, status: str) -> bool:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            with self.client.get(
                path,
                headers=self.auth,
                name=f"{ORDERS}/{{id}}/payments/{{pid}} (until {status})",
                catch_response=True,
            ) as resp:
                if resp.status_code == 200 and resp.json()["status"] == status:
                    return True
            time.sleep(0.02)
        return False

    @task
    def checkout(self) -> None:
        started = time.perf_counter()
        order_id = self.create_order(started)
        if order_id is None:
            return None
        payment = self.start_payment(order_id, "paypal", started)
        if payment is None:
            return None
        decline = self.rng.random() < DECLINE_SHARE
        approve = payment["approve_url"] + ("&buyer=buyer-declined@example.com" if decline else "")
        if self.browser.get(approve, allow_redirects=False, timeout=10).status_code not in (200, 302):
            return self.report_flow(started, "approval failed")
        path = f"{ORDERS}/{order_id}/payments/{payment['id']}"
        if not self._wait_payment(path, "AUTHORIZED"):
            return self.report_flow(started, "approval webhook did not arrive")
        with self.client.post(
            path + "/capture",
            headers=self.auth,
            name=f"{ORDERS}/{{id}}/payments/{{pid}}/capture",
            catch_response=True,
        ) as resp:
            if decline:
                if resp.status_code == 402:
                    resp.success()  # the declined buyer is told so: the right answer
                else:
                    resp.failure(f"declined buyer: expected 402, got {resp.status_code}")
                return None
            if resp.status_code != 200 or resp.json()["status"] != "SUCCEEDED":
                resp.failure(f"capture: {resp.status_code}: {str(resp.text)[:200]}")
                return self.report_flow(started, "capture failed")
        return self.report_flow(started, None)
