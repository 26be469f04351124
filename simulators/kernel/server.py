"""In-process simulator for tests: :class:`ThreadedSimulator` (like moto's ``ThreadedMotoServer``).

::

    with ThreadedSimulator(MyProvider(), config=SimulatorConfig(seed=1)) as sim:
        requests.post(sim.url + "/v1/widgets", ...)
        requests.get(sim.control_url + "journal")

It serves the full simulator app on werkzeug's threaded server bound to 127.0.0.1 (port 0 picks a free
one) from a daemon thread. :meth:`ThreadedSimulator.stop` releases hanging requests, closes open
keep-alive connections, joins every request thread and the kernel's own threads: nothing is left.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Mapping
from types import TracebackType
from typing import Any

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from simulators.kernel.app import SimulatorApp, SimulatorRuntime, build_simulator_app
from simulators.kernel.config import SimulatorConfig
from simulators.kernel.provider import SimulatorProvider

log = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # http.server answers a request line over 64 KiB with 414 before it sets ``path``
        log.debug("%s %s -> %s", self.command, getattr(self, "path", "-"), code)


class _TrackingServer(ThreadedWSGIServer):
    """Werkzeug's threaded server that remembers open connections and request threads."""

    def __init__(self, host: str, port: int, app: SimulatorApp) -> None:
        super().__init__(host, port, app, handler=_QuietHandler)
        self._conn_lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._request_threads: list[threading.Thread] = []

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._conns.add(request)
            self._request_threads = [t for t in self._request_threads if t.is_alive()]
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="sim-request",
            daemon=True,
        )
        with self._conn_lock:
            self._request_threads.append(thread)
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def drop_connections_and_join(self, timeout: float) -> None:
        with self._conn_lock:
            conns = list(self._conns)
            threads = list(self._request_threads)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the peer already closed the connection: nothing left to shut down
        for thread in threads:
            thread.join(timeout)


class ThreadedSimulator:
    """Run a simulator on a background werkzeug server; ``url``/``control_url`` once started.

    ``provider`` is an instance, or a registered name / ``module:Class`` path loaded with ``env``.
    """

    def __init__(
        self,
        provider: SimulatorProvider | str,
        port: int = 0,
        config: SimulatorConfig | None = None,
        host: str = "127.0.0.1",
        env: Mapping[str, str] | None = None,
    ) -> None:
        if isinstance(provider, str):
            from simulators.registry import load_provider

            provider = load_provider(provider, env=env)
        self.provider = provider
        self.config = config or SimulatorConfig()
        self._host = host
        self._port = port
        self._server: _TrackingServer | None = None
        self._thread: threading.Thread | None = None
        self._app: SimulatorApp | None = None

    @property
    def app(self) -> SimulatorApp:
        """The WSGI app being served."""
        if self._app is None:
            raise RuntimeError("simulator not started")
        return self._app

    @property
    def runtime(self) -> SimulatorRuntime:
        """Kernel services (clock, ids, faults, journal, webhooks) of the running simulator."""
        return self.app.runtime

    @property
    def port(self) -> int:
        """Bound port."""
        if self._server is None:
            raise RuntimeError("simulator not started")
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        """Base URL of the provider API, e.g. ``http://127.0.0.1:54321``."""
        return f"http://{self._host}:{self.port}"

    @property
    def control_url(self) -> str:
        """Base URL of the control API (ends with ``/_sim/``)."""
        return f"{self.url}/_sim/"

    def start(self) -> ThreadedSimulator:
        """Build the app, bind the socket and serve from a daemon thread."""
        if self._server is not None:
            return self
        self._app = build_simulator_app(self.provider, self.config)
        self._server = _TrackingServer(self._host, self._port, self._app)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="sim-server", daemon=True
        )
        self._thread.start()
        log.info("simulator %s listening on %s", self.provider.name, self.url)
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving, release hangs, close connections and join every thread started."""
        server, thread, app = self._server, self._thread, self._app
        if server is None:
            return
        if app is not None:
            app.runtime.stop_event.set()
        server.shutdown()
        server.drop_connections_and_join(timeout)
        server.server_close()
        if thread is not None:
            thread.join(timeout)
        if app is not None:
            app.close()
        self._server = None
        self._thread = None

    def __enter__(self) -> ThreadedSimulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
