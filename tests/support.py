"""Helpers shared by the test suite: waiting for HTTP, running the service and simulators as processes,
and the rule that a test needing PostgreSQL or Redis fails (never skips) in CI. Free ports, polling and
webhook receivers come from ``simulators.testing``."""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest
import requests
import sqlalchemy as sa

from reference_service.entrypoints.ports import port_free
from simulators.lab.tls import LabCertificates
from simulators.registry import PROVIDERS
from simulators.testing import free_port
from tests.auth import auth_issuer

REPO = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def require(service: str, reason: str) -> None:
    """A needed server is missing: fail in CI (where it must exist), skip on a laptop."""
    message = f"{service} is not reachable: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: tests that need {service} must run)")
    pytest.skip(message)  # a laptop without the server; never in CI (above), which fails instead


POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def postgres_schema_url() -> Iterator[str]:
    """A private schema in the PostgreSQL test database (``TEST_POSTGRES_URL``), as a URL whose
    search_path points at it; dropped on exit. A missing server fails in CI and skips elsewhere."""
    admin = sa.create_engine(POSTGRES_URL)
    try:
        try:
            with admin.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except Exception as exc:
            require("PostgreSQL", f"{POSTGRES_URL}: {type(exc).__name__}")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in POSTGRES_URL else "?"
        try:
            yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


def wait_http(
    url: str,
    timeout: float = 30.0,
    proc: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
    verify: bool | str = True,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"process exited ({proc.returncode}) before {url} answered:\n{tail}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=1, verify=verify).status_code < 500:
                return
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def genai_demo_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "simulators.lab.cli", *args]


@dataclass
class LiveProcess:
    """A ``genai-demo`` subcommand running as a real process, with its combined output in ``log``.
    ``http`` is a session sending an admin token of the test issuer (``tests/auth.py``)."""

    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    http: requests.Session = field(default_factory=lambda: auth_issuer().session("admin"))

    def session_as(self, role: str | None, sub: str | None = None) -> requests.Session:
        """A session sending a token for ``role`` (and ``sub``)."""
        return auth_issuer().session(role, sub)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        return stop_group(self.proc, sig, timeout)


def tls_args(tls: LabCertificates | None) -> list[str]:
    """``--tls-cert``/``--tls-key`` for a ``genai-demo`` server command (none without ``tls``)."""
    return ["--tls-cert", str(tls.cert), "--tls-key", str(tls.key)] if tls is not None else []


def free_offset(*extra_ports: int) -> int:
    """A port offset for a ``genai-demo up --port-offset`` lab whose ports (the service, every simulator,
    the Kafka control port, two consumers' metrics, and ``extra_ports``) are all free now. It lies below
    the ephemeral range (32768+), where ``free_port`` and outgoing connections take theirs, and off the
    round thousands that helpers with a fixed offset use."""
    from simulators.lab.up import CONSUMER_METRICS_PORT, KAFKA_CONTROL_PORT  # noqa: PLC0415  (the lab: when one starts)

    ports = [8000, KAFKA_CONTROL_PORT, CONSUMER_METRICS_PORT, CONSUMER_METRICS_PORT + 1, *extra_ports]
    ports += [spec.default_port for spec in PROVIDERS.values()]
    for _ in range(50):
        offset = random.randrange(4001, 20000)
        if offset % 1000 and all(port_free(p + offset) for p in ports):
            return offset
    raise RuntimeError("no free port offset for a lab")


def _listening_inodes(port: int) -> set[str]:
    """Socket inodes listening on ``port`` (Linux ``/proc/net/tcp`` and ``tcp6``, state 0A)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    return inodes


def _bound_by(proc: subprocess.Popen[bytes], port: int, timeout: float = 30.0) -> bool:
    """Whether ``proc``'s process group (it was started in a session of its own) holds the socket
    listening on ``port``; waits until it does, or until ``proc`` exits (it could not bind)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        wanted = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
        for pid_dir in Path("/proc").iterdir():
            if not pid_dir.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                if os.getpgid(int(pid_dir.name)) != proc.pid:
                    continue
                if any(os.readlink(fd) in wanted for fd in (pid_dir / "fd").iterdir()):
                    return True
        time.sleep(0.05)
    return False


class PortTaken(RuntimeError):
    """The service could not bind its port: another process took it after ``free_port`` chose it."""


