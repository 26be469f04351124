"""Traffic for the alert scenarios (``python -m load.alerts``), a locustfile: one user class per kind of
traffic an alert watches. The scenario runner picks the class on Locust's command line and schedules
the faults itself through the simulators' control API (baseline, fault window, recovery), so this file
holds no faults and no thresholds: the verdict comes from Prometheus and the alert receiver.

- ``StripeShopper``: order → ``POST /payments {"provider": "stripe"}`` → the customer confirms the
  PaymentIntent at the Stripe simulator (what Stripe.js does) → poll until the signed webhook made it PAID.
  Reported as ``CHECKOUT order → PAID``.
- ``SmsSender``: ``POST /api/v1/notifications/sms`` to valid US numbers; an answer that is not a 201 taken
  by SNS or Twilio is a failure, so "SMS delivered" is the share of successes.
- ``OrderPlacer``: a storefront placing 2 orders a second (``POST /api/v1/orders``): a steady
  stream of ``order-events`` for the Kafka consumer (inventory reservations), with none of the PAID path's
  in-process work (invoice, confirmation email). Reported as ``CHECKOUT order placed``.
- ``ParcelShipper``: order → pay server-side (``pm_card_visa``) → shipping quotes → the fulfilment client
  buys the cheapest label. Reported as ``CHECKOUT order → label``.

Simulator URLs: ``ALERT_STRIPE_URL`` (default ``http://127.0.0.1:12111``). Tokens: ``load/common/auth.py``.
"""

from __future__ import annotations

import os
import random
import time
from typing import Any

from locust import FastHttpUser, between, constant_throughput, task

from load.common.auth import bearer
from load.common.checkout import ORDERS, CheckoutUser
from load.common.payloads import order_request

STRIPE_URL = os.environ.get("ALERT_STRIPE_URL", "http://127.0.0.1:12111")
PAID_TIMEOUT_S = 60.0
SMS = "/api/v1/notifications/sms"
#: valid US numbers (libphonenumber accepts the 415 area code with these exchanges)
NUMBERS = [f"+1415555{n:04d}" for n in range(100, 160)]
SHIP_TO = {
    "name": "Ada Lovelace",
    "street1": "179 N Harbor Dr",
    "city": "Redondo Beach",
    "state": "CA",
    "zip": "90277",
}


class StripeShopper(CheckoutUser):
    flow_name = "order → PAID"
    customer_prefix = "cus_alerts"
    wait_time = between(0.05, 0.15)

    @task
    def checkout(self) -> None:
        started = time.perf_counter()
        order_id = self.create_order(started)
        if order_id is None:
            return None
        payment = self.start_payment(order_id, "stripe", started)
        if payment is None or not self.confirm_with_stripe_js(STRIPE_URL, payment, started):
            return None
        return self.wait_until_paid(order_id, started, PAID_TIMEOUT_S, 0.05)


class SmsSender(FastHttpUser):
    """A backend job sending transactional SMS (the service role, a subject of its own)."""

    abstract = False
    wait_time = between(0.05, 0.15)

    def on_start(self) -> None:
        self.rng = random.Random()
        self.auth = bearer(f"svc_alert_sms_{self.rng.getrandbits(32):08x}", "service")

    @task
    def send_sms(self) -> None:
        body = {
            "phone": self.rng.choice(NUMBERS),
            "message": f"Your code is {self.rng.randint(0, 999999):06d}",
        }
        with self.client.post(SMS, json=body, headers=self.auth, name=SMS, catch_response=True) as resp:
            if resp.status_code != 201:
                resp.failure(f"expected 201, got {resp.status_code}: {str(resp.text)[:200]}")
                return
            answer: Any = resp.json()
            if not isinstance(answer, dict) or answer.get("provider") not in ("sns", "twilio"):
                resp.failure(f"not delivered by a provider: {str(resp.text)[:200]}")


class OrderPlacer(CheckoutUser):
    flow_name = "order placed"
    customer_prefix = "cus_alerts_orders"
    wait_time = constant_throughput(2)

    @task
    def place(self) -> None:
        started = time.perf_counter()
        if self.create_order(started) is not None:
            self.report_flow(started, None)


class ParcelShipper(CheckoutUser):
    flow_name = "order → label"
    customer_prefix = "cus_alerts_parcel"
    wait_time = between(0.05, 0.15)

    def on_start(self) -> None:
        super().on_start()
        self.fulfilment = bearer("svc_alert_fulfilment", "service")

    def _post(self, url: str, name: str, body: Any, expected: int, headers: dict[str, str]) -> Any:
        with self.client.post(url, json=body, name=name, headers=headers, catch_response=True) as resp:
            if resp.status_code != expected:
                resp.failure(f"{name}: expected {expected}, got {resp.status_code}: {str(resp.text)[:200]}")
                return None
            return resp.json()

    @task
    def ship(self) -> None:
        started = time.perf_counter()
        body = {**order_request(self.rng, self.customer, currency="USD"), "shipping_address": SHIP_TO}
        order = self._post(ORDERS, ORDERS, body, 201, self.auth)
        if order is None:
            return self.report_flow(started, "order not created")
        oid = order["id"]
        pay = {"provider": "stripe", "payment_method": "pm_card_visa"}
        if self._post(f"{ORDERS}/{oid}/payments", f"{ORDERS}/{{id}}/payments", pay, 201, self.auth) is None:
            return self.report_flow(started, "not paid")
        quotes = self._post(
            f"{ORDERS}/{oid}/shipping-quotes", f"{ORDERS}/{{id}}/shipping-quotes", None, 200, self.auth
        )
        if not quotes or not quotes["data"]:
            return self.report_flow(started, "no quotes")
        label = {"quote_id": quotes["data"][0]["quote_id"]}
        delivery = self._post(
            f"{ORDERS}/{oid}/deliveries", f"{ORDERS}/{{id}}/deliveries", label, 201, self.fulfilment
        )
        return self.report_flow(started, None if delivery is not None else "no label")
