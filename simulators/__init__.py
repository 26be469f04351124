"""Stateful fakes of the providers the reference service calls (Stripe, PayPal, Twilio, AWS through moto),
all built on :mod:`simulators.kernel`. ``simulators.registry.PROVIDERS`` lists them; ``genai-demo sim
<provider>`` serves one, and :func:`running` serves one inside your own process (with pytest, use the
fixtures of :mod:`simulators.pytest_plugin`: ``stripe_sim``, ``paypal_sim``, ``twilio_sim``, ``aws_sim``)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulators.kernel.provider import SimulatorProvider
    from simulators.testing import RunningSimulator


def running(
    provider: str | SimulatorProvider, *, env: Mapping[str, str] | None = None, **config: Any
) -> AbstractContextManager[RunningSimulator]:
    """``with simulators.running("stripe") as sim:`` serves the Stripe simulator on a free local port for
    the block: ``sim.url`` for the SDK, ``sim.client`` for the control API (see
    :func:`simulators.testing.running`)."""
    from simulators.testing import running as serve_in_process

    return serve_in_process(provider, env=env, **config)
