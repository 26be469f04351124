"""A lab for tests: simulators in-process (``simulators.running``) plus the service as a real process,
wired exactly as ``genai-demo up`` wires them (credentials, base URLs, the providers' ``wire`` hooks before
the service starts and their ``wire_after_service`` hooks once it is up).

``run_lab(tmp, ["stripe"])`` yields a ``LabHandle``: ``lab.url`` is the service, ``lab.sim("stripe")`` the
simulator (a ``RunningSimulator``: ``.url``, ``.client``, ``.runtime``, ``fault()``...), ``lab.env`` what the
service was started with.
Provider retries are shortened (``PROVIDER_RETRY_INITIAL_SECONDS``) so retry scenarios run in
milliseconds; the policy itself (3 attempts) is the seed's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from reference_service.config import load_settings
from simulators.lab.wiring import SIMULATOR_URL_SETTINGS, credential_env, feedback_env
from simulators.registry import load_wire
from simulators.testing import RunningSimulator, free_port, running
from tests.support import LiveProcess, PortTaken, run_service

FAST_RETRIES = {
    "PROVIDER_RETRY_INITIAL_SECONDS": "0.02",
    "PROVIDER_RETRY_MAX_SECONDS": "0.1",
    "PROVIDER_HEALTH_CACHE_SECONDS": "0.5",
}


@dataclass
class LabHandle:
    service: LiveProcess
    sims: dict[str, RunningSimulator]
    env: dict[str, str]

    @property
    def url(self) -> str:
        return self.service.url

    @property
    def http(self) -> requests.Session:
        """A session to the service with an admin token (``tests/auth.py``)."""
        return self.service.http

    def sim(self, name: str) -> RunningSimulator:
        return self.sims[name]

    def control(self, name: str, method: str, path: str, **kw: Any) -> requests.Response:
        """The raw answer of a simulator's control API (``path`` relative to ``/_sim/``)."""
        return self.sims[name].client.request(method, path, **kw)

    def clear_faults(self) -> None:
        for sim in self.sims.values():
            sim.client.clear_faults()
            sim.client.clear_chaos()


@contextlib.contextmanager
def run_lab(
    tmp: Path, providers: Sequence[str], service_env: Mapping[str, str] | None = None
) -> Iterator[LabHandle]:
    """Start the simulators and the service; retried (up to 3 times) when the chosen port was taken."""
    for attempt in range(3):
        try:
            with _lab(tmp / f"try{attempt}", providers, service_env) as lab:
                yield lab
            return
        except PortTaken:
            if attempt == 2:
                raise


@contextlib.contextmanager
def _lab(tmp: Path, providers: Sequence[str], service_env: Mapping[str, str] | None) -> Iterator[LabHandle]:
    tmp.mkdir(parents=True, exist_ok=True)
    settings = load_settings(env={})
    creds = credential_env(settings)
    port = free_port()
    service_url = f"http://127.0.0.1:{port}"
    with contextlib.ExitStack() as stack:
        sims = {name: stack.enter_context(running(name, env=creds)) for name in providers}
        env: dict[str, str] = {**creds, **FAST_RETRIES, "SERVICE_PUBLIC_URL": service_url}
        if "aws" not in providers:  # no AWS simulator: no SES feedback wiring, no bucket, no files stored
            env.update(
                AWS_PROVISION_ON_START="false",
                S3_PROVISION_ON_START="false",
                FILES_INVOICE_ON_PAID="false",
                FILES_LABEL_ON_DELIVERY="false",
            )
        for name, sim in sims.items():
            if name in SIMULATOR_URL_SETTINGS:
                variable, suffix = SIMULATOR_URL_SETTINGS[name]
                env[variable] = sim.url + suffix
            wire = load_wire(name)
            if wire is not None:
                env.update(wire(sim.url, service_url, env))
        env.update(service_env or {})
        with run_service(tmp, env=env, port=port) as live:
            for name, sim in sims.items():
                wire = load_wire(name, after_service=True)
                if wire is not None:
                    wire(sim.url, service_url, {**feedback_env(settings), **env})
            yield LabHandle(live, sims, env)
