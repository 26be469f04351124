"""``CheckoutUser``: what the checkout scenarios share. A customer (with a customer token of their own,
``load/common/auth.py``) creates an order, pays it through the service and a provider simulator, and the
whole flow is reported as one Locust entry
(``CHECKOUT <flow_name>``), so its p50/p95 is the end-to-end checkout latency.

Subclasses set ``flow_name`` and ``customer_prefix`` and write the payment part of their ``@task``.
"""

from __future__ import annotations

import random
import time

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
