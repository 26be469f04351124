"""Steps about shipping (``features/logistics/``), against a lab with the Stripe, EasyPost and Twilio
simulators in-process and the service as a real process (``tests/support_lab.py``), wired like
``genai-demo up``: the service's webhook is registered with the carrier and its secret is
``LOGISTICS_WEBHOOK_SECRET``. Delivery updates go to the customer by SMS (Twilio), one per status.

Remembered values: ``order_id``, ``phone``, ``quotes``, ``delivery_id``, ``tracking_number``.

Vocabulary::

    Given the shipping lab is running
    Given a paid order shipping to "<street>, <city>, <ST> <zip>"
    Given I asked for shipping quotes / When I ask for shipping quotes
    Given I bought the cheapest quote / When I buy the cheapest quote
    Given the carrier picks the parcel up without telling the service
    Given the carrier cannot reach the service's webhook          (restored after the scenario)
    Given the carrier delivers every webhook twice
    Given the carrier fails the next <n> label purchases with 503 / answers every request with 503
    When I validate the address "<street>, <city>, <ST> <zip>"
    When I cancel the delivery because "<reason>"
    When the carrier's clock moves on <n> seconds
    When a forged tracking webhook says the parcel was "<status>"
    When the carrier's last tracking event is replayed
    When a signed tracking webhook that arrived late says the parcel is "<status>"
    When I run "genai-demo reconcile logistics"
    Then the quotes come from "<carriers>", cheapest first
    Then the carrier sold exactly <n> label for the order / was asked for the label <n> times
    Then the carrier refunds the label
    Then the delivery is | becomes "<STATUS>" ; the delivery's history is "<STATUS>, ..."
    Then the customer got <n> SMS saying "<text>"
    Then the service health is "<UP|DOWN>" because of "<check>"
    Then the service's requests to the carrier satisfy their contracts
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
import uuid
from typing import Any

import phonenumbers
import requests
from easypost.easypost_client import EasyPostClient
from pytest_bdd import given, step, then, when

import contracts
from simulators.logistics.webhooks import SIGNATURE_HEADER, signature
from simulators.logistics.wiring import WEBHOOK_PATH
from tests.bdd.common_steps import p, wait_until
from tests.bdd.world import ApiWorld
from tests.support import REPO, genai_demo_argv
from tests.support_lab import LabHandle

CONTRACT_FOR = {
    "create_address": "providers/logistics/requests/create-address",
    "create_shipment": "providers/logistics/requests/create-shipment",
    "buy_shipment": "providers/logistics/requests/buy-shipment",
    "create_tracker": "providers/logistics/requests/create-tracker",
}


def carrier(lab: LabHandle) -> EasyPostClient:
    """The SDK with the service's own key (its account on the simulator)."""
    return EasyPostClient(lab.env["LOGISTICS_API_KEY"], api_base=lab.sim("logistics").url + "/v2")


def parse_address(text: str) -> dict[str, str]:
    street, city, rest = (part.strip() for part in text.split(","))
    state, zip_code = rest.split()
    return {"name": "Ada Lovelace", "street1": street, "city": city, "state": state, "zip": zip_code}


def ensure_webhook(lab: LabHandle) -> None:
    """Exactly one webhook from the carrier to the service, with the service's secret (idempotent)."""
    client = carrier(lab)
    url = lab.url + WEBHOOK_PATH
    hooks = [h for h in client.webhook.all()["webhooks"] if h.url == url]
    if len(hooks) != 1:
        for hook in hooks:
            client.webhook.delete(hook.id)
        client.webhook.create(url=url, webhook_secret=lab.env["LOGISTICS_WEBHOOK_SECRET"])


def _delivery(world: ApiWorld) -> dict[str, Any]:
    resp = world.session.get(world.base_url + world.expand("/api/v1/deliveries/{delivery_id}"), timeout=10)
    body: dict[str, Any] = resp.json()
    return body


def _shipments(lab: LabHandle, order_id: str) -> list[Any]:
    backend = lab.sim("logistics").provider.backend  # type: ignore[attr-defined]
    found = []
    for _account, book in backend.books.items():
        found.extend(s for s in list(book.shipments.values()) if s.reference == order_id)
    return found


def _sms(lab: LabHandle, phone: str, text: str) -> int:
    data = lab.control("twilio", "GET", "twilio/messages", params={"to": phone, "limit": 100}).json()["data"]
    return sum(text in m["body"] for m in data)


def _post_event(world: ApiWorld, event: dict[str, Any], secret: str) -> None:
    body = json.dumps(event).encode()
    world.send(
        "POST",
        WEBHOOK_PATH,
        data=body,
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature(secret, body)},
    )


