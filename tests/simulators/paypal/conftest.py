"""Fixtures: the PayPal simulator (reset before each test), a spec-validating client, extra simulators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from simulators.paypal.provider import PayPalProvider
from simulators.testing import RunningSimulator

from .support import PayPalClient


@pytest.fixture
def sim(paypal_sim: RunningSimulator) -> RunningSimulator:
    """The PayPal simulator (the lab plugin's: one per session, everything forgotten before each test)."""
    return paypal_sim


@pytest.fixture
def pp(sim: RunningSimulator) -> PayPalClient:
    """A client of the default app with a fresh token."""
    return PayPalClient(sim.url)


@pytest.fixture
def make_sim(start_simulator: Callable[..., RunningSimulator]) -> Callable[..., RunningSimulator]:
    """Start extra simulators with a given config/env; all stopped after the test."""

    def _make(env: dict[str, str] | None = None, **config: Any) -> RunningSimulator:
        config.setdefault("seed", 11)
        return start_simulator(PayPalProvider(env=env), **config)

    return _make
