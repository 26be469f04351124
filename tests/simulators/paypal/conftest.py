"""Fixtures: one PayPal simulator per test module (reset before each test), a spec-validating client,
and a webhook receiver."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from simulators.kernel import SimulatorConfig, ThreadedSimulator
from simulators.paypal.provider import PayPalProvider
from tests.simulators.kernel.receiver import Receiver

from .support import PayPalClient


@pytest.fixture(scope="module")
def sim() -> Iterator[ThreadedSimulator]:
    """A PayPal simulator shared by the module's tests."""
    with ThreadedSimulator(
        PayPalProvider(), config=SimulatorConfig(seed=7, webhook_timeout_s=2.0)
    ) as running:
        yield running


@pytest.fixture(autouse=True)
def _fresh(request: pytest.FixtureRequest) -> None:
    """Forget orders, events, endpoints, faults and deliveries before each test that uses ``sim``."""
    if "sim" in request.fixturenames:
        running: ThreadedSimulator = request.getfixturevalue("sim")
        requests.post(
            running.control_url + "reset", json={"keep_endpoints": False}, timeout=10
        ).raise_for_status()


@pytest.fixture
def pp(sim: ThreadedSimulator) -> PayPalClient:
    """A client of the default app with a fresh token."""
    return PayPalClient(sim.url)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver (answers 200 unless scripted)."""
    with Receiver() as r:
        yield r


@pytest.fixture
def make_sim() -> Iterator[Callable[..., ThreadedSimulator]]:
    """Start extra simulators with a given config/env; all stopped after the test."""
    started: list[ThreadedSimulator] = []

    def _make(env: dict[str, str] | None = None, **config: Any) -> ThreadedSimulator:
        config.setdefault("seed", 11)
        running = ThreadedSimulator(PayPalProvider(env=env), config=SimulatorConfig(**config)).start()
        started.append(running)
        return running

    yield _make
    for running in started:
        running.stop()
