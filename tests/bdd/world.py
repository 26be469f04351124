"""``ApiWorld``: the state one BDD scenario carries between its steps, and the HTTP helpers steps share.

A scenario gets a fresh world (fixture ``world`` in ``tests/bdd/conftest.py``) bound to ``live_service``.
Steps send requests with ``world.send``, read the last response with ``world.response`` / ``world.json()``,
and remember values by name in ``world.saved`` (``order_id``, ``customer_ref``, ...). Paths, header values
and expected values in steps may hold ``{name}`` placeholders, which ``world.expand`` fills from
``world.saved``; ``{nonce}`` is always there and is unique per scenario, so keys and references made
from it never collide across scenarios sharing one service.

To debug a failing scenario, ``world.history`` holds every response in order.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests

import contracts
from tests.auth import auth_issuer

TIMEOUT = 10.0
PROBLEM_JSON = "application/problem+json"
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """``items[0].quantity`` -> ``["items", 0, "quantity"]`` (the ``errors[].field`` notation)."""
    parts: list[str | int] = []
    for name, index in _PATH_PART.findall(path):
        parts.append(int(index) if index else name)
    assert parts, f"empty field path {path!r}"
    return parts


def get_path(document: Any, path: str) -> Any:
    """The value at dotted ``path`` in ``document``; fails the step with the path if it is missing."""
    node = document
    for part in parse_path(path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            raise AssertionError(f"{path!r} is not in the document: {document!r}") from None
    return node


def set_path(document: Any, path: str, value: Any) -> None:
    """Set (or add) the value at dotted ``path``; its parent must exist."""
    *parents, last = parse_path(path)
    node = document
    for part in parents:
        node = node[part]
    node[last] = value


def remove_path(document: Any, path: str) -> None:
    """Delete the value at dotted ``path``."""
    *parents, last = parse_path(path)
    node = document
    for part in parents:
        node = node[part]
    del node[last]


class _Saved(dict[str, Any]):
    def __missing__(self, key: str) -> Any:
        raise AssertionError(f"nothing remembered as {key!r}; remembered: {sorted(self)}")


@dataclass
class ApiWorld:
    """One scenario's HTTP session, last response and remembered values (see the module docstring)."""

    base_url: str
    #: sends an admin token of the test issuer (tests/auth.py); security scenarios set ``headers``
    session: requests.Session = field(default_factory=lambda: auth_issuer().session("admin"))
    nonce: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    saved: dict[str, Any] = field(default_factory=dict)
    #: headers sent with every request of this scenario (set by ``the request header ... is ...``)
    headers: dict[str, str] = field(default_factory=dict)
    #: a request body that Given steps build and a When step sends
    request_body: Any = None
    history: list[requests.Response] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.saved.setdefault("nonce", self.nonce)

    def expand(self, text: str) -> str:
        """Fill ``{name}`` placeholders from ``saved`` (``"/api/v1/orders/{order_id}"``)."""
        return text.format_map(_Saved(self.saved))

    def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """Send a request to the service (``path`` is expanded) and make it the current response.

        Any ``application/problem+json`` answer is checked against the ``api/problem`` contract at once,
        so a malformed error document fails the scenario even if no step looks at it.
        """
        url = self.base_url + self.expand(path)
        resp = self.session.request(
            method, url, json=json, data=data, headers={**self.headers, **(headers or {})}, timeout=TIMEOUT
        )
        self.history.append(resp)
        if resp.headers.get("Content-Type", "").startswith(PROBLEM_JSON):
            contracts.validate("api/problem", resp.json())
        return resp

    @property
    def response(self) -> requests.Response:
        """The last response; fails the step when no request was sent yet."""
        assert self.history, "no request has been sent in this scenario"
        return self.history[-1]

    def json(self, contract: str | None = None) -> Any:
        """The last response's JSON body, validated against ``contract`` when given."""
        try:
            body = self.response.json()
        except ValueError:
            raise AssertionError(f"response is not JSON: {self.response.text[:500]!r}") from None
        if contract is not None:
            contracts.validate(contract, body)
        return body

    def problem(self) -> dict[str, Any]:
        """The last response as a problem document: checks the media type and the ``api/problem`` contract."""
        media_type = self.response.headers.get("Content-Type", "")
        assert media_type.startswith(PROBLEM_JSON), (
            f"not problem+json but {media_type!r}: {self.response.text}"
        )
        problem: dict[str, Any] = self.json("api/problem")
        return problem

    def published_events(self, key: str, timeout: float = 15.0) -> list[dict[str, Any]]:
        """Events the service published with partition ``key`` (oldest first), once its outbox is empty.

        The relay publishes after commit, asynchronously; waiting until ``/health`` reports no pending
        outbox record means every event of this scenario's requests has been published (or is dead,
        which ``/health`` would show too). Each event is checked against ``events/envelope`` (and so
        against ``events/<event_type>``).
        """
        deadline = time.monotonic() + timeout
        while True:
            health = self.session.get(self.base_url + "/health", timeout=TIMEOUT).json()
            outbox = health["checks"]["outbox"]["details"]
            if outbox["pending"] == 0:
                break
            assert time.monotonic() < deadline, f"outbox still has pending events after {timeout}s: {outbox}"
            time.sleep(0.05)
        resp = self.session.get(
            self.base_url + "/api/v1/admin/events", params={"limit": 1000}, timeout=TIMEOUT
        )
        listing = resp.json()
        contracts.validate("api/admin/published-event-list", listing)
        return [e for e in reversed(listing["data"]) if e["key"] == key]
