"""Composition root of one simulator: :func:`build_simulator_app`.

``build_simulator_app(provider, config)`` builds a :class:`SimulatorRuntime` (clock, ids, journal,
faults, timeline, webhook registry and dispatcher, backends), binds the provider to it, and returns a
:class:`SimulatorApp`: a WSGI callable that sends ``/_sim`` paths to the control API and everything
else through :class:`~simulators.kernel.middleware.KernelMiddleware` to the provider's app. Call
:meth:`SimulatorApp.close` when done (:class:`~simulators.kernel.server.ThreadedSimulator` does).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from simulators.kernel.backend import Account, AccountBackends
from simulators.kernel.clock import SimClock
from simulators.kernel.config import SimulatorConfig
from simulators.kernel.dispatcher import WebhookDispatcher
from simulators.kernel.faults import FaultRegistry
from simulators.kernel.ids import IdGenerator
from simulators.kernel.journal import HeaderMasker, Journal
from simulators.kernel.middleware import KernelMiddleware
from simulators.kernel.provider import SimulatorProvider
from simulators.kernel.transitions import Timeline
from simulators.kernel.webhooks import EndpointRegistry, UnsignedSigner
from simulators.kernel.wsgi import Environ, StartResponse, WSGIApp

log = logging.getLogger(__name__)
T = TypeVar("T")


class SimulatorRuntime:
    """The kernel services a provider uses; one per simulator, built by :func:`build_simulator_app`.

    Attributes: ``config``, ``clock`` (:class:`SimClock`), ``ids`` (:class:`IdGenerator`), ``journal``,
    ``faults``, ``timeline`` (scheduled transitions), ``endpoints`` (webhook endpoint registry),
    ``webhooks`` (:class:`WebhookDispatcher`), ``stop_event`` (set when the simulator stops; waits in
    faults use it so they end promptly) and ``provider``.
    """

    def __init__(self, provider: SimulatorProvider, config: SimulatorConfig) -> None:
        self.provider = provider
        self.config = config
        self.clock = SimClock()
        self.ids = IdGenerator(config.seed)
        self.stop_event = threading.Event()
        self.masker = HeaderMasker(provider.masked_headers, provider.unmasked_headers)
        self.journal = Journal(config.journal_size, self.masker)
        self.faults = FaultRegistry(self.clock, lambda: self.ids.seed)
        self.timeline = Timeline(self.clock, thread_name=f"sim-{provider.name}-timeline")
        self.endpoints = EndpointRegistry()
        self._backends: list[AccountBackends[Any]] = []
        self.webhooks = WebhookDispatcher(
            clock=self.clock,
            timeline=self.timeline,
            endpoints=self.endpoints,
            signer=UnsignedSigner(),
            retry_schedule=provider.retry_schedule,
            config=config,
            masker=self.masker,
            base_seed=lambda: self.ids.seed,
            on_attempt=provider.on_delivery_attempt,
        )

    def backends(self, factory: Callable[[Account], T]) -> AccountBackends[T]:
        """A new account-keyed store, emptied by :meth:`reset`."""
        store: AccountBackends[T] = AccountBackends(factory)
        self._backends.append(store)
        return store

    def reset(self, seed: int | None = None, *, keep_endpoints: bool = True) -> int:
        """Forget all state: backends, provider state, faults, journal, deliveries, scheduled
        transitions, chaos; endpoints too unless ``keep_endpoints``. Reseeds ids (``seed`` or the
        configured one) and returns the seed. The clock is not moved: it never goes backwards."""
        self.timeline.clear()
        self.webhooks.reset()
        if not keep_endpoints:
            self.endpoints.clear()
        self.faults.reset()
        self.journal.clear()
        used = self.ids.reseed(seed if seed is not None else self.config.seed)
        for store in self._backends:
            store.reset()
        self.provider.reset()
        return used

    def close(self) -> None:
        """Release waits, stop the dispatcher and timeline threads, close the provider."""
        self.stop_event.set()
        self.webhooks.close()
        self.timeline.close()
        self.provider.close()


class SimulatorApp:
    """The WSGI app of one simulator: ``/_sim`` -> control API, anything else -> faults + journal ->
    provider. ``runtime`` exposes the kernel services to in-process tests."""

    def __init__(self, runtime: SimulatorRuntime, provider_app: WSGIApp, control_app: WSGIApp) -> None:
        self.runtime = runtime
        self.provider_app = provider_app
        self.control_app = control_app
        self.kernel_app = KernelMiddleware(provider_app, runtime)
        self._closed = False

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        if path.startswith("/_sim") and (len(path) == 5 or path[5] == "/"):
            return self.control_app(environ, start_response)
        return self.kernel_app(environ, start_response)

    def close(self) -> None:
        """Stop background threads and release hanging requests (idempotent)."""
        if not self._closed:
            self._closed = True
            self.runtime.close()


def build_simulator_app(provider: SimulatorProvider, config: SimulatorConfig | None = None) -> SimulatorApp:
    """Build the whole simulator around ``provider`` (see the module docstring)."""
    from simulators.kernel.control_app import build_control_app

    runtime = SimulatorRuntime(provider, config or SimulatorConfig())
    provider.bind(runtime)
    runtime.webhooks.set_signer(provider.signer())
    provider_app = provider.build_wsgi_app()
    control_app = build_control_app(runtime)
    log.info("simulator %s built (seed %s)", provider.name, runtime.ids.seed)
    return SimulatorApp(runtime, provider_app, control_app)
