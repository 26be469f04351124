"""Fixtures for the Twilio simulator: the simulator, the official SDK pointed at it, and a status-callback
receiver that validates ``X-Twilio-Signature`` the way an application does."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

import pytest
import requests
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from simulators.kernel import SimulatorConfig, ThreadedSimulator
from simulators.twilio.provider import TwilioProvider

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse

ACCOUNT = "AC00000000000000000000000000000000"
TOKEN = "genai-demo-twilio-token"
FROM = "+15005550006"


@dataclass
class Callback:
    """One status callback as the receiver saw it."""

    url: str
    form: dict[str, str]
    signature: str | None
    valid: bool
    headers: dict[str, str]


class CallbackReceiver:
    """A threaded werkzeug server that checks each callback with ``RequestValidator(token)`` over the
    full request URL and form (403 when it does not verify, like a real application)."""

    def __init__(self, token: str = TOKEN) -> None:
        self.validator = RequestValidator(token)
        self.callbacks: list[Callback] = []
        self.status = 200
        self._cond = threading.Condition()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})

    def url(self, path: str = "/twilio/status", query: str = "") -> str:
        return f"http://127.0.0.1:{self._server.server_port}{path}{'?' + query if query else ''}"

    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        req = Request(environ)
        signature = req.headers.get("X-Twilio-Signature")
        valid = bool(signature) and self.validator.validate(req.url, req.form, signature or "")
        status = self.status if valid else 403
        with self._cond:
            self.callbacks.append(Callback(req.url, req.form.to_dict(), signature, valid, dict(req.headers)))
            self._cond.notify_all()
        return Response("", status=status)(environ, start_response)

    def statuses(self, sid: str) -> list[str]:
        return [c.form["MessageStatus"] for c in self.callbacks if c.form.get("MessageSid") == sid]

    def wait_for(self, sid: str, status: str, timeout: float = 5.0) -> Callback:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for c in self.callbacks:
                    if c.form.get("MessageSid") == sid and c.form.get("MessageStatus") == status:
                        return c
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {status!r} callback for {sid}; got {self.statuses(sid)}")
                self._cond.wait(left)

    def __enter__(self) -> CallbackReceiver:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture
def sim() -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(
        TwilioProvider(), config=SimulatorConfig(seed=3, webhook_timeout_s=2.0)
    ) as running:
        yield running


@pytest.fixture
def client(sim: ThreadedSimulator) -> Client:
    """The official SDK; only the base URL changes."""
    twilio = Client(ACCOUNT, TOKEN)
    twilio.api.base_url = sim.url
    return twilio


@pytest.fixture
def receiver() -> Iterator[CallbackReceiver]:
    with CallbackReceiver() as r:
        yield r


def advance(sim: ThreadedSimulator, seconds: float) -> None:
    """Move the simulated clock and wait until due transitions and deliveries have run."""
    resp = requests.post(sim.control_url + "clock", json={"advance": seconds, "wait": True}, timeout=30)
    resp.raise_for_status()
    assert resp.json()["idle"] is True


def api(sim: ThreadedSimulator, method: str, path: str, **kwargs: Any) -> requests.Response:
    """A raw request to the Messages API with the lab account's Basic auth."""
    kwargs.setdefault("auth", (ACCOUNT, TOKEN))
    return requests.request(method, f"{sim.url}/2010-04-01/Accounts/{ACCOUNT}{path}", timeout=5, **kwargs)
