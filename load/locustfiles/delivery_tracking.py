"""Delivery tracking scenario: order → pay → ship → track to DELIVERED, through the service.

Each simulated customer creates an order with a shipping address, pays it server-side with Stripe
(``pm_card_visa``: PAID at once), asks for shipping quotes (EasyPost rates through the official SDK), buys
the cheapest label, then polls ``GET /api/v1/deliveries/{id}`` while the carrier simulator's tracker
walks ``pre_transit → in_transit → out_for_delivery → delivered`` and its signed webhooks move the
delivery (and the order: SHIPPED, DELIVERED). The whole flow is reported as ``CHECKOUT order →
DELIVERED``; each step is its own entry.

At the start the carrier's lifecycle delays are shortened to ``LOGISTICS_STEP_S`` simulated seconds per
status (``POST /_sim/logistics/settings``) and restored at the end, so a parcel arrives in seconds.

Fault mix: ``LOGISTICS_FAULTS="rate_limit=0.05,503=0.05"`` makes that share of the service's
create-shipment and buy calls fail, seeded; the service's retry policy (3 attempts) absorbs them, and one
quote never buys two labels.

Thresholds: ``MAX_ERROR_RATE = 0.01``; ``P95_MS = 8000`` (the aggregated p95, which the flow, a few
seconds of tracking, dominates).

Run it against a running lab::

    python -m load.run delivery_tracking --users 10 --run-time 30s
    LOGISTICS_FAULTS=rate_limit=0.05,503=0.05 python -m load.run delivery_tracking --users 10 --run-time 30s
"""

from __future__ import annotations

import os
import time
from typing import Any

from locust import events, task

from load.common.auth import bearer
from load.common.checkout import ORDERS, CheckoutUser
from load.common.faults import install_fault_mix
from load.common.payloads import order_request
from load.common.thresholds import Thresholds, enforce
from simulators.kernel.client import SimClient

MAX_ERROR_RATE = 0.01
P95_MS = 8000
DELIVERED_TIMEOUT_S = 30.0
LOGISTICS_URL = os.environ.get("LOGISTICS_SIM_URL", "http://127.0.0.1:12114")
STEP_S = float(os.environ.get("LOGISTICS_STEP_S", "1"))
SHIP_TO = {
    "name": "Ada Lovelace",
    "street1": "179 N Harbor Dr",
    "city": "Redondo Beach",
    "state": "CA",
    "zip": "90277",
}
enforce(events, Thresholds(max_error_rate=MAX_ERROR_RATE, p95_ms=P95_MS))
install_fault_mix(
    events,
    LOGISTICS_URL,
    "LOGISTICS_FAULTS",
    [{"operation": "create_shipment"}, {"operation": "buy_shipment"}],
)
_saved_delays: dict[str, Any] = {}


@events.test_start.add_listener
def _fast_carrier(environment: Any, **_kw: Any) -> None:
    with SimClient(LOGISTICS_URL) as sim:
        _saved_delays.update(sim.get("logistics/settings")["delays"])
        sim.post(
            "logistics/settings",
            {"delays": {"in_transit": STEP_S, "out_for_delivery": STEP_S, "final": STEP_S}},
        )


@events.test_stop.add_listener
def _restore_carrier(environment: Any, **_kw: Any) -> None:
    if _saved_delays:
        with SimClient(LOGISTICS_URL) as sim:
            sim.post("logistics/settings", {"delays": _saved_delays})


class DeliveryCustomer(CheckoutUser):
    flow_name = "order → DELIVERED"
    customer_prefix = "cus_delivery"

    def on_start(self) -> None:
        super().on_start()
        # the shop's fulfilment backend buys the label (a service client); the customer does the rest
        self.fulfilment = bearer("svc_fulfilment", "service")

    def _post(
        self, url: str, name: str, body: Any, expected: int, headers: dict[str, str] | None = None
    ) -> Any:
        with self.client.post(
            url, json=body, name=name, headers=headers or self.auth, catch_response=True
        ) as resp:
            if resp.status_code != expected:
                resp.failure(f"{name}: expected {expected}, got {resp.status_code}: {str(resp.text)[:200]}")
                return None
            return resp.json()

    @task
    def ship_and_track(self) -> None:
        started = time.perf_counter()
        body = {**order_request(self.rng, self.customer, currency="USD"), "shipping_address": SHIP_TO}
        order = self._post(ORDERS, ORDERS, body, 201)
        if order is None:
            return self.report_flow(started, "order not created")
        oid = order["id"]
        paid = self._post(
            f"{ORDERS}/{oid}/payments",
            f"{ORDERS}/{{id}}/payments",
            {"provider": "stripe", "payment_method": "pm_card_visa"},
            201,
        )
        if paid is None:
            return self.report_flow(started, "not paid")
        quotes = self._post(f"{ORDERS}/{oid}/shipping-quotes", f"{ORDERS}/{{id}}/shipping-quotes", None, 200)
        if not quotes or not quotes["data"]:
            return self.report_flow(started, "no quotes")
        delivery = self._post(
            f"{ORDERS}/{oid}/deliveries",
            f"{ORDERS}/{{id}}/deliveries",
            {"quote_id": quotes["data"][0]["quote_id"]},
            201,
            self.fulfilment,
        )
        if delivery is None:
            return self.report_flow(started, "no label")
        deadline = time.monotonic() + DELIVERED_TIMEOUT_S
        while time.monotonic() < deadline:
            time.sleep(0.25)
            with self.client.get(
                f"/api/v1/deliveries/{delivery['id']}",
                name="/api/v1/deliveries/{id} (until DELIVERED)",
                headers=self.auth,
                catch_response=True,
            ) as resp:
                if resp.status_code != 200:
                    resp.failure(f"track: {resp.status_code}")
                    return self.report_flow(started, "tracking failed")
                if resp.json()["status"] == "DELIVERED":
                    return self.report_flow(started, None)
        return self.report_flow(started, f"not DELIVERED within {DELIVERED_TIMEOUT_S}s")
