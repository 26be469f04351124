"""WSGI plumbing: types, a cheap request view, body capture, and dropping a connection.

:class:`SimRequest` is what providers see in ``account_for`` / ``operation_for``: method, path, query,
headers (read lazily from the environ) and the raw body. :func:`abort_connection` makes a real client
see a connection error, on werkzeug's server (shut the socket down), on gunicorn (same) and on granian
(a response head that hyper refuses to send, so it closes the connection without a response).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import socket
import struct
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType, TracebackType
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from simulators.kernel.routing import Route

log = logging.getLogger(__name__)

Environ = dict[str, Any]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]


class StartResponse(Protocol):
    """The WSGI ``start_response`` callable."""

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None, /
    ) -> Callable[[bytes], object]: ...


WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

_SPECIAL_HEADERS = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}


def header_key(name: str) -> str:
    """The environ key of header ``name`` (``Content-Type`` -> ``CONTENT_TYPE``, others ``HTTP_*``)."""
    key = name.upper().replace("-", "_")
    return key if key in _SPECIAL_HEADERS else "HTTP_" + key


def environ_headers(environ: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Request headers as ``[(Title-Case-Name, value)]`` read from a WSGI environ."""
    out: list[tuple[str, str]] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            out.append((key[5:].replace("_", "-").title(), value))
        elif key in _SPECIAL_HEADERS and value:
            out.append((_SPECIAL_HEADERS[key], value))
    return out


def read_body(environ: Environ) -> bytes:
    """Read the whole request body and put it back as a fresh stream so the app can read it too."""
    length_raw = environ.get("CONTENT_LENGTH")
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if length_raw:
        try:
            length = int(length_raw)
        except ValueError:
            length = 0
        body = stream.read(length) if length > 0 else b""
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        return b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return bytes(body)


REQUEST_KEY = "sim.request"
NO_ARGS: Mapping[str, str] = MappingProxyType({})


class SimRequest:
    """A light view of one request, built once per request by the kernel middleware.

    ``route`` and ``args`` (path arguments) are set by the router; ``account``, ``request_id`` and
    ``operation`` are what the kernel resolved for the journal and fault rules.
    """

    __slots__ = ("environ", "method", "path", "query_string", "body", "route", "args", "_query", "_form")

    def __init__(self, environ: Environ, body: bytes) -> None:
        self.environ = environ
        self.method: str = environ.get("REQUEST_METHOD", "GET")
        self.path: str = environ.get("PATH_INFO", "") or "/"
        self.query_string: str = environ.get("QUERY_STRING", "")
        self.body = body
        self.route: Route | None
        self._query: dict[str, list[str]] | None
        self._form: dict[str, list[str]] | None
        self.route = self._query = self._form = None  # one chained store: this runs on every request
        self.args: Mapping[str, str] = NO_ARGS

    @classmethod
    def of(cls, environ: Environ) -> SimRequest:
        """The request the kernel middleware left in ``environ``, or a new one (reading the body)."""
        request = environ.get(REQUEST_KEY)
        if isinstance(request, SimRequest):
            return request
        request = cls(environ, read_body(environ))
        environ[REQUEST_KEY] = request
        return request

    @classmethod
    def build(
        cls,
        method: str,
        path: str,
        query_string: str = "",
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> SimRequest:
        """Construct a request view without a server (journal replays, tests)."""
        environ: Environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query_string}
        for name, value in headers:
            environ[header_key(name)] = value
        return cls(environ, body)

    def header(self, name: str) -> str | None:
        """One header value (case-insensitive name) or ``None``."""
        value = self.environ.get(header_key(name))
        return str(value) if value is not None else None

    @property
    def headers(self) -> list[tuple[str, str]]:
        """All request headers."""
        return environ_headers(self.environ)

    @property
    def account(self) -> str | None:
        """The account the provider's ``account_for`` gave this request (``None`` if unknown)."""
        value = self.environ.get("sim.account")
        return str(value) if value is not None else None

    @property
    def request_id(self) -> str | None:
        """The id the kernel sent in the provider's request-id header (``None`` if it sends none)."""
        value = self.environ.get("sim.request_id")
        return str(value) if value is not None else None

    @property
    def host_url(self) -> str:
        """``scheme://host[:port]`` as the client reached the simulator (from ``Host``)."""
        env = self.environ
        host = env.get("HTTP_HOST") or f"{env.get('SERVER_NAME', '127.0.0.1')}:{env.get('SERVER_PORT', '80')}"
        return f"{env.get('wsgi.url_scheme', 'http')}://{host}"

    @property
    def query(self) -> dict[str, list[str]]:
        """Parsed query string (parsed once)."""
        if self._query is None:
            self._query = parse_qs(self.query_string, keep_blank_values=True)
        return self._query

    def query_value(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else default

    def form(self) -> dict[str, list[str]]:
        """The body parsed as ``application/x-www-form-urlencoded`` (empty if it is not; parsed once)."""
        if self._form is None:
            ctype = self.header("Content-Type") or ""
            if not ctype.startswith("application/x-www-form-urlencoded"):
                self._form = {}
            else:
                self._form = parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return self._form

    def form_value(self, name: str, default: str | None = None) -> str | None:
        """The first value of form field ``name``."""
        values = self.form().get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """The body parsed as JSON, or ``None`` when it is empty or not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def authorization(self) -> tuple[str, str] | None:
        """``(scheme_lowercase, credentials)`` from the Authorization header, or ``None``."""
        raw = self.header("Authorization")
        if not raw:
            return None
        scheme, _, creds = raw.strip().partition(" ")
        return scheme.lower(), creds.strip()

    def bearer_token(self) -> str | None:
        """The token of ``Authorization: Bearer <token>``, or ``None``."""
        auth = self.authorization()
        return auth[1] if auth and auth[0] == "bearer" and auth[1] else None

    def basic_auth(self) -> tuple[str, str] | None:
        """``(user, password)`` of ``Authorization: Basic ...``, or ``None`` if absent or malformed."""
        auth = self.authorization()
        if not auth or auth[0] != "basic":
            return None
        try:
            decoded = base64.b64decode(auth[1], validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        return (user, password) if sep else None


def abort_connection(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    """Drop the client connection so the client sees a connection error (no response at all).

    * werkzeug (``werkzeug.socket``) and gunicorn (``gunicorn.socket``): shut the socket down with
      ``SO_LINGER`` 0, then raise ``ConnectionAbortedError``, which both servers treat as a dropped
      connection. ``requests`` raises ``ConnectionError`` ("Remote end closed connection").
    * granian: a head carrying both ``Transfer-Encoding: chunked`` and a non-zero ``Content-Length`` is
      refused by hyper, which closes the connection without writing anything (checked against granian
      2.8; with ``Content-Length: 0`` it answers normally, so the body is one byte).
    * anything else: announce a body and send none of it, so the client sees an incomplete read.
    """
    sock = environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
    if isinstance(sock, socket.socket):
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            log.debug("socket already closed while injecting a reset")
        raise ConnectionAbortedError("connection reset by fault injection")
    if str(environ.get("SERVER_SOFTWARE", "")).lower().startswith("granian"):
        start_response("200 OK", [("Transfer-Encoding", "chunked"), ("Content-Length", "1")])
        return [b"x"]
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "1048576")])
    return _raise_after_head()


def _raise_after_head() -> Iterable[bytes]:
    yield b'{"'
    raise ConnectionAbortedError("connection reset by fault injection")
