"""The kernel middleware: account, request id, faults and the journal around any provider WSGI app.

Per request it reads the body once (and hands the app a fresh stream), asks the provider for the
account, evaluates fault rules (a lock-free no-op when there are none), applies latency and the terminal
action, and appends one journal entry. Control routes never reach it. Measure its cost with
``simulators.kernel.bench.bench_kernel()``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING

from simulators.kernel.errors import ErrorResponse
from simulators.kernel.faults import (
    FaultDecision,
    HangAction,
    MalformedAction,
    RateLimitAction,
    ResetAction,
    StatusAction,
)
from simulators.kernel.journal import JournalEntry
from simulators.kernel.wsgi import (
    REQUEST_KEY,
    Environ,
    ExcInfo,
    SimRequest,
    StartResponse,
    WSGIApp,
    abort_connection,
    read_body,
)

if TYPE_CHECKING:
    from simulators.kernel.app import SimulatorRuntime

log = logging.getLogger(__name__)


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Status"


class _Captured:
    """Collects what an app passes to start_response."""

    __slots__ = ("status", "headers")

    def __init__(self) -> None:
        self.status = "500 Internal Server Error"
        self.headers: list[tuple[str, str]] = []

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None, /
    ) -> Callable[[bytes], object]:
        self.status = status
        self.headers = headers
        return lambda _data: None


def _consume(result: Iterable[bytes]) -> bytes:
    try:
        return b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


class KernelMiddleware:
    """WSGI middleware applying faults and journaling around ``app`` for ``runtime``'s provider."""

    def __init__(self, app: WSGIApp, runtime: SimulatorRuntime) -> None:
        self.app = app
        self.runtime = runtime
        self.provider = runtime.provider
        self.faults = runtime.faults
        self.journal = runtime.journal
        self.clock = runtime.clock
        self.stop_event: threading.Event = runtime.stop_event
        self.max_body = runtime.config.max_journal_body_bytes
        self.rid_header = self.provider.request_id_header

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        t0 = time.perf_counter()
        body = read_body(environ)
        req = SimRequest(environ, body)
        environ[REQUEST_KEY] = req  # the provider app reuses it; dropped below (it and environ form a cycle)
        try:
            return self._handle(environ, start_response, req, t0)
        finally:
            environ.pop(REQUEST_KEY, None)

    def _handle(
        self, environ: Environ, start_response: StartResponse, req: SimRequest, t0: float
    ) -> Iterable[bytes]:
        body = req.body
        try:
            account = self.provider.account_for(req)
        except Exception:
            log.exception("account_for failed")
            account = None
        environ["sim.account"] = account
        rid: str | None = None
        extra_headers: list[tuple[str, str]] = []
        if self.rid_header is not None:
            rid = self.provider.new_request_id()
            environ["sim.request_id"] = rid
            extra_headers.append((self.rid_header, rid))
        decision: FaultDecision | None = None
        if self.faults:
            operation = None
            if self.faults.needs_operation:
                operation = self.provider.operation_for(req)
                environ["sim.operation"] = operation
            decision = self.faults.evaluate(req.method, req.path, operation, account)
        entry = JournalEntry(
            time=self.clock.now(),
            method=req.method,
            path=req.path,
            query=req.query_string,
            headers=[(k, v) for k, v in environ.items() if k[:5] == "HTTP_"],
            body=body[: self.max_body],
            body_size=len(body),
            status=None,
            duration_ms=0.0,
            account=account,
            operation=None,
            request_id=rid,
        )
        if environ.get("CONTENT_TYPE"):
            entry.headers.append(("CONTENT_TYPE", environ["CONTENT_TYPE"]))
        if decision is None:
            return self._pass(environ, start_response, entry, extra_headers, t0)
        entry.fault_ids = tuple(decision.fired)
        entry.fault_action = decision.action_name
        if decision.latency_ms:
            self.stop_event.wait(decision.latency_ms / 1000.0)
        action = decision.action
        if action is None:
            return self._pass(environ, start_response, entry, extra_headers, t0)
        if isinstance(action, StatusAction):
            return self._respond(
                start_response, entry, t0, self._status_body(action, req), action.status, extra_headers
            )
        if isinstance(action, RateLimitAction):
            err = self.provider.error_for(429, req)
            hdrs = [*extra_headers, ("Retry-After", str(action.retry_after))]
            return self._respond(start_response, entry, t0, err, 429, hdrs)
        if isinstance(action, MalformedAction):
            return self._malformed(environ, start_response, entry, extra_headers, t0, action)
        if isinstance(action, ResetAction | HangAction):
            if action.after_processing:
                captured = _Captured()
                _consume(self.app(environ, captured))
                entry.operation = environ.get("sim.operation")
            if isinstance(action, HangAction):
                limit = self.runtime.config.hang_max_s
                self.stop_event.wait(min(action.seconds or limit, limit))
            self._finish(entry, None, t0)
            return abort_connection(environ, start_response)
        raise AssertionError(f"unhandled fault action {action!r}")

    def _finish(self, entry: JournalEntry, status: int | None, t0: float) -> None:
        entry.status = status
        entry.duration_ms = (time.perf_counter() - t0) * 1000.0
        self.journal.record(entry)

    def _pass(
        self,
        environ: Environ,
        start_response: StartResponse,
        entry: JournalEntry,
        extra_headers: list[tuple[str, str]],
        t0: float,
    ) -> Iterable[bytes]:
        seen: list[str] = []

        def _start(
            status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None, /
        ) -> Callable[[bytes], object]:
            seen.append(status)
            if extra_headers:
                present = {name.lower() for name, _ in headers}
                headers = headers + [(n, v) for n, v in extra_headers if n.lower() not in present]
            return start_response(status, headers, exc_info)

        try:
            result = self.app(environ, _start)
        except BaseException:
            entry.operation = environ.get("sim.operation")
            self._finish(entry, 500, t0)
            raise
        entry.operation = environ.get("sim.operation")
        self._finish(entry, int(seen[-1][:3]) if seen else None, t0)
        return result

    def _status_body(self, action: StatusAction, req: SimRequest) -> ErrorResponse:
        if action.body is None:
            base = self.provider.error_for(action.status, req)
            return ErrorResponse(
                base.body, action.content_type or base.content_type, {**base.headers, **action.headers}
            )
        if isinstance(action.body, str):
            return ErrorResponse(
                action.body.encode(), action.content_type or "text/plain; charset=utf-8", action.headers
            )
        return ErrorResponse(
            json.dumps(action.body).encode(), action.content_type or "application/json", action.headers
        )

    def _respond(
        self,
        start_response: StartResponse,
        entry: JournalEntry,
        t0: float,
        err: ErrorResponse,
        status: int,
        extra_headers: list[tuple[str, str]],
    ) -> Iterable[bytes]:
        headers = [("Content-Type", err.content_type), ("Content-Length", str(len(err.body)))]
        headers.extend(err.headers.items())
        headers.extend(extra_headers)
        self._finish(entry, status, t0)
        start_response(_status_line(status), headers)
        return [err.body]

    def _malformed(
        self,
        environ: Environ,
        start_response: StartResponse,
        entry: JournalEntry,
        extra_headers: list[tuple[str, str]],
        t0: float,
        action: MalformedAction,
    ) -> Iterable[bytes]:
        captured = _Captured()
        body = _consume(self.app(environ, captured))
        entry.operation = environ.get("sim.operation")
        keep = action.keep_bytes if action.keep_bytes is not None else len(body) // 2
        cut = body[: min(keep, max(len(body) - 1, 0))] if body else b'{"'
        headers = [(n, v) for n, v in captured.headers if n.lower() != "content-length"]
        present = {n.lower() for n, _ in headers}
        headers.extend((n, v) for n, v in extra_headers if n.lower() not in present)
        headers.append(("Content-Length", str(len(cut))))
        self._finish(entry, int(captured.status[:3]), t0)
        start_response(captured.status, headers)
        return [cut]