def _tracker_event(world: ApiWorld, lab: LabHandle, status: str) -> dict[str, Any]:
    """A tracker.updated Event for the delivery's label, as EasyPost sends it, with a fresh id."""
    tracker = carrier(lab).tracker.create(tracking_code=world.saved["tracking_number"]).to_dict()
    return {
        "id": f"evt_{uuid.uuid4().hex}",
        "object": "Event",
        "description": "tracker.updated",
        "mode": "test",
        "previous_attributes": {},
        "result": {**tracker, "status": status},
    }


@given("the shipping lab is running")
def lab_running(lab: LabHandle) -> None:
    assert requests.get(lab.url + "/health/live", timeout=5).status_code == 200
    ensure_webhook(lab)


@given(p('a paid order shipping to "{address:Q}"'))
def paid_order(world: ApiWorld, address: str) -> None:
    rng = random.Random(world.nonce)
    while True:
        phone = f"+1415{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(phone)):
            break
    order = {
        "customer_ref": f"cus_{world.nonce}",
        "currency": "USD",
        "items": [{"sku": "MUG", "name": "Mug", "quantity": 2, "unit_amount": 850}],
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "phone": phone},
        "shipping_address": parse_address(address),
    }
    resp = world.send("POST", "/api/v1/orders", json=order)
    assert resp.status_code == 201, resp.text
    world.saved.update(order_id=resp.json()["id"], phone=phone)
    paid = world.send(
        "POST",
        "/api/v1/orders/{order_id}/payments",
        json={"provider": "stripe", "payment_method": "pm_card_visa"},
    )
    assert paid.status_code == 201, paid.text
    wait_until(
        lambda: (
            world.session.get(world.base_url + world.expand("/api/v1/orders/{order_id}"), timeout=10).json()[
                "status"
            ]
            == "PAID"
        ),
        "order PAID",
    )


@step("I ask for shipping quotes")
@step("I asked for shipping quotes")
def ask_quotes(world: ApiWorld) -> None:
    resp = world.send("POST", "/api/v1/orders/{order_id}/shipping-quotes")
    assert resp.status_code == 200, resp.text
    world.saved["quotes"] = resp.json()["data"]


@step("I buy the cheapest quote")
@step("I bought the cheapest quote")
def buy_cheapest(world: ApiWorld) -> None:
    if "quotes" not in world.saved:
        ask_quotes(world)
    resp = world.send(
        "POST",
        "/api/v1/orders/{order_id}/deliveries",
        json={"quote_id": world.saved["quotes"][0]["quote_id"]},
    )
    if resp.status_code < 300:
        world.saved.update(delivery_id=resp.json()["id"], tracking_number=resp.json()["tracking_number"])


@then(p('the quotes come from "{carriers:Q}", cheapest first'))
def quotes_from(world: ApiWorld, carriers: str) -> None:
    quotes = world.json()["data"]
    assert {q["carrier"] for q in quotes} == {c.strip() for c in carriers.split(",")}
    amounts = [q["amount"] for q in quotes]
    assert amounts == sorted(amounts)


@then(p("the carrier sold exactly {count:d} label for the order"))
def labels_sold(world: ApiWorld, lab: LabHandle, count: int) -> None:
    bought = [s for s in _shipments(lab, world.saved["order_id"]) if s.postage_label is not None]
    assert len(bought) == count, [s.id for s in bought]


@then(p("the carrier was asked for the label {count:d} times"))
def buy_attempts(world: ApiWorld, lab: LabHandle, count: int) -> None:
    shipment_id = world.saved["quotes"][0]["quote_id"].split("/")[0]
    attempts = lab.sim("logistics").journal(operation="buy_shipment", path=f"/v2/shipments/{shipment_id}/buy")
    assert len(attempts) == count, [a["status"] for a in attempts]


@then("the service's requests to the carrier satisfy their contracts")
def requests_satisfy(lab: LabHandle) -> None:
    checked = 0
    for entry in lab.sim("logistics").journal(method="POST", limit=1000):
        if not entry["headers"].get("User-Agent", "").startswith("EasyPost/v2 PythonClient"):
            continue
        if entry["operation"] in CONTRACT_FOR:
            contracts.validate(CONTRACT_FOR[entry["operation"]], json.loads(entry["body"]))
            checked += 1
    assert checked >= 2


@when(p('I validate the address "{address:Q}"'))
def validate_address(world: ApiWorld, address: str) -> None:
    world.send("POST", "/api/v1/addresses/validate", json=parse_address(address))


@when(p('I cancel the delivery because "{reason:Q}"'))
def cancel_delivery(world: ApiWorld, reason: str) -> None:
    world.send("POST", "/api/v1/deliveries/{delivery_id}/cancel", json={"reason": reason})


@then("the carrier refunds the label")
def label_refunded(world: ApiWorld, lab: LabHandle) -> None:
    [shipment] = [s for s in _shipments(lab, world.saved["order_id"]) if s.postage_label is not None]
    assert shipment.refund_status in ("submitted", "refunded")
    lab.sim("logistics").advance(5)
    wait_until(lambda: shipment.refund_status == "refunded", "refund completed")


