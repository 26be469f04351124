"""Run simulators inside your own tests, and the small helpers such tests need.

* :func:`running` (also ``simulators.running``): a context manager that serves one simulator in-process on
  a free port (``ThreadedSimulator``) and yields a :class:`RunningSimulator`, for code that does not use
  pytest::

      with simulators.running("stripe") as sim:
          client = stripe.StripeClient("sk_test_123", base_addresses={"api": sim.url})
          sim.fault(path="/v1/payment_intents", status=503, times=1)
          ...
          assert sim.journal(path="/v1/payment_intents")[0]["status"] == 200

  With pytest, the fixtures ``stripe_sim``, ``paypal_sim``, ``twilio_sim`` and ``aws_sim`` of
  :mod:`simulators.pytest_plugin` yield the same object.
* :func:`free_port`, :func:`poll` (wait for a truthy value), :func:`eventually` (retry an assertion) and
  :class:`WebhookReceiver` (a local HTTP server that records what a simulator delivers).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl

from werkzeug.datastructures import Headers
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from simulators.kernel.client import JSON, SimClient
from simulators.kernel.config import SimulatorConfig
from simulators.kernel.server import ThreadedSimulator

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from simulators.kernel.app import SimulatorRuntime
    from simulators.kernel.provider import SimulatorProvider

T = TypeVar("T")
LOCALHOST = "127.0.0.1"


def free_port(host: str = LOCALHOST) -> int:
    """A port that was free a moment ago (the OS picks it). Another process may take it before you bind:
    prefer binding port 0 yourself when you can."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def poll(
    check: Callable[[], T | None], what: str = "condition", *, timeout: float = 5.0, interval: float = 0.02
) -> T:
    """Call ``check`` until it returns something truthy, and return that; ``AssertionError`` naming ``what``
    and the last value after ``timeout`` seconds (webhooks and background work are asynchronous)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not met within {timeout}s (last value {value!r})")
        time.sleep(interval)


def eventually(assertion: Callable[[], T], *, timeout: float = 5.0, interval: float = 0.05) -> T:
    """Call ``assertion`` until it stops raising ``AssertionError`` and return its result; after ``timeout``
    seconds the last ``AssertionError`` propagates (with pytest's assertion message)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return assertion()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
        time.sleep(interval)


# -- webhook receiver ------------------------------------------------------------------------------------


@dataclass
class Received:
    """One request a :class:`WebhookReceiver` got: ``headers`` are case-insensitive; ``valid`` is what the
    receiver's ``verify`` said (``None`` without one); ``status`` is what the receiver answered."""

    method: str
    url: str
    path: str
    headers: Headers
    body: bytes
    status: int
    valid: bool | None = None

    @property
    def form(self) -> dict[str, str]:
        """The body as an ``application/x-www-form-urlencoded`` form (last value of repeated keys)."""
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


class WebhookReceiver:
    """A local HTTP server (werkzeug, threaded) that records every request, for webhook tests.

    It answers ``default`` (200), or the statuses queued in ``script`` first; ``delay`` seconds before each
    answer simulates a slow endpoint. With ``verify`` (given the werkzeug ``Request``) a request it rejects
    gets a 403, like an application checking signatures. Use it as a context manager::

        with WebhookReceiver() as hooks:
            sim.client.add_endpoint(hooks.url, events=["*"])
            ...
            [delivery] = hooks.wait_for(1)
    """

    def __init__(
        self, default: int = 200, *, verify: Callable[[Request], bool] | None = None, path: str = "/hook"
    ) -> None:
        self.default = default
        self.verify = verify
        self.path = path
        self.script: deque[int] = deque()
        self.delay = 0.0
        self.received: list[Received] = []
        self._cond = threading.Condition()
        self._server = make_server(LOCALHOST, 0, self._app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="webhook-receiver"
        )

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port><path>``."""
        return self.url_for()

    def url_for(self, path: str | None = None, query: str = "") -> str:
        """The URL of ``path`` (default: the receiver's) on this receiver, with an optional query string."""
        suffix = f"?{query}" if query else ""
        return f"http://{LOCALHOST}:{self._server.server_port}{path or self.path}{suffix}"

    def _app(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        req = Request(environ)
        body = req.get_data(cache=True)
        valid = self.verify(req) if self.verify is not None else None
        if self.delay:
            time.sleep(self.delay)
        with self._cond:
            status = self.script.popleft() if self.script else self.default
            if valid is False:
                status = 403
            self.received.append(
                Received(req.method, req.url, req.path, Headers(req.headers), body, status, valid)
            )
            self._cond.notify_all()
        return Response(b"ok" if status < 300 else b"nope", status=status)(environ, start_response)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Block until ``count`` requests arrived and return all received so far (``AssertionError`` on
        timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"receiver got {len(self.received)} requests, expected {count}")
                self._cond.wait(left)
            return list(self.received)

    def wait_until(
        self, matches: Callable[[Received], bool], timeout: float = 5.0, what: str = "a matching request"
    ) -> Received:
        """The first request for which ``matches`` holds, waiting up to ``timeout`` seconds for it."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for received in self.received:
                    if matches(received):
                        return received
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {what} among {len(self.received)} requests")
                self._cond.wait(left)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


# -- simulators in-process --------------------------------------------------------------------------------


@dataclass
class RunningSimulator:
    """A simulator served in-process: ``url`` is the provider API to point an SDK at, ``client`` its
    control API (:class:`~simulators.kernel.client.SimClient`), ``server`` the ``ThreadedSimulator``.

    The helpers are the control calls tests use most; everything else is on ``client``.
    """

    name: str
    server: ThreadedSimulator
    client: SimClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = SimClient(self.server.url)

    @property
    def url(self) -> str:
        """Base URL of the provider API, e.g. ``http://127.0.0.1:54321``."""
        return self.server.url

    @property
    def control_url(self) -> str:
        """Base URL of the control API (ends with ``/_sim/``)."""
        return self.server.control_url

    @property
    def provider(self) -> SimulatorProvider:
        """The provider instance being served (its models, in-process)."""
        return self.server.provider

    @property
    def runtime(self) -> SimulatorRuntime:
        """The kernel services of the simulator (clock, ids, faults, journal, webhooks), in-process."""
        return self.server.runtime

    def fault(self, match: JSON | None = None, action: JSON | None = None, **options: Any) -> JSON:
        """Add a fault rule, e.g. ``fault(path="/v1/payment_intents", status=503, times=1)`` (see
        :meth:`SimClient.fault`)."""
        return self.client.fault(match, action, **options)

    def advance(self, seconds: float) -> JSON:
        """Move the simulated clock and wait until the transitions and retries that fell due have run."""
        return self.client.advance(seconds)

    def journal(self, **filters: Any) -> list[JSON]:
        """Recent requests, newest first (filters as :meth:`SimClient.journal`)."""
        return self.client.journal(**filters)

    def deliveries(self, **filters: Any) -> list[JSON]:
        """Webhook deliveries with every attempt (filters as :meth:`SimClient.deliveries`)."""
        return self.client.deliveries(**filters)

    def reset(self) -> JSON:
        """Forget everything: state, faults, journal, deliveries, chaos and webhook endpoints; ids restart
        from the configured seed (the clock never goes back)."""
        return self.client.reset(keep_endpoints=False)

    def close(self) -> None:
        """Stop serving and release the control client."""
        self.client.close()
        self.server.stop()


@contextlib.contextmanager
def running(
    provider: str | SimulatorProvider, *, env: Mapping[str, str] | None = None, **config: Any
) -> Iterator[RunningSimulator]:
    """Serve ``provider`` (a registered name such as ``"stripe"``, a ``module:Class`` path, or a provider
    instance) on a free local port until the block ends. ``env`` is the provider's environment (its
    accepted credentials, ``STRIPE_SIM_*`` tunables...); keyword arguments are
    :class:`~simulators.kernel.config.SimulatorConfig` fields (``seed``, ``time_scale``...)."""
    server = ThreadedSimulator(provider, config=SimulatorConfig(**config), env=env).start()
    sim = RunningSimulator(server.provider.name, server)
    try:
        sim.reset()  # moto's state is process-wide: an AWS simulator must not inherit an earlier one's

        yield sim
    finally:
        sim.close()
