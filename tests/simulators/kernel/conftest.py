"""Fixtures for kernel tests: the example provider in-process (WSGI client) or on a real socket."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from werkzeug.test import Client

from simulators.kernel import SimulatorApp, SimulatorConfig, ThreadedSimulator, build_simulator_app
from simulators.kernel.client import SimClient
from tests.simulators.kernel.example_provider import WidgetsProvider

ALICE = {"Authorization": "Bearer wk_alice"}
BOB = {"Authorization": "Bearer wk_bob"}


@pytest.fixture
def app() -> Iterator[SimulatorApp]:
    """The example simulator as a WSGI app (no sockets)."""
    application = build_simulator_app(WidgetsProvider(), SimulatorConfig(seed=1))
    yield application
    application.close()


@pytest.fixture
def client(app: SimulatorApp) -> Client:
    return Client(app)


@pytest.fixture
def make_sim() -> Iterator[Callable[..., ThreadedSimulator]]:
    """Start example simulators with a given config; all are stopped after the test."""
    started: list[ThreadedSimulator] = []

    def _make(**config: Any) -> ThreadedSimulator:
        config.setdefault("seed", 1)
        sim = ThreadedSimulator(WidgetsProvider(), config=SimulatorConfig(**config)).start()
        started.append(sim)
        return sim

    yield _make
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_sim: Callable[..., ThreadedSimulator]) -> ThreadedSimulator:
    return make_sim(webhook_timeout_s=1.0)


def deliveries(sim: ThreadedSimulator, **params: str) -> list[dict[str, Any]]:
    """The simulator's webhook deliveries, through the control client."""
    with SimClient(sim.url) as client:
        return client.deliveries(**params)
