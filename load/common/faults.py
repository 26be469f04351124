"""Fault mixes for load scenarios: ``"rate_limit=0.05,503=0.03,latency=0.1"`` → seeded fault rules on a
simulator, installed when the run starts and removed (reporting how often each fired) when it stops.

    install_fault_mix(events, sim_url, "STRIPE_FAULTS", [{"method": "POST", "path": "/v1/payment_intents"}])

Only the service's own calls should be matched (a path or an operation of the service), so the share
measures how well the service's retry policy absorbs the failures.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from simulators.kernel.client import SimClient

ACTIONS: dict[str, dict[str, Any]] = {
    "rate_limit": {"type": "rate_limit", "retry_after": 0},
    "503": {"type": "status", "status": 503},
    "500": {"type": "status", "status": 500},
    "reset": {"type": "reset"},
    "latency": {"type": "latency", "ms": 200},
}


def fault_mix(spec: str) -> list[tuple[str, float]]:
    """``"rate_limit=0.05,503=0.02"`` → ``[("rate_limit", 0.05), ("503", 0.02)]``."""
    mix = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, _, share = part.partition("=")
        if name not in ACTIONS:
            raise ValueError(f"unknown fault {name!r}; use {', '.join(ACTIONS)}")
        mix.append((name, float(share)))
    return mix


def install_fault_mix(events: Any, sim_url: str, variable: str, matches: Sequence[dict[str, Any]]) -> None:
    """On Locust's ``test_start``, add the mix named by environment ``variable`` for every rule in
    ``matches``; on ``test_stop``, print how often each fired and remove them. No variable, no faults."""

    @events.test_start.add_listener
    def _install(environment: Any, **_kw: Any) -> None:
        spec = os.environ.get(variable, "")
        with SimClient(sim_url) as sim:
            for n, (name, share) in enumerate(fault_mix(spec)):
                for match in matches:
                    sim.fault(
                        match,
                        ACTIONS[name],
                        probability=share,
                        seed=7 + n,
                        description=f"{variable}: {name} on {share:.0%} of {match}",
                    )

    @events.test_stop.add_listener
    def _remove(environment: Any, **_kw: Any) -> None:
        if os.environ.get(variable):
            with SimClient(sim_url) as sim:
                print(f"{variable} fired: { {f['description']: f['fired'] for f in sim.faults()} }")
                sim.clear_faults()
