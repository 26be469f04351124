"""Fixtures of the EasyPost simulator tests: ``sim`` is the lab plugin's ``logistics_sim`` (reset per test)
and ``client`` the official ``easypost`` SDK pointed at it with a test key of its own."""

from __future__ import annotations

import pytest
from easypost.easypost_client import EasyPostClient

from simulators.testing import RunningSimulator

KEY = "EZTK_simulator_tests"
TO = {
    "name": "Elizabeth Swan",
    "street1": "179 N Harbor Dr",
    "city": "Redondo Beach",
    "state": "CA",
    "zip": "90277",
}
FROM = {
    "name": "Jack Sparrow",
    "street1": "388 Townsend St",
    "city": "San Francisco",
    "state": "CA",
    "zip": "94107",
}
PARCEL = {"length": 10, "width": 8, "height": 4, "weight": 15.4}


@pytest.fixture
def sim(logistics_sim: RunningSimulator) -> RunningSimulator:
    return logistics_sim


@pytest.fixture
def client(sim: RunningSimulator) -> EasyPostClient:
    return EasyPostClient(KEY, api_base=sim.url + "/v2")
