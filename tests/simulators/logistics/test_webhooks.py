"""EasyPost webhooks from the simulator: created with the SDK, signed so that the SDK's own
``validate_webhook`` accepts them, retried on failure, duplicated on request, listed at ``/v2/events``."""

from __future__ import annotations

import pytest
from easypost.easypost_client import EasyPostClient
from easypost.errors.general.signature_verification_error import SignatureVerificationError
from easypost.util import validate_webhook

import contracts
from simulators.testing import RunningSimulator, WebhookReceiver
from tests.simulators.logistics.conftest import FROM, PARCEL, TO

SECRET = "sécret-ﬁ"  # NFKD changes it: the signer must normalise as the SDK does


def buy(client: EasyPostClient) -> str:
    created = client.shipment.create(to_address=TO, from_address=FROM, parcel=PARCEL)
    tracker_id: str = client.shipment.buy(created.id, rate=created.lowest_rate()).tracker.id
    return tracker_id


def test_webhooks_are_managed_with_the_sdk(client: EasyPostClient, receiver: WebhookReceiver) -> None:
    hook = client.webhook.create(url=receiver.url, webhook_secret=SECRET)
    assert hook.id.startswith("hook_") and hook.url == receiver.url and "webhook_secret" not in hook.to_dict()
    assert [h.id for h in client.webhook.all()["webhooks"]] == [hook.id]
    assert client.webhook.retrieve(hook.id).url == receiver.url
    client.webhook.delete(hook.id)
    assert client.webhook.all()["webhooks"] == []


def test_every_event_is_signed_as_the_sdk_verifies_it(
    client: EasyPostClient, sim: RunningSimulator, receiver: WebhookReceiver
) -> None:
    client.webhook.create(url=receiver.url, webhook_secret=SECRET)
    buy(client)
    sim.advance(15)
    got = receiver.wait_for(5)
    descriptions = []
    for delivery in got:
        event = validate_webhook(delivery.body, dict(delivery.headers), SECRET)
        contracts.validate("providers/logistics/webhooks/event", event)
        descriptions.append((event["description"], event["result"].get("status")))
        with pytest.raises(SignatureVerificationError):
            validate_webhook(delivery.body, dict(delivery.headers), "another secret")
    # five events; deliveries run on the dispatcher's workers, so their arrival order is not fixed
    assert sorted(descriptions) == [
        ("shipment.purchased", "pre_transit"),
        ("tracker.created", "pre_transit"),
        ("tracker.updated", "delivered"),
        ("tracker.updated", "in_transit"),
        ("tracker.updated", "out_for_delivery"),
    ]
    listed = client.event.all(page_size=20)["events"]
    assert {e.description for e in listed} == {"tracker.created", "shipment.purchased", "tracker.updated"}
    assert listed[0].previous_attributes.status == "out_for_delivery"


def test_a_failed_delivery_is_retried_on_the_schedule(
    client: EasyPostClient, sim: RunningSimulator, receiver: WebhookReceiver
) -> None:
    client.webhook.create(url=receiver.url, webhook_secret=SECRET)
    receiver.script.append(500)
    client.tracker.create(tracking_code="EZ2000000002", carrier="USPS")
    receiver.wait_for(1)
    sim.advance(60)  # the first retry is due 60 s later (RETRY_SCHEDULE)
    second = receiver.wait_for(2)[1]
    assert validate_webhook(second.body, dict(second.headers), SECRET)["description"] == "tracker.created"
    [delivery] = sim.deliveries(event_type="tracker.created")
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 200]


def test_duplicates_can_be_injected(
    client: EasyPostClient, sim: RunningSimulator, receiver: WebhookReceiver
) -> None:
    client.webhook.create(url=receiver.url, webhook_secret=SECRET)
    sim.client.set_chaos(duplicate=1.0, seed=1)
    client.tracker.create(tracking_code="EZ3000000003", carrier="USPS")
    first, second = receiver.wait_for(2)
    assert first.body == second.body