@given("the carrier picks the parcel up without telling the service")
def picked_up_silently(world: ApiWorld, lab: LabHandle) -> None:
    cannot_reach(lab)
    tracker_id = carrier(lab).tracker.create(tracking_code=world.saved["tracking_number"]).id
    moved = lab.sim("logistics").client.post(f"logistics/trackers/{tracker_id}/advance", {"steps": 1})
    assert moved["status"] == "in_transit"


@given("the carrier cannot reach the service's webhook")
def cannot_reach(lab: LabHandle) -> None:
    client = carrier(lab)
    for hook in client.webhook.all()["webhooks"]:
        if hook.url == lab.url + WEBHOOK_PATH:
            client.webhook.delete(hook.id)


@given("the carrier delivers every webhook twice")
def duplicates(lab: LabHandle) -> None:
    lab.sim("logistics").client.set_chaos(duplicate=1.0, seed=1)


@given(p("the carrier fails the next {count:d} label purchases with 503"))
def buy_fails(lab: LabHandle, count: int) -> None:
    lab.sim("logistics").fault(
        match={"operation": "buy_shipment"}, action={"type": "status", "status": 503}, times=count
    )


@given("the carrier answers every request with 503")
def carrier_down(lab: LabHandle) -> None:
    lab.sim("logistics").fault(match={"path": "/v2/*"}, action={"type": "status", "status": 503})


@when(p("the carrier's clock moves on {seconds:d} seconds"))
def clock_moves(lab: LabHandle, seconds: int) -> None:
    lab.sim("logistics").advance(seconds)


@when(p('a forged tracking webhook says the parcel was "{status:Q}"'))
def forged(world: ApiWorld, lab: LabHandle, status: str) -> None:
    _post_event(world, _tracker_event(world, lab, status), "whsec_forger")


@when("the carrier's last tracking event is replayed")
def replayed(world: ApiWorld, lab: LabHandle) -> None:
    events = carrier(lab).event.all(page_size=50)["events"]
    tracking = world.saved["tracking_number"]
    latest = next(
        e.to_dict()
        for e in events
        if e.description == "tracker.updated" and e.result.tracking_code == tracking
    )
    _post_event(world, latest, lab.env["LOGISTICS_WEBHOOK_SECRET"])


@when(p('a signed tracking webhook that arrived late says the parcel is "{status:Q}"'))
def late(world: ApiWorld, lab: LabHandle, status: str) -> None:
    _post_event(world, _tracker_event(world, lab, status), lab.env["LOGISTICS_WEBHOOK_SECRET"])


@when('I run "genai-demo reconcile logistics"')
def run_reconcile(world: ApiWorld, lab: LabHandle) -> None:
    database = f"sqlite:///{lab.service.log.parent / 'service.db'}"
    env = {**os.environ, **lab.env, "DATABASE_URL": database}
    done = subprocess.run(
        genai_demo_argv("reconcile", "logistics"),
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [line] = [row for row in done.stdout.splitlines() if world.saved["delivery_id"] in row]
    assert line.split()[1:] == ["in_transit", "applied"], done.stdout


@then(p('the delivery is "{status:Q}"'))
def delivery_is(world: ApiWorld, status: str) -> None:
    time.sleep(0.3)  # anything in flight lands first
    assert _delivery(world)["status"] == status


@then(p('the delivery becomes "{status:Q}"'))
def delivery_becomes(world: ApiWorld, status: str) -> None:
    wait_until(lambda: _delivery(world)["status"] == status, f"delivery -> {status}")


@then(p('the delivery\'s history is "{statuses:Q}"'))
def delivery_history(world: ApiWorld, statuses: str) -> None:
    applied = [h["status"] for h in _delivery(world)["history"] if h["applied"]]
    assert applied == [s.strip() for s in statuses.split(",")]


@then(p('the customer got {count:d} SMS saying "{text:Q}"'))
def sms_count(world: ApiWorld, lab: LabHandle, count: int, text: str) -> None:
    phone = world.saved["phone"]
    wait_until(lambda: _sms(lab, phone, text) >= count, f"{count} SMS saying {text!r}")
    time.sleep(0.5)  # a duplicate would arrive by now
    assert _sms(lab, phone, text) == count


@then(p('the service health is "{status:Q}" because of "{check:Q}"'))
def health(world: ApiWorld, status: str, check: str) -> None:
    def current() -> dict[str, Any] | None:
        body: dict[str, Any] = requests.get(world.base_url + "/health", timeout=10).json()
        return body if body["status"] == status and body["checks"][check]["status"] == status else None

    wait_until(current, f"health {status} because of {check}")
