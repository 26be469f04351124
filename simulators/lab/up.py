"""``genai-demo up``: start every simulator and the service, wire them, print where everything is.

Each part runs as its own process group (``genai-demo sim <provider>`` / ``genai-demo service``) with
its output in ``var/log/<part>.log``. The launcher waits for each health check, runs each provider's
``wire`` hook (which registers the service's webhook URL on the simulator, as a user would in the
provider's dashboard, and returns settings such as ``STRIPE_WEBHOOK_SECRET``), then starts the service
with those settings. Without MSK_BOOTSTRAP_SERVERS it also starts ``genai-demo sim kafka`` (librdkafka's
mock cluster, beside the simulators) and wires its bootstrap servers into the service; once the service is
healthy it starts the ``genai-demo consumer`` processes of the group (one; two under the scaled profile).
Once the service is healthy it runs the ``wire_after_service`` hooks (SES feedback through SNS, which the
service confirms at once; see :mod:`simulators.lab.wiring`). On SIGINT or SIGTERM it stops the service,
then the simulators: SIGTERM to each process group, SIGKILL after a grace period, so nothing is left behind.

Profiles (:class:`Scale`): ``default`` is one service process on ``DATABASE_URL`` (SQLite unless set) with
per-process rate limits and circuit breakers, and one consumer. ``scaled`` runs the service as several
granian workers (metrics merged through ``<var-dir>/prometheus-multiproc``), on PostgreSQL, with Redis
holding the rate limit and the circuit-breaker state, and two consumers (``consumer``, ``consumer-2``)
splitting the Kafka group's partitions; :func:`check_reachable` refuses to start when PostgreSQL or Redis
does not answer. Inspect a running lab with its table (profile, workers, database, Redis), ``ls
<var-dir>/prometheus-multiproc`` (one file per worker pid) and each consumer's ``/metrics``.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

import requests

from reference_service.config import Settings
from reference_service.entrypoints.ports import port_free
from reference_service.observability.multiprocess import ENV as MULTIPROC_ENV
from simulators.lab.observability import (
    ALERTMANAGER_PORT,
    PROMETHEUS_PORT,
    RECEIVER_PORT,
    ObservabilityError,
    ObservabilityOptions,
    StackPaths,
    alertmanager_argv,
    binaries,
    prometheus_argv,
    write_configs,
)
from simulators.lab.tls import LabCertificates, client_env
from simulators.lab.wiring import SIMULATOR_URL_SETTINGS, credential_env, feedback_env
from simulators.registry import ProviderSpec, wire_function

#: the Kafka mock cluster's control API and the first consumer's metrics (the brokers take ephemeral
#: ports); consumer N (from 1) serves its metrics on CONSUMER_METRICS_PORT + offset + N - 1
KAFKA_CONTROL_PORT = 12117
CONSUMER_METRICS_PORT = 12118

PROFILES = ("default", "scaled")
#: the scaled profile's servers when neither the options nor the environment name others
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
#: exit code of ``genai-demo up`` when a server the profile needs (PostgreSQL, Redis) does not answer
UNREACHABLE_EXIT_CODE = 3


class LabError(RuntimeError):
    """The lab could not start; the message says which part and why."""


class UnreachableError(LabError):
    """PostgreSQL or Redis, which the profile needs, did not answer; nothing was started."""


def mask_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for tables and messages)."""
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", url)


def consumer_name(index: int) -> str:
    """The lab part name of the consumer ``index`` (0-based): ``consumer``, ``consumer-2``, ..."""
    return "consumer" if index == 0 else f"consumer-{index + 1}"


