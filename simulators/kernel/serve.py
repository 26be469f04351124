"""Serve one simulator as a real process under granian (``genai-demo sim <provider>``).

granian runs the WSGI app in one worker process (state is in memory, so never more than one) with a
pool of blocking threads large enough that ``hang`` faults cannot starve other requests. The worker
builds the app with the factory :func:`granian_app`, which reads ``SIM_PROVIDER`` (a registered name or
a ``module:Class`` path, importable from ``SIM_APP_DIR`` if set) and the ``SIM_*`` config variables from
the environment at call time; the provider receives the whole environment (credentials such as
``TWILIO_AUTH_TOKEN``). SIGINT and SIGTERM stop granian, which stops the worker; first the main process
touches ``SIM_STOP_FILE``, which the worker watches, so requests held by ``hang`` faults are released
and the stop stays quick.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulators.kernel.wsgi import WSGIApp

ENV_PROVIDER = "SIM_PROVIDER"
ENV_APP_DIR = "SIM_APP_DIR"
ENV_STOP_FILE = "SIM_STOP_FILE"
FACTORY_TARGET = "simulators.kernel.serve:granian_app"


def app_from_env(env: Mapping[str, str]) -> WSGIApp:
    """Build the simulator named by ``env["SIM_PROVIDER"]`` with config from ``SIM_*`` variables."""
    # imported here, in granian's worker: the main process only supervises it and needs none of this
    from simulators.kernel.app import build_simulator_app
    from simulators.kernel.config import SimulatorConfig
    from simulators.registry import load_provider

    app_dir = env.get(ENV_APP_DIR)
    if app_dir and app_dir not in sys.path:
        sys.path.insert(0, app_dir)
    name = env.get(ENV_PROVIDER)
    if not name:
        raise RuntimeError(f"{ENV_PROVIDER} is not set")
    app = build_simulator_app(load_provider(name, env=env), SimulatorConfig.from_env(env))
    atexit.register(app.close)
    stop_file = env.get(ENV_STOP_FILE)
    if stop_file:
        threading.Thread(
            target=_watch_stop_file,
            args=(Path(stop_file), app.runtime.stop_event),
            name="sim-stop-watch",
            daemon=True,
        ).start()
    return app


def _watch_stop_file(path: Path, stop_event: threading.Event) -> None:
    """Set ``stop_event`` (which ends hang/latency waits) once the serving process asks to stop."""
    while not stop_event.wait(0.1):
        if path.exists():
            stop_event.set()


def tls_options(tls: tuple[str, str] | None) -> dict[str, object]:
    """granian's options for HTTPS with TLS 1.3 as the minimum (none for plain HTTP)."""
    if tls is None:
        return {}
    from granian.constants import SSLProtocols

    cert, key = tls
    return {"ssl_cert": Path(cert), "ssl_key": Path(key), "ssl_protocol_min": SSLProtocols.tls13}


def granian_app() -> WSGIApp:
    """granian factory target: the app for this process's environment."""
    return app_from_env(dict(os.environ))


def serve(
    provider: str,
    *,
    host: str = "127.0.0.1",
    port: int,
    threads: int = 64,
    env: Mapping[str, str] | None = None,
    log_level: str = "warning",
    tls: tuple[str, str] | None = None,
) -> None:
    """Run granian in the foreground until SIGINT/SIGTERM. ``env`` is added to ``os.environ`` so the
    worker (a child process) sees the provider name and config. ``tls``: ``(certificate, PKCS#8 key)``
    PEM paths to serve HTTPS with TLS 1.3 at least (a TLS 1.2 client is refused in the handshake)."""
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    class _Server(Server):  # type: ignore[misc,valid-type]
        def signal_handler_interrupt(self, *args: object, **kwargs: object) -> None:
            # Tell the worker first, so hanging requests end and the graceful stop is quick.
            Path(stop_file).touch()
            super().signal_handler_interrupt(*args, **kwargs)

    stop_dir = tempfile.mkdtemp(prefix="sim-")
    stop_file = os.path.join(stop_dir, "stop")
    os.environ.update(env or {})
    os.environ[ENV_PROVIDER] = provider
    os.environ[ENV_STOP_FILE] = stop_file
    server = _Server(
        FACTORY_TARGET,
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=threads,
        backpressure=threads,
        factory=True,
        log_level=LogLevels(log_level),
        log_access=False,
        workers_kill_timeout=5,
        websockets=False,
        **tls_options(tls),
    )
    try:
        server.serve()
    finally:
        shutil.rmtree(stop_dir, ignore_errors=True)