def _start_owning_port(
    argv: list[str], port: int, log: Path, env: Mapping[str, str], health: str, timeout: float,
    tls: LabCertificates | None,
) -> LiveProcess | None:  # fmt: skip
    """Start ``argv`` (a server on ``port``, output in ``log``) as its own process group and wait until
    ``health`` answers and the group itself holds the listening socket. ``None`` when the port was taken:
    another process bound it first, and may even be answering the health check in our stead."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv, env=dict(env), stdout=out, stderr=subprocess.STDOUT, cwd=REPO, start_new_session=True
        )
    live = LiveProcess(f"{'https' if tls else 'http'}://127.0.0.1:{port}", proc, log)
    if tls is not None:  # trust the lab's CA; REQUESTS_CA_BUNDLE in the environment would win otherwise
        live.http.verify, live.http.trust_env = str(tls.ca), False
    try:
        wait_http(live.url + health, timeout=timeout, proc=proc, log=log, verify=str(tls.ca) if tls else True)
        if _bound_by(proc, port):
            return live
    except TimeoutError:
        live.stop()  # never answered: stopped, not left running behind the failed test
        raise
    except RuntimeError:
        live.stop()
        if "already in use" not in live.output():
            raise
        return None
    live.stop()
    return None


@contextlib.contextmanager
def _first_start(start: Callable[[], LiveProcess | None], what: str) -> Iterator[LiveProcess]:
    """The first of up to three ``start()`` calls that did not find its port taken (``None``); the process
    it started is stopped when the block ends."""
    for _attempt in range(3):
        live = start()
        if live is not None:
            break
    else:
        raise RuntimeError(f"every port tried for {what} was taken by another process")
    try:
        yield live
    finally:
        live.stop()


@contextlib.contextmanager
def run_service(
    tmp: Path,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
    health: str = "/health/live",
    tls: LabCertificates | None = None,
    workers: int = 1,
) -> Iterator[LiveProcess]:
    """Run ``genai-demo service`` (``--workers``) on a free port with a private SQLite database under
    ``tmp``, trusting the test issuer (``tests/auth.py``; ``env`` may point it at another).

    ``free_port`` cannot reserve the port, so a parallel test may take it first; without a fixed ``port``
    the start is retried on a new one, with a fixed one ``PortTaken`` tells the caller to choose again.
    """

    def start() -> LiveProcess | None:
        chosen = port or free_port()
        full_env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp / 'service.db'}",
            "SERVICE_PORT": str(chosen),
            **auth_issuer().env(),
            **(env or {}),
        }
        argv = genai_demo_argv("service", "--port", str(chosen), "--workers", str(workers), *tls_args(tls))
        live = _start_owning_port(argv, chosen, tmp / f"service-{chosen}.log", full_env, health, 30.0, tls)
        if live is None and port is not None:
            raise PortTaken(f"port {chosen} was taken")
        return live

    with _first_start(start, "the service") as live:
        yield live


@contextlib.contextmanager
def run_simulator(
    provider: str,
    tmp: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    tls: LabCertificates | None = None,
) -> Iterator[LiveProcess]:
    """``genai-demo sim <provider> <args>`` as a real process (granian) on a free port, output in a log file
    (never a pipe that could fill up), stopped with SIGTERM (then SIGKILL) when the context exits. A port
    another process took first is given up for a new one (as ``run_service`` does)."""

    def start() -> LiveProcess | None:
        port = free_port()
        log = tmp / f"sim-{provider.rpartition(':')[2]}-{port}.log"
        argv = genai_demo_argv("sim", provider, "--port", str(port), *args, *tls_args(tls))
        full_env = {**os.environ, **(env or {})}
        return _start_owning_port(argv, port, log, full_env, "/_sim/health", timeout, tls)

    with _first_start(start, f"the {provider} simulator") as live:
        yield live


def descendants(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from ``ps``), so a test can prove none is left behind."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True, check=True).stdout
    children: dict[int, list[int]] = {}
    for line in out.splitlines():
        p, pp = (int(x) for x in line.split())
        children.setdefault(pp, []).append(p)
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def part_leader(lab_pid: int, *argv: str) -> int:
    """The pid of the lab's direct child whose command line holds ``argv`` in order (a part's leader)."""
    for pid in descendants(lab_pid):
        with contextlib.suppress(OSError):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            words = [w.decode() for w in cmdline]
            if (
                any(words[i : i + len(argv)] == list(argv) for i in range(len(words)))
                and os.getpgid(pid) == pid
            ):
                return pid
    raise AssertionError(f"no part runs {argv}")


def stop_group(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
    """Send ``sig`` to ``proc``'s process group (it was started with ``start_new_session``) and wait; SIGKILL
    the group if it outlives ``timeout``. Returns the exit status."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
    return proc.returncode


