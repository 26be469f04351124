"""The lab's pytest plugin: provider simulators as fixtures, loaded through the ``pytest11`` entry point
once the project is installed (``pip install genai-demo-lab``; nothing to add to ``conftest.py``).

Fixtures ``stripe_sim``, ``paypal_sim``, ``twilio_sim``, ``logistics_sim``, ``aws_sim`` and ``identity_sim``
each yield a :class:`~simulators.testing.RunningSimulator`: ``.url`` (point the official SDK there),
``.client`` (the control API) and ``fault()``, ``advance()``, ``journal()``, ``deliveries()``, ``reset()``::

    def test_a_503_is_retried(stripe_sim):
        stripe_sim.fault(method="POST", path="/v1/payment_intents", status=503, times=1)
        client = stripe.StripeClient("sk_test_123", base_addresses={"api": stripe_sim.url},
                                     max_network_retries=1)
        client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})
        assert [e["status"] for e in stripe_sim.journal(path="/v1/payment_intents")] == [200, 503]

Scope: each simulator is started once per test session (per xdist worker) on a free port, the first time a
test asks for it, and is reset before every test that uses it (state, faults, journal, deliveries, chaos
and webhook endpoints; ids restart from the seed), so tests do not see each other's state and start in
milliseconds. Override the session fixtures ``sim_config`` (``SimulatorConfig`` fields, default
``{"seed": 1}``) or ``sim_env`` (per provider: its environment, such as accepted credentials) in your
``conftest.py`` to change how they start. ``start_simulator`` starts extra simulators for one test (another
configuration, or your own provider class); ``webhook_receiver`` is a local HTTP server that records what
the simulators deliver. Run ``pytest --fixtures`` to see them all.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from simulators.kernel.provider import SimulatorProvider
from simulators.testing import RunningSimulator, WebhookReceiver, running

SimFixture = Callable[..., Any]


@pytest.fixture(scope="session")
def sim_config() -> dict[str, Any]:
    """``SimulatorConfig`` fields for the simulator fixtures (override in your ``conftest.py``)."""
    return {"seed": 1}


@pytest.fixture(scope="session")
def sim_env() -> Mapping[str, Mapping[str, str]]:
    """Each provider's environment, by provider name, e.g. ``{"twilio": {"TWILIO_AUTH_TOKEN": "..."}}``
    (override in your ``conftest.py``); by default each accepts its documented test credentials."""
    return {}


def simulator_fixtures(name: str) -> tuple[SimFixture, SimFixture]:
    """The session-scoped ``<name>_sim_server`` and the per-test ``<name>_sim`` for provider ``name``."""

    def server(
        sim_config: dict[str, Any], sim_env: Mapping[str, Mapping[str, str]]
    ) -> Iterator[RunningSimulator]:
        with running(name, env=sim_env.get(name), **sim_config) as sim:
            yield sim

    def per_test(request: pytest.FixtureRequest) -> RunningSimulator:
        sim: RunningSimulator = request.getfixturevalue(f"{name}_sim_server")
        sim.reset()
        return sim

    server.__doc__ = f"The {name} simulator, started once per session (tests use ``{name}_sim``)."
    per_test.__doc__ = f"The {name} simulator, reset for this test: ``.url``, ``.client``, ``fault()``..."
    return (
        pytest.fixture(server, scope="session", name=f"{name}_sim_server"),
        pytest.fixture(per_test, name=f"{name}_sim"),
    )


# one line per provider of simulators.registry.PROVIDERS; a new provider adds its own line
stripe_sim_server, stripe_sim = simulator_fixtures("stripe")
paypal_sim_server, paypal_sim = simulator_fixtures("paypal")
twilio_sim_server, twilio_sim = simulator_fixtures("twilio")
logistics_sim_server, logistics_sim = simulator_fixtures("logistics")
aws_sim_server, aws_sim = simulator_fixtures("aws")
identity_sim_server, identity_sim = simulator_fixtures("identity")


@pytest.fixture
def start_simulator() -> Iterator[Callable[..., RunningSimulator]]:
    """``start_simulator(provider, env=None, **config)`` serves another simulator for this test only (a
    registered name, a ``module:Class`` path or a provider instance; ``config`` as ``SimulatorConfig``); all
    are stopped when the test ends."""
    with contextlib.ExitStack() as stack:

        def start(provider: str | SimulatorProvider, **options: Any) -> RunningSimulator:
            return stack.enter_context(running(provider, **options))

        yield start


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A local HTTP server that records every request (answers 200 unless scripted); ``.url`` is its
    address, ``.wait_for(n)`` waits for deliveries."""
    with WebhookReceiver() as receiver:
        yield receiver
