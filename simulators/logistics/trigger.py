"""``genai-demo trigger logistics <event>``: make the EasyPost simulator emit an event through real API calls.

Each fixture uses the official ``easypost`` SDK with the account's API key, so the events go to that
account's webhooks (the service's, once ``genai-demo up`` has wired it):

* ``tracker.created``: ``POST /v2/trackers`` with the test code ``EZ1000000001`` (a fresh tracker each time
  is not possible for a test code, so a repeated run answers the existing tracker and sends nothing);
* ``shipment.purchased``: create a shipment and buy its cheapest rate (also ``tracker.created``);
* ``tracker.updated``: the same, then ``POST /_sim/logistics/trackers/{id}/advance`` moves the new label's
  tracker to ``in_transit`` at once.
* ``tracker.delivered``: the same, advanced to ``delivered`` (three ``tracker.updated``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

DEFAULT_API_BASE = "http://127.0.0.1:12114/v2"
DEFAULT_API_KEY = "EZTK_genaidemo"
TO = {
    "name": "Ada Lovelace",
    "street1": "179 N Harbor Dr",
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
PARCEL = {"length": 10, "width": 8, "height": 4, "weight": 15.4}
EVENTS = ("tracker.created", "shipment.purchased", "tracker.updated", "tracker.delivered")


def run_trigger(
    event: str, api_base: str, api_key: str, echo: Callable[[str], None] = print
) -> dict[str, Any]:
    """Run ``event``'s fixture; returns the objects it made by name."""
    from easypost.easypost_client import EasyPostClient

    from simulators.kernel.client import SimClient

    if event not in EVENTS:
        raise ValueError(f"unsupported event {event!r} (supported: {', '.join(EVENTS)})")
    client = EasyPostClient(api_key, api_base=api_base)
    made: dict[str, Any] = {}
    if event == "tracker.created":
        echo("Running fixture for: tracker")
        made["tracker"] = client.tracker.create(tracking_code="EZ1000000001", carrier="USPS")
        echo(f"  tracker {made['tracker'].id} ({made['tracker'].status})")
    else:
        echo("Running fixture for: shipment")
        shipment = client.shipment.create(
            to_address=TO, from_address=FROM, parcel=PARCEL, reference="trigger"
        )
        echo("Running fixture for: buy")
        bought = client.shipment.buy(shipment.id, rate=shipment.lowest_rate())
        made["shipment"] = bought
        echo(f"  shipment {bought.id} label {bought.tracking_code} tracker {bought.tracker.id}")
        if event in ("tracker.updated", "tracker.delivered"):
            steps = 1 if event == "tracker.updated" else 3
            sim_url = api_base.rstrip("/").removesuffix("/v2")
            with SimClient(sim_url) as sim:
                moved = sim.post(f"logistics/trackers/{bought.tracker.id}/advance", {"steps": steps})
            echo(f"  tracker {bought.tracker.id} is now {moved['status']}")
    echo("Trigger succeeded! Check the webhook deliveries (GET /_sim/webhooks/deliveries).")
    return made


@click.command("logistics")
@click.argument("event", type=click.Choice(EVENTS))
@click.option(
    "--api-base", default=DEFAULT_API_BASE, show_default=True, help="The EasyPost simulator's /v2 URL."
)
@click.option(
    "--api-key",
    envvar="LOGISTICS_API_KEY",
    default=DEFAULT_API_KEY,
    show_default=True,
    help="API key of the account (default: LOGISTICS_API_KEY, else the lab's key).",
)
def logistics_trigger(event: str, api_base: str, api_key: str) -> None:
    """Trigger EVENT on the EasyPost simulator: real API calls that make it send the event."""
    from easypost.errors.general.easypost_error import EasyPostError

    try:
        run_trigger(event, api_base, api_key, click.echo)
    except EasyPostError as exc:
        raise click.ClickException(f"Trigger failed: {exc.message}") from None
