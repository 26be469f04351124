"""Binds ``features/files/files.feature`` to the file, shipping, payment and common steps.

One lab per module: the AWS (moto), Stripe and EasyPost simulators in-process and the service as a real
process that creates its bucket and lifecycle rules at start. No email or SMS here (the invoice and label
are the subject). ``pytest tests/bdd/test_files.py -v`` lists the scenarios; ``-m files`` selects them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_bdd import scenarios

from tests.bdd.file_steps import *  # noqa: F403  (pytest-bdd registers steps as module-level fixtures)
from tests.bdd.logistics_steps import *  # noqa: F403
from tests.bdd.order_steps import *  # noqa: F403
from tests.bdd.payment_steps import *  # noqa: F403
from tests.bdd.world import ApiWorld
from tests.support_lab import LabHandle, run_lab

pytestmark = [pytest.mark.e2e, pytest.mark.files]
LAB_ENV = {
    "EMAIL_ORDER_CONFIRMATION": "false",
    "DELIVERY_NOTIFICATIONS": "false",
    "OUTBOX_POLL_SECONDS": "0.1",
    "FILES_MAX_BYTES": '{"return_documents": 2000000}',
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabHandle]:
    with run_lab(tmp_path_factory.mktemp("files-lab"), ["aws", "stripe", "logistics"], LAB_ENV) as running:
        yield running


@pytest.fixture
def world(lab: LabHandle) -> Iterator[ApiWorld]:
    scenario_world = ApiWorld(lab.url)
    yield scenario_world
    scenario_world.session.close()
    lab.clear_faults()


scenarios("files/files.feature")
