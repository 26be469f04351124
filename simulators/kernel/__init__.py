"""The simulator kernel shared by every provider simulator.

Public API (import from here):

* :class:`SimulatorProvider`: the plugin base class a provider subclasses.
* :class:`Route`: one row of a provider's route tables (``urls.py``); :class:`ProviderApi`: the plain-WSGI
  app that serves ``API_ROUTES`` (one router, one error path), with :class:`Response`.
* :class:`BoundedMap`: the insertion-ordered map with a cap that every growing store uses.
* :func:`build_simulator_app` -> :class:`SimulatorApp` (WSGI), with :class:`SimulatorRuntime` holding
  the clock, ids, backends, journal, faults, timeline and webhook dispatcher.
* :class:`ThreadedSimulator`: in-process server for tests; :func:`serve` runs one under granian.
* :class:`SimulatorConfig`, :class:`SimClock`, :class:`IdGenerator`, :class:`AccountBackends`,
  :class:`Timeline`, :class:`Signer`, :class:`WebhookTarget`, :class:`Delivery`, :class:`Attempt`,
  :class:`ErrorResponse`, :class:`ProviderError`, :class:`SimRequest`; response helpers and the
  bracket-form unflattener live in :mod:`simulators.kernel.responses`.

The control API every simulator serves under ``/_sim/`` is described at ``/_sim/openapi.json`` and in
``docs/simulators-control-api.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulators.kernel.api import ProviderApi, Response
    from simulators.kernel.app import SimulatorApp, SimulatorRuntime, build_simulator_app
    from simulators.kernel.backend import AccountBackends, BoundedMap
    from simulators.kernel.clock import SimClock
    from simulators.kernel.config import SimulatorConfig
    from simulators.kernel.dispatcher import WebhookDispatcher
    from simulators.kernel.errors import ErrorResponse, ProviderError
    from simulators.kernel.ids import IdGenerator
    from simulators.kernel.provider import SimulatorProvider
    from simulators.kernel.routing import Route
    from simulators.kernel.server import ThreadedSimulator
    from simulators.kernel.transitions import Timeline
    from simulators.kernel.webhooks import Attempt, Delivery, Signer, WebhookEndpoint, WebhookTarget
    from simulators.kernel.wsgi import SimRequest, WSGIApp

#: where each public name lives: imported on first use (PEP 562), so that a process needing one small
#: module of the kernel (``genai-demo sim``'s main process needs only ``serve``) does not load Flask, the
#: dispatcher and the routing with it
_WHERE = {
    "AccountBackends": "simulators.kernel.backend",
    "Attempt": "simulators.kernel.webhooks",
    "BoundedMap": "simulators.kernel.backend",
    "Delivery": "simulators.kernel.webhooks",
    "ErrorResponse": "simulators.kernel.errors",
    "IdGenerator": "simulators.kernel.ids",
    "ProviderApi": "simulators.kernel.api",
    "ProviderError": "simulators.kernel.errors",
    "Response": "simulators.kernel.api",
    "Route": "simulators.kernel.routing",
    "Signer": "simulators.kernel.webhooks",
    "SimClock": "simulators.kernel.clock",
    "SimRequest": "simulators.kernel.wsgi",
    "SimulatorApp": "simulators.kernel.app",
    "SimulatorConfig": "simulators.kernel.config",
    "SimulatorProvider": "simulators.kernel.provider",
    "SimulatorRuntime": "simulators.kernel.app",
    "ThreadedSimulator": "simulators.kernel.server",
    "Timeline": "simulators.kernel.transitions",
    "WSGIApp": "simulators.kernel.wsgi",
    "WebhookDispatcher": "simulators.kernel.dispatcher",
    "WebhookEndpoint": "simulators.kernel.webhooks",
    "WebhookTarget": "simulators.kernel.webhooks",
    "build_simulator_app": "simulators.kernel.app",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AccountBackends",
    "Attempt",
    "BoundedMap",
    "Delivery",
    "ErrorResponse",
    "IdGenerator",
    "ProviderApi",
    "ProviderError",
    "Response",
    "Route",
    "Signer",
    "SimClock",
    "SimRequest",
    "SimulatorApp",
    "SimulatorConfig",
    "SimulatorProvider",
    "SimulatorRuntime",
    "ThreadedSimulator",
    "Timeline",
    "WSGIApp",
    "WebhookDispatcher",
    "WebhookEndpoint",
    "WebhookTarget",
    "build_simulator_app",
]
