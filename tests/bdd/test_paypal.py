"""Binds ``features/payments/paypal_checkout.feature`` to the PayPal, payment, order and common steps.

One lab per module: the PayPal simulator in-process and the service as a real process, wired like
``genai-demo up`` (``PAYPAL_WEBHOOK_ID`` from the simulator's webhooks API).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_bdd import scenarios

from tests.bdd.order_steps import *  # noqa: F403  (pytest-bdd registers steps as module-level fixtures)
from tests.bdd.payment_steps import *  # noqa: F403
from tests.bdd.paypal_steps import *  # noqa: F403
from tests.bdd.world import ApiWorld
from tests.support_lab import LabHandle, run_lab

pytestmark = [pytest.mark.e2e, pytest.mark.payments, pytest.mark.paypal]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    with run_lab(tmp_path_factory.mktemp("paypal-lab"), ["paypal"]) as running:
        yield running


@pytest.fixture
def world(lab: LabHandle) -> Iterator[ApiWorld]:
    scenario_world = ApiWorld(lab.url)
    yield scenario_world
    scenario_world.session.close()
    lab.clear_faults()


scenarios("payments/paypal_checkout.feature")
