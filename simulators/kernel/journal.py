"""A bounded journal of the requests a simulator served (``GET /_sim/journal``).

The journal is a ring buffer (``deque(maxlen=journal_size)``), so memory stays flat under load. Recording
is cheap: the hot path stores references to what the middleware already has (header pairs, the body cut
to ``max_journal_body_bytes``); masking, decoding and filtering happen only when someone reads it.
Secrets never leave the journal: ``Authorization``, ``Cookie`` and any header whose name contains
key/secret/token/signature/password/credential is masked on output (``Idempotency-Key`` and names a
provider lists as safe are shown).
"""

from __future__ import annotations

import fnmatch
import itertools
import re
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterable
from typing import Any

ALWAYS_MASKED = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
SECRET_WORDS = ("key", "secret", "token", "signature", "password", "credential")
NOT_SECRET = frozenset({"idempotency-key"})
MASK = "****"


class HeaderMasker:
    """Decides which header values are secrets and masks them (``Bearer ****`` keeps the scheme)."""

    def __init__(self, extra_masked: Iterable[str] = (), not_secret: Iterable[str] = ()) -> None:
        self._masked = ALWAYS_MASKED | {h.lower() for h in extra_masked}
        self._safe = NOT_SECRET | {h.lower() for h in not_secret}

    def is_secret(self, name: str) -> bool:
        """True if the value of header ``name`` must not be shown."""
        low = name.lower()
        if low in self._masked:
            return True
        if low in self._safe:
            return False
        return any(word in low for word in SECRET_WORDS)

    def mask(self, headers: Iterable[tuple[str, str]]) -> dict[str, str]:
        """Headers as a dict with secret values replaced."""
        out: dict[str, str] = {}
        for name, value in headers:
            if self.is_secret(name):
                scheme, sep, _ = value.partition(" ")
                value = f"{scheme} {MASK}" if sep and scheme.isalpha() and len(scheme) <= 16 else MASK
            out[name] = value
        return out


def header_name(environ_key: str) -> str:
    """``HTTP_IDEMPOTENCY_KEY`` -> ``Idempotency-Key``; ``CONTENT_TYPE`` -> ``Content-Type``."""
    name = environ_key[5:] if environ_key.startswith("HTTP_") else environ_key
    return name.replace("_", "-").title()


def header_pairs(raw: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Journal headers (stored as raw environ keys to keep recording cheap) as ``(Name, value)``."""
    return [(header_name(k), v) for k, v in raw]


class JournalEntry:
    """One served request. Raw parts are kept (headers as environ keys); :meth:`to_json` renders a
    masked view."""

    __slots__ = (
        "id",
        "time",
        "method",
        "path",
        "query",
        "headers",
        "body",
        "body_size",
        "status",
        "duration_ms",
        "account",
        "operation",
        "request_id",
        "fault_ids",
        "fault_action",
    )

    def __init__(
        self,
        *,
        time: float,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[str, str]],
        body: bytes,
        body_size: int,
        status: int | None,
        duration_ms: float,
        account: str | None,
        operation: str | None,
        request_id: str | None,
        fault_ids: tuple[str, ...] = (),
        fault_action: str | None = None,
    ) -> None:
        self.id = ""
        self.time = time
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.body_size = body_size
        self.status = status
        self.duration_ms = duration_ms
        self.account = account
        self.operation = operation
        self.request_id = request_id
        self.fault_ids = fault_ids
        self.fault_action = fault_action

    def to_json(self, masker: HeaderMasker) -> dict[str, Any]:
        """The masked JSON view served by ``GET /_sim/journal``."""
        body: str | None
        try:
            body = self.body.decode("utf-8")
            encoding = "utf-8"
        except UnicodeDecodeError:
            body = self.body.hex()
            encoding = "hex"
        return {
            "id": self.id,
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": masker.mask(header_pairs(self.headers)),
            "body": body,
            "body_encoding": encoding,
            "body_size": self.body_size,
            "body_truncated": len(self.body) < self.body_size,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "account": self.account,
            "operation": self.operation,
            "request_id": self.request_id,
            "fault_ids": list(self.fault_ids),
            "fault_action": self.fault_action,
        }


def _path_matcher(pattern: str) -> Callable[[str], bool]:
    if any(ch in pattern for ch in "*?["):
        regex = re.compile(fnmatch.translate(pattern))
        return lambda p: regex.match(p) is not None
    return lambda p: p == pattern


def status_matcher(spec: str) -> Callable[[int | None], bool]:
    spec = spec.strip().lower()
    if len(spec) == 3 and spec.endswith("xx") and spec[0].isdigit():
        klass = int(spec[0])
        return lambda s: s is not None and s // 100 == klass
    if spec in {"none", "null", "reset"}:
        return lambda s: s is None
    wanted = int(spec)
    return lambda s: s == wanted


class Journal:
    """Thread-safe ring buffer of :class:`JournalEntry`, newest first on read."""

    def __init__(self, size: int, masker: HeaderMasker) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        #: (method, operation, status, fault action) -> requests served since start; never cleared, so a
        #: Prometheus scrape of ``/_sim/metrics`` sees a monotonic counter
        self._served: Counter[tuple[str, str, str, str]] = Counter()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.masker = masker
        self.capacity = size

    def record(self, entry: JournalEntry) -> None:
        """Append ``entry`` (evicting the oldest when full)."""
        with self._lock:
            entry.id = f"jr_{next(self._ids)}"
            self._entries.append(entry)
            key = (
                entry.method,
                entry.operation or "unknown",
                str(entry.status or 0),
                entry.fault_action or "",
            )
            self._served[key] += 1

    def served(self) -> dict[tuple[str, str, str, str], int]:
        """Requests served since start by (method, operation, status, fault action); see ``/_sim/metrics``."""
        with self._lock:
            return dict(self._served)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> list[JournalEntry]:
        """Snapshot, newest first."""
        with self._lock:
            snapshot = list(self._entries)
        snapshot.reverse()
        return snapshot

    def query(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        status: str | None = None,
        account: str | None = None,
        operation: str | None = None,
        fault: bool | None = None,
        limit: int = 100,
        resolve_operation: Callable[[JournalEntry], str | None] | None = None,
    ) -> list[dict[str, Any]]:
        """Filtered, masked entries, newest first. ``path`` and ``operation`` accept globs; ``status``
        accepts ``503``, ``5xx`` or ``reset`` (no response); ``fault`` keeps entries with/without a fault."""
        path_ok = _path_matcher(path) if path else None
        status_ok = status_matcher(status) if status else None
        op_ok = _path_matcher(operation) if operation else None
        wanted_method = method.upper() if method else None
        out: list[dict[str, Any]] = []
        for entry in self.entries():
            if entry.operation is None and resolve_operation is not None:
                entry.operation = resolve_operation(entry)
            if wanted_method and entry.method != wanted_method:
                continue
            if path_ok and not path_ok(entry.path):
                continue
            if status_ok and not status_ok(entry.status):
                continue
            if account is not None and entry.account != account:
                continue
            if op_ok and not (entry.operation and op_ok(entry.operation)):
                continue
            if fault is not None and bool(entry.fault_ids) != fault:
                continue
            out.append(entry.to_json(self.masker))
            if len(out) >= limit:
                break
        return out
