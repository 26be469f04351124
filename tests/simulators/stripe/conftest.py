"""Fixtures for the Stripe simulator's fidelity tests.

``sim`` is the Stripe simulator on a real socket (the plugin's ``start_simulator``), built from
:class:`ValidatingStripeProvider`: a ``StripeProvider`` whose WSGI app checks **every JSON body it answers**
against the official OpenAPI schemas; a test fails at teardown if any response violated them. ``client`` is
the official SDK pointed at it (``StripeClient(..., base_addresses={"api": url})``, default
``Stripe-Version`` of stripe 16, i.e. not 2023-10-16). ``raw`` posts form bodies with ``requests``.
Webhooks go to ``receiver`` (a threaded werkzeug server) and are verified with
``stripe.Webhook.construct_event``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
import requests
import stripe

from simulators.kernel.wsgi import Environ, StartResponse, WSGIApp
from simulators.stripe.provider import StripeProvider
from simulators.testing import RunningSimulator
from tests.simulators.stripe.schemas import SPEC, StripeSchemas

KEY = "sk_test_fidelity0000000000000000"
PK = "pk_test_fidelity0000000000000000"
OTHER_KEY = "sk_test_otheraccount000000000000"
_SCHEMAS: StripeSchemas | None = None


def schemas() -> StripeSchemas:
    global _SCHEMAS
    if _SCHEMAS is None:
        if not SPEC.exists():
            pytest.fail(f"the official Stripe spec is missing at {SPEC}")
        _SCHEMAS = StripeSchemas()
    return _SCHEMAS


class ValidatingStripeProvider(StripeProvider):
    """Validates every JSON response body of the Stripe API against the official schemas."""

    def setup(self) -> None:
        super().setup()
        self.violations: list[str] = []
        self.checked = 0
        self._lock = threading.Lock()

    def build_wsgi_app(self) -> WSGIApp:
        inner = super().build_wsgi_app()

        def app(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
            captured: dict[str, str] = {}

            def _start(status: str, headers: list[tuple[str, str]], exc_info: Any = None, /) -> Any:
                captured.update({k.lower(): v for k, v in headers})
                captured["status"] = status
                return start_response(status, headers, exc_info)

            body = b"".join(inner(environ, _start))
            if captured.get("content-type", "").startswith("application/json") and body:
                problems = schemas().check(json.loads(body))
                where = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']} -> {captured['status']}"
                with self._lock:
                    self.checked += 1
                    self.violations.extend(f"{where}: {p}" for p in problems)
            return [body]

        return app


@pytest.fixture
def make_sim(start_simulator: Callable[..., RunningSimulator]) -> Iterator[Callable[..., RunningSimulator]]:
    """Start Stripe simulators (validating every response); all are checked after the test, and stopped."""
    started: list[RunningSimulator] = []

    def _make(env: dict[str, str] | None = None, **config: Any) -> RunningSimulator:
        config.setdefault("seed", 7)
        config.setdefault("webhook_timeout_s", 2.0)
        sim = start_simulator(ValidatingStripeProvider(env=env), **config)
        started.append(sim)
        return sim

    yield _make
    for sim in started:
        provider = sim.provider
        assert isinstance(provider, ValidatingStripeProvider)
        assert provider.violations == [], "\n".join(provider.violations[:20])


@pytest.fixture
def sim(make_sim: Callable[..., RunningSimulator]) -> RunningSimulator:
    return make_sim()


@pytest.fixture
def client(sim: RunningSimulator) -> stripe.StripeClient:
    return stripe.StripeClient(KEY, base_addresses={"api": sim.url})


class Raw:
    """Plain HTTP against the simulator: form bodies (pairs keep ``a[0]=``/``a[]=`` as written)."""

    def __init__(self, url: str, key: str = KEY) -> None:
        self.url = url
        self.key = key

    def headers(self, key: str | None, extra: dict[str, str] | None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {key or self.key}"}
        out.update(extra or {})
        return out

    def post(
        self, path: str, data: Any = None, *, key: str | None = None, headers: dict[str, str] | None = None
    ) -> requests.Response:
        return requests.post(self.url + path, data=data, headers=self.headers(key, headers), timeout=10)

    def get(
        self, path: str, params: Any = None, *, key: str | None = None, headers: dict[str, str] | None = None
    ) -> requests.Response:
        return requests.get(self.url + path, params=params, headers=self.headers(key, headers), timeout=10)

    def delete(self, path: str, *, key: str | None = None) -> requests.Response:
        return requests.delete(self.url + path, headers=self.headers(key, None), timeout=10)

    def control(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, self.url + "/_sim/" + path.lstrip("/"), json=body, timeout=10)


@pytest.fixture
def raw(sim: RunningSimulator) -> Raw:
    return Raw(sim.url)


def error_of(resp: requests.Response) -> dict[str, Any]:
    body: dict[str, Any] = resp.json()
    assert set(body) == {"error"}, body
    err: dict[str, Any] = body["error"]
    return err