@dataclass(frozen=True)
class Scale:
    """How many service workers and consumers the lab runs, and the servers they share.

    ``Scale()`` is the default profile: one service process, one consumer, the settings' own database and
    rate-limit storage. :meth:`scaled` is the scale-out profile. ``database_url`` / ``redis_url`` None:
    leave ``DATABASE_URL`` / ``RATELIMIT_STORAGE_URI`` as the environment has them.
    """

    profile: str = "default"
    workers: int = 1
    consumers: int = 1
    database_url: str | None = None
    redis_url: str | None = None

    @classmethod
    def scaled(cls, workers: int = 2, database_url: str | None = None, redis_url: str | None = None) -> Scale:
        """The scale-out profile: ``workers`` service processes, two consumers, PostgreSQL and Redis
        (``DEFAULT_POSTGRES_URL`` and ``DEFAULT_REDIS_URL`` unless given)."""
        return cls("scaled", workers, 2, database_url or DEFAULT_POSTGRES_URL, redis_url or DEFAULT_REDIS_URL)

    def service_env(self, var_dir: Path) -> dict[str, str]:
        """The settings this scale gives the service and the consumers."""
        env: dict[str, str] = {}
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        if self.redis_url:  # one count and one circuit per provider across every worker and instance
            env["RATELIMIT_STORAGE_URI"] = self.redis_url
            env["CIRCUIT_BREAKER_STORAGE_URI"] = self.redis_url
        if self.workers > 1:  # under var-dir, not the service's default relative to the working directory
            env[MULTIPROC_ENV] = str((var_dir / "prometheus-multiproc").resolve())
        return env


