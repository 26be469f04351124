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
