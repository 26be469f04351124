"""``CheckoutUser``: what the checkout scenarios share. A customer (with a customer token of their own,
``load/common/auth.py``) creates an order, pays it through the service and a provider simulator, and the
whole flow is reported as one Locust entry
(``CHECKOUT <flow_name>``), so its p50/p95 is the end-to-end checkout latency.

Subclasses set ``flow_name`` and ``customer_prefix`` and write the payment part of their ``@task``.
"""

from __future__ import annotations

import random
import time
from typing import Any

from locust import FastHttpUser, between, events

from load.common.auth import bearer
from load.common.payloads import customer_ref, order_request

ORDERS = "/api/v1/orders"


class CheckoutUser(FastHttpUser):
    abstract = True
    host = "http://127.0.0.1:8000"
    wait_time = between(0.05, 0.2)
    flow_name = "order → PAID"
    customer_prefix = "cus_checkout"

    def on_start(self) -> None:
        self.rng = random.Random()
        self.customer = customer_ref(self.rng, self.customer_prefix)
        self.auth = bearer(self.customer, "customer")  # the customer pays their own orders

    def report_flow(self, started: float, error: str | None) -> None:
        """Record one checkout (from ``started``, a ``perf_counter`` value) as ``CHECKOUT <flow_name>``."""
        events.request.fire(
            request_type="CHECKOUT",
            name=self.flow_name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=RuntimeError(error) if error else None,
            context={},
        )

    def create_order(self, started: float) -> str | None:
        """``POST /api/v1/orders``; the order id, or None after reporting the failed flow."""
        with self.client.post(
            ORDERS,
            json=order_request(self.rng, self.customer),
            headers=self.auth,
            name=ORDERS,
            catch_response=True,
        ) as resp:
            if resp.status_code != 201:
                resp.failure(f"create order: {resp.status_code}")
                self.report_flow(started, "order not created")
                return None
            order_id: str = resp.json()["id"]
            return order_id

    def start_payment(self, order_id: str, provider: str, started: float) -> dict[str, Any] | None:
        """``POST /api/v1/orders/{id}/payments`` with ``provider``; the started payment, or None after
        reporting the failed flow."""
        with self.client.post(
            f"{ORDERS}/{order_id}/payments",
            json={"provider": provider},
            headers=self.auth,
            name=f"{ORDERS}/{{id}}/payments",
            catch_response=True,
        ) as resp:
            if resp.status_code != 201:
                resp.failure(f"pay: expected 201, got {resp.status_code}: {str(resp.text)[:200]}")
                self.report_flow(started, "payment not started")
                return None
            payment: dict[str, Any] = resp.json()
            return payment

    def confirm_with_stripe_js(self, stripe_url: str, payment: dict[str, Any], started: float) -> bool:
        """Confirm the PaymentIntent as Stripe.js does (publishable key, client secret, test card) at the
        Stripe simulator; False after reporting the failed flow."""
        with self.client.post(
            f"{stripe_url}/v1/payment_intents/{payment['provider_ref']}/confirm",
            data={"client_secret": payment["client_secret"], "payment_method": "pm_card_visa"},
            headers={"Authorization": f"Bearer {payment['publishable_key']}"},
            name="stripe: confirm (Stripe.js)",
            catch_response=True,
        ) as resp:
            if resp.status_code != 200:
                resp.failure(f"confirm: {resp.status_code}")
                self.report_flow(started, "confirm failed")
                return False
        return True

    def wait_until_paid(self, order_id: str, started: float, timeout_s: float, poll_s: float) -> None:
        """Poll the order until PAID (the webhook applied) and report the whole flow either way."""
        deadline = time.monotonic() + timeout_s
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
            time.sleep(poll_s)
        return self.report_flow(started, f"not PAID within {timeout_s}s")