def wait_for_up(proc: subprocess.Popen[bytes], output: Path, timeout: float, poll: float = 0.1) -> str | None:
    """Wait until ``genai-demo up`` (``proc``, printing to ``output``) has printed its table; return the
    output. ``None`` when a port was taken meanwhile (the caller tries another offset); an exit or the
    ``timeout`` fails with the end of the output (the lab is stopped first)."""
    deadline = time.monotonic() + timeout
    while "Ctrl-C stops everything." not in (text := output.read_text(errors="replace")):
        if proc.poll() is not None:
            if "already in use" in text:
                return None
            raise AssertionError(text[-3000:])
        if time.monotonic() > deadline:
            stop_group(proc, signal.SIGINT, 30)
            raise AssertionError(text[-3000:])
        time.sleep(poll)
    return text


#: a ``NAME value`` line of the table ``genai-demo up`` prints (keys, webhook secrets, demo tokens)
_UP_VALUE = re.compile(r"^    ([A-Z][A-Z0-9_]+)\s+(\S+)$")


@dataclass
class UpLab:
    """A ``genai-demo up`` running as its own process group on ports ``offset`` above the defaults:
    ``output`` is what it printed, ``var`` its ``--var-dir``, ``values`` the ``NAME value`` lines of its
    table; ``tls`` when it was started with ``--tls`` (HTTPS, the lab's CA under ``var/tls``)."""

    proc: subprocess.Popen[bytes]
    output: Path
    var: Path
    offset: int
    values: dict[str, str]
    tls: bool

    @property
    def url(self) -> str:
        """The service's base URL."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{8000 + self.offset}"

    def sim(self, name: str) -> str:
        """The base URL of the simulator ``name``."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{PROVIDERS[name].default_port + self.offset}"

    @property
    def ca(self) -> str:
        """The lab's CA certificate (``--tls``)."""
        return str(self.var / "tls" / "ca.pem")

    def session(self, **headers: str) -> requests.Session:
        """A session sending ``headers`` that trusts the lab's CA (and nothing from the environment)."""
        session = requests.Session()
        if self.tls:
            session.verify, session.trust_env = self.ca, False
        session.headers.update(headers)
        return session

    def token(self, sub: str, role: str) -> str:
        """An access token for ``sub`` with ``roles: [role]``, minted by the lab's identity simulator
        (``POST /_sim/identity/tokens``), which the lab's service trusts."""
        resp = self.session().post(
            self.sim("identity") + "/_sim/identity/tokens", json={"sub": sub, "roles": [role]}, timeout=10
        )
        resp.raise_for_status()
        return str(resp.json()["access_token"])

    def stop(self) -> None:
        """Ctrl-C, as a user stops it (SIGKILL to the group if it has not stopped within 30 s)."""
        stop_group(self.proc, signal.SIGINT, 30)


def start_up(
    tmp: Path, offset: int, *args: str, env: Mapping[str, str], timeout: float, poll: float = 0.1
) -> UpLab | None:
    """Run ``genai-demo up --port-offset <offset> --var-dir <tmp>/var <args>`` (environment ``env``, output
    in ``<tmp>/up.out``) until its table is printed; ``None`` when a port was taken meanwhile (the caller
    tries another offset)."""
    tmp.mkdir(parents=True, exist_ok=True)
    var, output = tmp / "var", tmp / "up.out"
    argv = genai_demo_argv("up", "--port-offset", str(offset), "--var-dir", str(var), *args)
    with output.open("wb") as out:
        proc = subprocess.Popen(
            argv, env=dict(env), cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    text = wait_for_up(proc, output, timeout, poll)
    if text is None:
        return None
    values = {m.group(1): m.group(2) for m in map(_UP_VALUE.match, text.splitlines()) if m}
    return UpLab(proc, output, var, offset, values, tls="--tls" in args)


L = TypeVar("L", bound=UpLab)


@contextlib.contextmanager
def running_up(start: Callable[[int], L | None], attempts: int = 3) -> Iterator[L]:
    """A lab ``start(attempt)`` brought up (``start_up`` and a fresh port offset inside it), tried again up
    to ``attempts`` times when a port was taken meanwhile, and stopped when the block ends."""
    for attempt in range(attempts):
        started = start(attempt)
        if started is not None:
            break
    else:
        raise AssertionError("every port offset tried was taken while the lab started")
    try:
        yield started
    finally:
        started.stop()
