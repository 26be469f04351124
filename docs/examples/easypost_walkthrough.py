"""Ship a parcel through the lab's carrier simulator with the official ``easypost`` SDK, nothing else.

Run it as it is (it starts a simulator in-process)::

    python docs/examples/easypost_walkthrough.py

or against a running one (``genai-demo sim logistics``, or ``genai-demo up``)::

    python docs/examples/easypost_walkthrough.py --sim http://127.0.0.1:12114

Steps: create and verify an address; create a shipment and read its rates; buy the cheapest; create a
tracker for the label; register a webhook, receive the carrier's signed event and verify it with the SDK's
``validate_webhook``; refund the unused label. ``tests/e2e/test_easypost_walkthrough.py`` runs this file.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
from collections.abc import Iterator

from easypost.easypost_client import EasyPostClient
from easypost.util import validate_webhook

import simulators
from simulators.testing import WebhookReceiver

TO = {
    "name": "Elizabeth Swan",
    "street1": "179 N Harbor Drive",
    "city": "Redondo Beach",
    "state": "CA",
    "zip": "90277",
}
FROM = {
    "company": "genai-demo",
    "street1": "388 Townsend St",
    "city": "San Francisco",
    "state": "CA",
    "zip": "94107",
}


@contextlib.contextmanager
def simulator(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    with simulators.running("logistics") as sim:
        yield sim.url


def walkthrough(sim_url: str) -> None:
    client = EasyPostClient("EZTK_walkthrough", api_base=sim_url + "/v2")

    address = client.address.create(verify=True, **TO)
    delivery = address.verifications.delivery
    print(
        f"1. address {address.id}: verified={delivery.success}, corrected to {address.street1}, {address.zip}"
    )

    shipment = client.shipment.create(to_address=address, from_address=FROM, parcel={"weight": 15.4})
    print(
        f"2. shipment {shipment.id}: {len(shipment.rates)} rates from "
        f"{sorted({r.carrier for r in shipment.rates})}"
    )

    with WebhookReceiver() as inbox:
        secret = secrets.token_hex(16)
        webhook = client.webhook.create(url=inbox.url, webhook_secret=secret)
        cheapest = shipment.lowest_rate()
        bought = client.shipment.buy(shipment.id, rate=cheapest)
        print(
            f"3. bought {cheapest.carrier} {cheapest.service} for {cheapest.rate} {cheapest.currency}: "
            f"{bought.tracking_code}, label {bought.postage_label.label_url}"
        )

        tracker = client.tracker.create(tracking_code=bought.tracking_code, carrier=cheapest.carrier)
        print(
            f"4. tracker {tracker.id}: {tracker.status} "
            f"(the label's own tracker: {tracker.id == bought.tracker.id})"
        )

        [delivered, *_] = inbox.wait_for(1)
        event = validate_webhook(delivered.body, dict(delivered.headers), secret)
        print(f"5. webhook {event['id']} {event['description']} verified with X-Hmac-Signature")
        client.webhook.delete(webhook.id)

    refunded = client.shipment.refund(shipment.id)
    print(f"6. refund of the unused label: {refunded.refund_status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sim", help="the simulator's URL (default: start one in-process)")
    args = parser.parse_args()
    with simulator(args.sim) as url:
        walkthrough(url)


if __name__ == "__main__":
    main()
