"""Binds ``features/logistics/`` to the logistics, order, payment and common steps.

One lab per module: the Stripe, EasyPost and Twilio simulators in-process and the service as a real
process wired like ``genai-demo up`` (``LOGISTICS_WEBHOOK_SECRET`` from the carrier's webhooks API).
Delivery updates go by SMS only here (no AWS simulator in this lab). ``pytest tests/bdd/test_logistics.py -v``
lists the scenarios; ``-m logistics`` selects them elsewhere too.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_bdd import scenarios

from tests.bdd.logistics_steps import *  # noqa: F403  (pytest-bdd registers steps as module-level fixtures)
from tests.bdd.logistics_steps import ensure_webhook
from tests.bdd.order_steps import *  # noqa: F403
from tests.bdd.payment_steps import *  # noqa: F403
from tests.bdd.world import ApiWorld
from tests.support_lab import LabHandle, run_lab

pytestmark = [pytest.mark.e2e, pytest.mark.logistics]
LAB_ENV = {
    "SMS_PROVIDERS": "twilio",
    "DELIVERY_NOTIFICATION_CHANNELS": "sms",
    "EMAIL_ORDER_CONFIRMATION": "false",
    "OUTBOX_POLL_SECONDS": "0.1",
}
STEP_S = 60.0


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    with run_lab(
        tmp_path_factory.mktemp("logistics-lab"), ["stripe", "logistics", "twilio"], LAB_ENV
    ) as running:
        # each carrier step takes a simulated minute: only the scenarios' clock moves parcels, however slow
        # the machine is
        steps = {"in_transit": STEP_S, "out_for_delivery": STEP_S, "final": STEP_S}
        running.sim("logistics").client.post("logistics/settings", {"delays": steps})
        yield running


@pytest.fixture
def world(lab: LabHandle) -> Iterator[ApiWorld]:
    scenario_world = ApiWorld(lab.url)
    yield scenario_world
    scenario_world.session.close()
    lab.clear_faults()
    ensure_webhook(lab)


scenarios("logistics")