def scale_for(
    profile: str,
    *,
    workers: int | None = None,
    database_url: str | None = None,
    redis_url: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Scale:
    """The :class:`Scale` of ``genai-demo up --profile``. Options win; then, under ``scaled``, a PostgreSQL
    ``DATABASE_URL`` and a Redis ``RATELIMIT_STORAGE_URI`` from ``env`` (default ``os.environ``); then the
    machine's (``DEFAULT_POSTGRES_URL``, ``DEFAULT_REDIS_URL``)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {', '.join(PROFILES)}")
    if profile == "default":
        return Scale("default", workers or 1, 1, database_url, redis_url)
    env = os.environ if env is None else env
    env_database = env.get("DATABASE_URL", "")
    env_redis = env.get("RATELIMIT_STORAGE_URI", "")
    return Scale.scaled(
        workers or 2,
        database_url or (env_database if env_database.startswith("postgresql") else None),
        redis_url or (env_redis if env_redis.startswith(("redis://", "rediss://")) else None),
    )


def check_reachable(scale: Scale, timeout: float = 3.0) -> None:
    """Raise :class:`UnreachableError` (one line saying what to do) unless the PostgreSQL database and the
    Redis server ``scale`` names answer; the scaled profile refuses a database that is not PostgreSQL."""
    url = scale.database_url
    if url and scale.profile == "scaled" and not url.startswith("postgresql"):
        raise UnreachableError(
            f"the scaled profile needs PostgreSQL, not {mask_url(url)}; pass --database-url postgresql+psycopg://..."
        )
    if url and url.startswith("postgresql"):
        import sqlalchemy as sa

        engine = sa.create_engine(url, connect_args={"connect_timeout": max(1, round(timeout))})
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except Exception as exc:  # any driver error: the message below names the server and the fix
            raise UnreachableError(
                f"PostgreSQL at {mask_url(url)} did not answer ({_first_line(exc)}); start it, or point "
                "--database-url at a running server and an existing database"
            ) from None
        finally:
            engine.dispose()
    if scale.redis_url:
        import redis

        client = redis.Redis.from_url(scale.redis_url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            client.ping()
        except (redis.RedisError, OSError) as exc:
            raise UnreachableError(
                f"Redis at {mask_url(scale.redis_url)} did not answer ({_first_line(exc)}); start it, or "
                "point --redis-url at a running server"
            ) from None
        finally:
            client.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:160]}" if text else type(exc).__name__


@dataclass
class Part:
    name: str
    argv: list[str]
    port: int
    health_path: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    control_path: str = ""
    proc: subprocess.Popen[bytes] | None = None
    log_file: IO[bytes] | None = None
    scheme: str = "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def cli_argv(*args: str) -> list[str]:
    """argv that runs ``genai-demo <args>`` with this interpreter (works without the script on PATH)."""
    return [sys.executable, "-m", "simulators.lab.cli", *args]


class Lab:
    def __init__(
        self,
        settings: Settings,
        *,
        var_dir: Path,
        service_port: int,
        providers: Mapping[str, ProviderSpec],
        ready_timeout: float = 60.0,
        port_offset: int = 0,
        echo: Callable[[str], None] = print,
        tls: LabCertificates | None = None,
        restart: bool = True,
        observability: ObservabilityOptions | None = None,
        kafka: bool = True,
        scale: Scale | None = None,
    ) -> None:
        """``restart``: a part that dies is restarted with backoff while the others keep running (their
        state with them); without it the first death stops the lab. ``scale``: the profile (workers,
        consumers, database, Redis); default ``Scale()``, the default profile."""
        self.settings = settings
        self.scale = scale or Scale()
        self.observability = observability
        self.observability_paths: StackPaths | None = None
        #: start the Kafka mock cluster and a consumer (False: events stay in the service's process)
        self.kafka = kafka
        self.var_dir = var_dir
        self.service_port = service_port
        self.providers = providers
        self.ready_timeout = ready_timeout
        self.port_offset = port_offset
        self.echo = echo
        self.parts: list[Part] = []
        self.secrets: dict[str, str] = {}
        self.wired: dict[str, str] = {}
        self.service_env: dict[str, str] = {}
        self.tls = tls
        self.restart = restart
        #: the provider behind each simulator part, to wire it again after a restart
        self._specs: dict[str, ProviderSpec] = {}
        self._stop = threading.Event()

    # -- start ---------------------------------------------------------------------------------
    def start(self) -> float:
        """Start everything; return seconds until all parts were healthy. Raises ``LabError``."""
        started = time.perf_counter()
        log_dir = self.var_dir / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        base_env = dict(os.environ)
        base_env.update(self._credential_env())
        tls_args: list[str] = []
        if self.tls is not None:  # every part serves HTTPS (TLS 1.3+) and every client trusts the lab's CA
            trust = client_env(self.tls.ca)
            base_env.update(trust)
            os.environ.update(trust)  # this launcher is a client too (health checks, wiring hooks)
            tls_args = ["--tls-cert", str(self.tls.cert), "--tls-key", str(self.tls.key)]
        wanted = [(name, spec, spec.default_port + self.port_offset) for name, spec in self.providers.items()]
        self._specs = {name: spec for name, spec, _port in wanted}
        ports = [self.service_port] + [port for _, _, port in wanted]
        busy = [p for p in ports if not port_free(p)]
        if busy:
            raise LabError(
                f"port(s) {', '.join(map(str, busy))} already in use; is another lab running? "
                "Stop it, or free the ports."
            )
        sims = [
            Part(
                name,
                cli_argv("sim", name, "--port", str(port), *tls_args),
                port,
                "/_sim/health",
                log_dir / f"{name}.log",
                dict(base_env),
                "/_sim/",
                scheme=self.scheme,
            )
            for name, _spec, port in wanted
        ]
        for part in sims:
            self._spawn(part)
        kafka = self._spawn_kafka(base_env, log_dir)  # beside the simulators: it starts while they do
        for part in sims:
            self._wait_healthy(part)
        service_url = f"{self.scheme}://127.0.0.1:{self.service_port}"
        service_env = dict(base_env)
        service_env["SERVICE_PORT"] = str(self.service_port)
        service_env.setdefault("SERVICE_PUBLIC_URL", service_url)
        for (name, _spec, _port), part in zip(wanted, sims, strict=True):
            if name in SIMULATOR_URL_SETTINGS:  # the service talks to the simulators this lab started
                variable, suffix = SIMULATOR_URL_SETTINGS[name]
                service_env[variable] = part.url + suffix
        for (name, spec, _port), part in zip(wanted, sims, strict=True):
            extra = self._wire(name, spec, part, service_env, after_service=False)
            service_env.update(extra)
            self.secrets.update(extra)
        kafka_env = self._kafka_env(kafka)
        if not self.kafka:
            service_env.pop("MSK_BOOTSTRAP_SERVERS", None)
        service_env.update(kafka_env)
        self.secrets.update(kafka_env)
        service_env.update(self.scale.service_env(self.var_dir))
        workers = ["--workers", str(self.scale.workers)] if self.scale.workers != 1 else []
        service = Part(
            "service",
            cli_argv("service", "--port", str(self.service_port), *workers, *tls_args),
            self.service_port,
            "/health",
            log_dir / "service.log",
            service_env,
            "/docs",
            scheme=self.scheme,
        )
        self.service_env = service_env
        self._spawn(service)
        self._wait_healthy(service)
        if service_env.get("MSK_BOOTSTRAP_SERVERS"):  # after the service: it migrated the database
            self._start_consumers(log_dir)
        wiring_env = {**feedback_env(self.settings), **service_env}
        for (name, spec, _port), part in zip(wanted, sims, strict=True):
            self.wired.update(self._wire(name, spec, part, wiring_env, after_service=True))
        if self.observability is not None:
            self._start_observability(self.observability, base_env, log_dir)
        self._start_console(base_env, log_dir)
        return time.perf_counter() - started

    def _consumer_env(self) -> dict[str, str]:
        """The service's settings without its metrics directory: a consumer serves its own registry."""
        return {k: v for k, v in self.service_env.items() if k != MULTIPROC_ENV}

    def _start_consumers(self, log_dir: Path) -> None:
        """Start ``scale.consumers`` consumers of the group (``consumer``, ``consumer-2``...), each its own
        part (supervised and restarted on its own) with its metrics on its own port; wait for each."""
        ports = [CONSUMER_METRICS_PORT + self.port_offset + n for n in range(self.scale.consumers)]
        busy = [str(p) for p in ports if not port_free(p)]
        if busy:
            raise LabError(f"port(s) {', '.join(busy)} (consumer metrics) already in use")
        consumers = [
            Part(
                consumer_name(n),
                cli_argv("consumer", "--metrics-port", str(port)),
                port,
                "/metrics",
                log_dir / f"{consumer_name(n)}.log",
                self._consumer_env(),
                "/metrics",
            )
            for n, port in enumerate(ports)
        ]
        for part in consumers:
            self._spawn(part)
        for part in consumers:
            self._wait_healthy(part)

    def _start_observability(self, options: ObservabilityOptions, env: dict[str, str], log_dir: Path) -> None:
        """The alert receiver, Alertmanager and Prometheus (``simulators.lab.observability``), healthy."""
        try:
            found = binaries()
        except ObservabilityError as exc:
            raise LabError(str(exc)) from exc
        ports = {
            "receiver": RECEIVER_PORT + self.port_offset,
            "alertmanager": ALERTMANAGER_PORT + self.port_offset,
            "prometheus": PROMETHEUS_PORT + self.port_offset,
        }
        busy = [f"{name} {port}" for name, port in ports.items() if not port_free(port)]
        if busy:
            raise LabError(f"port(s) already in use: {', '.join(busy)}")
        receiver_url = f"http://127.0.0.1:{ports['receiver']}"
        paths = write_configs(
            self.var_dir,
            options,
            service_target=f"127.0.0.1:{self.service_port}",
            service_scheme=self.scheme,
            ca_file=self.tls.ca if self.tls is not None else None,
            alertmanager_port=ports["alertmanager"],
            receiver_url=receiver_url + "/alertmanager",
            prometheus_port=ports["prometheus"],
            simulator_targets=[f"127.0.0.1:{p.port}" for p in self.parts if p.control_path == "/_sim/"],
            consumer_targets=[f"127.0.0.1:{p.port}" for p in self.parts if p.name.startswith("consumer")],
        )
        self.observability_paths = paths
        stack = [
            Part(
                "alert-receiver",
                cli_argv(
                    "alert-receiver", "--port", str(ports["receiver"]), "--record", str(paths.notifications)
                ),
                ports["receiver"],
                "/health",
                log_dir / "alert-receiver.log",
                dict(env),
                "/notifications",
            ),
            Part(
                "alertmanager",
                alertmanager_argv(found["prometheus-alertmanager"], paths, ports["alertmanager"]),
                ports["alertmanager"],
                "/-/ready",
                log_dir / "alertmanager.log",
                dict(env),
                "/api/v2/alerts",
            ),
            Part(
                "prometheus",
                prometheus_argv(found["prometheus"], paths, ports["prometheus"], options),
                ports["prometheus"],
                "/-/ready",
                log_dir / "prometheus.log",
                dict(env),
                "/alerts",
            ),
        ]
        for part in stack:
            self._spawn(part)
            self._wait_healthy(part)

    # -- the lab console (simulators.lab.console) ------------------------------------------------
    def _start_console(self, env: dict[str, str], log_dir: Path) -> None:
        """Start ``genai-demo console`` on 12180 + offset, given every part's URL, the Kafka bootstrap
        servers and the demo admin's token in its environment (never on its command line). The lab works
        without it: a taken port skips it with a warning, and ``up`` does not wait for it to answer."""
        from simulators.lab.console.config import CONSOLE_PORT, KINDS, ConsoleConfig, LabPart

        port = CONSOLE_PORT + self.port_offset
        if not port_free(port):
            self.echo(f"console skipped: port {port} already in use")
            return
        parts = tuple(
            LabPart(
                p.name, "simulator" if p.control_path == "/_sim/" else KINDS[p.name], p.url, p.health_path
            )
            for p in self.parts
            if p.control_path == "/_sim/" or p.name in KINDS
        )
        config = ConsoleConfig(
            parts,
            kafka_bootstrap=self.service_env.get("MSK_BOOTSTRAP_SERVERS") or None,
            auth_issuer=next((p.url for p in parts if p.name == "identity"), None),
            ca_bundle=str(self.tls.ca) if self.tls is not None else None,
            admin_token=self.wired.get("TOKEN_ADMIN"),
        )
        console = Part(
            "console", cli_argv("console", "--port", str(port)), port, "/health",
            log_dir / "console.log", {**env, **config.to_env()}, "/",
        )  # fmt: skip
        self._spawn(console)  # not waited for: a viewer, not a part the lab needs (wait() restarts it)

    def part_url(self, name: str) -> str:
        """The base URL of the running part ``name`` (``KeyError`` when the lab has none)."""
        for part in self.parts:
            if part.name == name:
                return part.url
        raise KeyError(name)

    def _spawn_kafka(self, env: dict[str, str], log_dir: Path) -> Part | None:
        """Spawn ``genai-demo sim kafka`` (librdkafka's mock cluster) unless MSK_BOOTSTRAP_SERVERS already
        names a cluster (or the lab runs without Kafka); :meth:`_kafka_env` waits for it."""
        if not self.kafka or self.settings.msk_bootstrap_servers:
            return None
        port = KAFKA_CONTROL_PORT + self.port_offset
        if not port_free(port):
            raise LabError(f"port {port} (Kafka mock cluster control) already in use")
        part = Part(
            "kafka", cli_argv("sim", "kafka", "--port", str(port)), port, "/_sim/health",
            log_dir / "kafka.log", dict(env), "/_sim/kafka",
        )  # fmt: skip
        self._spawn(part)
        return part

    def _kafka_env(self, part: Part | None) -> dict[str, str]:
        """The MSK_BOOTSTRAP_SERVERS the service and the consumers use: the given cluster's, or the mock
        cluster's once ``part`` is healthy; nothing without Kafka."""
        if not self.kafka:
            return {}
        if part is None:
            return {"MSK_BOOTSTRAP_SERVERS": str(self.settings.msk_bootstrap_servers)}
        self._wait_healthy(part)
        described = requests.get(part.url + part.health_path, timeout=5).json()
        return {"MSK_BOOTSTRAP_SERVERS": str(described["bootstrap_servers"])}

    @property
    def scheme(self) -> str:
        return "https" if self.tls is not None else "http"

    def _wire(
        self, name: str, spec: ProviderSpec, part: Part, env: Mapping[str, str], *, after_service: bool
    ) -> dict[str, str]:
        """Run one provider's wiring hook (see ``simulators.registry``); ``LabError`` when it fails."""
        wire = wire_function(spec, after_service=after_service)
        if wire is None:
            return {}
        try:
            result = wire(part.url, env["SERVICE_PUBLIC_URL"], env)
        except Exception as exc:
            raise LabError(f"wiring {name} failed: {type(exc).__name__}: {exc}") from exc
        self.echo(f"wired {name}: {', '.join(sorted(result)) or 'nothing to set'}")
        return result

    def _credential_env(self) -> dict[str, str]:
        env = credential_env(self.settings)
        self.secrets.update(env)
        return env

    def _spawn(self, part: Part) -> None:
        part.log_file = part.log_path.open("ab")
        part.proc = subprocess.Popen(  # own session: Ctrl-C reaches the launcher, which stops the group
            part.argv, env=part.env, stdout=part.log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.parts.append(part)

    def _wait_healthy(self, part: Part) -> None:
        deadline = time.monotonic() + self.ready_timeout
        url = part.url + part.health_path
        while time.monotonic() < deadline:
            if self._stop.is_set():
                raise LabError("interrupted while starting")
            assert part.proc is not None
            if part.proc.poll() is not None:
                raise LabError(
                    f"{part.name} exited with status {part.proc.returncode} while starting; "
                    f"last lines of {part.log_path}:\n{_tail(part.log_path)}"
                )
            with contextlib.suppress(requests.RequestException):
                verify: bool | str = str(self.tls.ca) if self.tls is not None else True
                if requests.get(url, timeout=1, verify=verify).status_code == 200:
                    return
            time.sleep(0.05)
        raise LabError(
            f"{part.name} did not answer {url} within {self.ready_timeout:g}s; "
            f"last lines of {part.log_path}:\n{_tail(part.log_path)}"
        )

    # -- run -----------------------------------------------------------------------------------
    def table(self, ready_seconds: float) -> str:
        rows = [("part", "url", "health", "control / docs", "log")]
        for part in [p for p in self.parts if p.name == "service"] + [
            p for p in self.parts if p.name != "service"
        ]:
            rows.append(
                (
                    part.name,
                    part.url,
                    part.url + part.health_path,
                    part.url + part.control_path,
                    str(part.log_path),
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [f"genai-demo lab is up in {ready_seconds:.2f}s", ""]
        for n, row in enumerate(rows):
            lines.append("  " + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
            if n == 0:
                lines.append("  " + "  ".join("-" * w for w in widths))
        lines += ["", "  keys and secrets (local test values; the simulators accept exactly these):"]
        width = max((len(k) for k in self.secrets), default=0)
        for key in sorted(self.secrets):
            lines.append(f"    {key.ljust(width)}  {self.secrets[key]}")
        if self.wired:
            lines += ["", "  wiring done by up:"]
            width = max(len(k) for k in self.wired)
            lines += [f"    {key.ljust(width)}  {self.wired[key]}" for key in sorted(self.wired)]
        service = f"{self.scheme}://127.0.0.1:{self.service_port}"
        cacert = f" --cacert {self.tls.ca}" if self.tls is not None else ""
        lines += ["", *self._scale_lines()]
        lines += [f"  files:    s3://{self.settings.s3_bucket} on the AWS simulator (lifecycle set at start)"]
        if self.tls is not None:
            lines += [
                f"  TLS 1.3: CA bundle {self.tls.ca}",
                f"           export REQUESTS_CA_BUNDLE={self.tls.ca} AWS_CA_BUNDLE={self.tls.ca}",
            ]
        lines += [f"  try:     curl -s{cacert} {service}/health"]
        if "TOKEN_CUSTOMER" in self.wired:
            orders = f"curl -s{cacert} {service}/api/v1/orders"
            lines += [
                f'           {orders} -H "Authorization: Bearer $TOKEN_ADMIN"',
                f'           {orders} -H "X-API-Key: $API_KEY_SERVICE"',
                "           (export TOKEN_* and API_KEY_SERVICE from above; `genai-demo token --role admin`"
                " mints more)",
            ]
        if self.observability is not None:
            factor = self.observability.factor
            scale = "canonical rules" if factor == 1 else f"rules time-compressed x{factor:g}"
            lines += [
                f"  alerts:  {scale}, evaluated every {self.observability.interval_s:g}s",
                f"           firing/pending: {self.part_url('prometheus')}/api/v1/alerts",
                f"           notifications received: {self.part_url('alert-receiver')}/notifications",
            ]
        lines += ["  A part that dies is restarted (--no-restart: stop instead). Ctrl-C stops everything."]
        return "\n".join(lines)

    def _scale_lines(self) -> list[str]:
        """The table's profile, workers, consumers, database (password masked) and Redis lines."""
        scale = self.scale
        consumers = [p.name for p in self.parts if p.name.startswith("consumer")]
        workers = f"{scale.workers} worker{'s' if scale.workers != 1 else ''}"
        if scale.workers > 1:
            workers += f" (metrics merged in {self.service_env.get(MULTIPROC_ENV, '?')})"
        kafka = (
            f"consumers {', '.join(consumers)} in group {self.settings.kafka_consumer_group}"
            if consumers
            else "no consumer (the service handles events itself)"
        )
        redis_url = scale.redis_url or self.service_env.get("RATELIMIT_STORAGE_URI") or "memory://"
        if redis_url.startswith(("redis://", "rediss://")):
            redis_line = f"{mask_url(redis_url)} (rate limit and circuit breakers, shared by every worker)"
        else:
            redis_line = "none (rate limit and circuit breakers per process)"
        return [
            f"  profile:  {scale.profile}",
            f"  service:  {workers}",
            f"  kafka:    {kafka}",
            f"  database: {mask_url(scale.database_url or self.settings.database_url)}",
            f"  redis:    {redis_line}",
        ]

    def wait(self) -> int:
        """Supervise until SIGINT/SIGTERM (returns 0). A part that exits is reported with the last lines of
        its log and restarted after a backoff (1 s, doubling to 30 s, back to 1 s once it has stayed up
        a minute); the other parts keep running, and their state with them. With ``restart=False`` the
        first death ends the wait (returns 1)."""
        backoff: dict[str, float] = {}
        up_since: dict[str, float] = {}
        while not self._stop.wait(0.5):
            for part in list(self.parts):
                assert part.proc is not None
                if part.proc.poll() is None:
                    if time.monotonic() - up_since.get(part.name, 0.0) > 60:
                        backoff.pop(part.name, None)
                    continue
                self.echo(
                    f"{part.name} exited unexpectedly (status {part.proc.returncode}); "
                    f"last lines of {part.log_path}:\n{_tail(part.log_path)}"
                )
                if not self.restart:
                    return 1
                delay = backoff.get(part.name, 1.0)
                backoff[part.name] = min(delay * 2, 30.0)
                self.echo(f"restarting {part.name} in {delay:g}s")
                if self._stop.wait(delay):
                    return 0
                try:
                    self._restart(part)
                except LabError as exc:
                    self.echo(f"{part.name} did not come back: {exc}")
                    continue  # still dead: the next round tries again, after a longer backoff
                up_since[part.name] = time.monotonic()
                self.echo(f"{part.name} restarted ({part.url})")
        return 0

    def _restart(self, part: Part) -> None:
        """Start a dead part again with its command and environment. A simulator restarts empty, so it is
        wired again; if that gives the service new settings (a new webhook secret), the service restarts
        with them."""
        self._respawn(part)
        spec = self._specs.get(part.name)
        if spec is None:
            return
        extra = self._wire(part.name, spec, part, self.service_env, after_service=False)
        changed = {k: v for k, v in extra.items() if self.service_env.get(k) != v}
        if changed:
            self.service_env.update(changed)
            self.secrets.update(changed)
            for consumer in [p for p in self.parts if p.name.startswith("consumer")]:  # at their next start
                consumer.env = self._consumer_env()
            for service in [p for p in self.parts if p.name == "service"]:  # its env is service_env
                self.echo(f"restarting service: {part.name}'s wiring changed {', '.join(sorted(changed))}")
                self._stop_part(service)
                self._respawn(service)
        self.wired.update(
            self._wire(
                part.name, spec, part, {**feedback_env(self.settings), **self.service_env}, after_service=True
            )
        )

    def _respawn(self, part: Part) -> None:
        """Start ``part`` again. What is left of its dead process group (a granian worker that outlived
        its main process would still hold the port) is killed first."""
        if part.proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(part.proc.pid, signal.SIGKILL)
        if part.log_file is not None:
            part.log_file.close()
        self.parts.remove(part)
        self._spawn(part)
        self._wait_healthy(part)

    def _stop_part(self, part: Part, grace: float = 10.0) -> None:
        if part.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(part.proc.pid, signal.SIGTERM)
        try:
            part.proc.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(part.proc.pid, signal.SIGKILL)
            part.proc.wait(5)

    def request_stop(self, signum: int | None = None, _frame: FrameType | None = None) -> None:
        self._stop.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGINT, self.request_stop)
        signal.signal(signal.SIGTERM, self.request_stop)

    def stop(self, grace: float = 10.0) -> None:
        """Stop the service first, then the simulators; SIGKILL whatever outlives ``grace``."""
        ordered = [p for p in self.parts if p.name == "service"] + [
            p for p in self.parts if p.name != "service"
        ]
        for part in ordered:
            if part.proc is not None and part.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(part.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for part in ordered:
            if part.proc is None:
                continue
            try:
                part.proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass  # it outlived the grace period: the SIGKILL of its group just below ends it
            # the group may hold server workers even after the leader exited
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(part.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                part.proc.wait(2)
            if part.log_file is not None:
                part.log_file.close()
