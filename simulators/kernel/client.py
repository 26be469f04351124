"""``SimClient``: the one client of the control API every simulator serves under ``/_sim/``.

Tests, the Locust scenarios and users drive a running simulator with it: inject faults, move the simulated
clock, read the request journal and the webhook deliveries, reset state. The API itself is described live at
``<simulator>/_sim/openapi.json`` and in ``docs/simulators-control-api.md``::

    with SimClient("http://127.0.0.1:12111") as sim:                    # the Stripe simulator
        rule = sim.fault(method="POST", path="/v1/payment_intents*", status=503, times=2)
        ...                                                             # call Stripe
        print(sim.get_fault(rule["id"])["fired"], len(sim.journal(status="5xx")))
        sim.advance(3600)                                               # due webhook retries run now
        print([d["status"] for d in sim.deliveries()])
        sim.get("aws/sent-emails")                                      # a provider's own controls

Calls go through the client's own ``requests`` session (so they never show up in a load tool's statistics).
Every error of the control API is ``{"error": {"code", "message", "details"}}``; a 4xx/5xx answer raises
:class:`SimClientError` carrying the status and that body. :meth:`SimClient.request` returns the raw
response instead, for tests that check the control API's own status codes.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import requests

CONTROL_PREFIX = "/_sim/"
JSON = dict[str, Any]


class SimClientError(RuntimeError):
    """The control API answered with an error: ``status``, the decoded ``body`` and its ``code``."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        self.status = status
        self.body = body
        self.code: str = str(error.get("code") or "")
        message = str(error.get("message") or body)[:300]
        parts = (f"{method} {path}: {status}", self.code, message)
        super().__init__(" ".join(part for part in parts if part))


def _given(**values: Any) -> JSON:
    return {k: v for k, v in values.items() if v is not None}


class SimClient:
    """Client of ``<base_url>/_sim/``; a context manager (or call :meth:`close`) releases its session.

    ``base_url`` is the simulator's base URL (``http://127.0.0.1:12111``); a URL ending in ``/_sim/`` is
    accepted too.
    """

    def __init__(
        self, base_url: str, *, timeout: float = 10.0, session: requests.Session | None = None
    ) -> None:
        base = base_url.rstrip("/")
        self.base_url = base.removesuffix(CONTROL_PREFIX.rstrip("/"))
        self.timeout = timeout
        self.session = session or requests.Session()

    @property
    def control_url(self) -> str:
        """``<base_url>/_sim/``."""
        return self.base_url + CONTROL_PREFIX

    def __repr__(self) -> str:
        return f"SimClient({self.base_url!r})"

    def __enter__(self) -> SimClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    # -- any control route -----------------------------------------------------------------------------
    def request(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> requests.Response:
        """The raw response of ``<method> /_sim/<path>`` (``None`` query values are left out)."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        url = self.control_url + path.lstrip("/")
        return self.session.request(method, url, json=json, params=query, timeout=self.timeout)

    def call(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        """The decoded body of ``<method> /_sim/<path>``; :class:`SimClientError` on a 4xx/5xx."""
        resp = self.request(method, path, json=json, params=params)
        try:
            body = resp.json()
        except ValueError:
            body = resp.text
        if resp.status_code >= 400:
            raise SimClientError(method, CONTROL_PREFIX + path.lstrip("/"), resp.status_code, body)
        return body

    def get(self, path: str, /, **params: Any) -> Any:
        """``GET /_sim/<path>``, e.g. a provider's own ``get("aws/sent-emails")``."""
        return self.call("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> Any:
        """``POST /_sim/<path>`` with a JSON body, e.g. ``post("stripe/payment_intents/pi_1/3ds")``."""
        return self.call("POST", path, json=body)

    def delete(self, path: str) -> Any:
        """``DELETE /_sim/<path>``."""
        return self.call("DELETE", path)

    # -- state -------------------------------------------------------------------------------------------
    def health(self) -> JSON:
        """``GET /_sim/health``: provider, seed, clock and the simulator's configuration."""
        result: JSON = self.get("health")
        return result

    def openapi(self) -> JSON:
        """``GET /_sim/openapi.json``: this API, as OpenAPI 3.1."""
        result: JSON = self.get("openapi.json")
        return result

    def reset(self, seed: int | None = None, *, keep_endpoints: bool = True) -> JSON:
        """``POST /_sim/reset``: forget state, faults, journal, deliveries and chaos (``seed`` reseeds ids
        and fault RNGs). Webhook endpoints survive unless ``keep_endpoints`` is false."""
        result: JSON = self.post("reset", {"seed": seed, "keep_endpoints": keep_endpoints})
        return result

    # -- journal -----------------------------------------------------------------------------------------
    def journal(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        status: str | int | None = None,
        account: str | None = None,
        operation: str | None = None,
        fault: bool | None = None,
        limit: int | None = None,
    ) -> list[JSON]:
        """``GET /_sim/journal``: recent requests, newest first. ``path`` and ``operation`` are globs;
        ``status`` is ``503``, ``5xx`` or ``reset``; ``fault`` keeps requests a fault rule hit (or not)."""
        flag = None if fault is None else str(fault).lower()
        params = _given(
            method=method, path=path, status=status, account=account, operation=operation, fault=flag
        )
        data: list[JSON] = self.get("journal", **params, limit=limit)["data"]
        return data

    def clear_journal(self) -> None:
        """``DELETE /_sim/journal``."""
        self.delete("journal")

    # -- faults ------------------------------------------------------------------------------------------
    def fault(
        self,
        match: JSON | None = None,
        action: JSON | None = None,
        *,
        times: int | None = None,
        probability: float | None = None,
        seed: int | None = None,
        window: dict[str, float] | None = None,
        description: str | None = None,
        method: str | None = None,
        path: str | None = None,
        operation: str | None = None,
        account: str | None = None,
        status: int | None = None,
    ) -> JSON:
        """``POST /_sim/faults``; returns the rule (``id``, ``fired``...).

        ``match`` and ``action`` are the API's objects; ``method``, ``path``, ``operation`` and ``account``
        add to ``match``, and ``status=503`` stands for the action ``{"type": "status", "status": 503}`` (the
        provider's own error body). Actions: ``{"type": "latency", "ms": 300}``, ``{"type": "rate_limit",
        "retry_after": 2}``, ``{"type": "reset"}``, ``{"type": "malformed"}``, ``{"type": "hang"}``. The rule
        fires on the next ``times`` calls, with ``probability`` (``seed``), inside a simulated-time
        ``window`` (``{"start_in": s, "duration": s}``), or, with none of these, always."""
        if (action is None) == (status is None):
            raise ValueError("give either an action or a status")
        shorthand = _given(method=method, path=path, operation=operation, account=account)
        rule: JSON = {
            "match": {**(match or {}), **shorthand},
            "action": action if action is not None else {"type": "status", "status": status},
            **_given(times=times, probability=probability, seed=seed, window=window, description=description),
        }
        created: JSON = self.post("faults", rule)
        return created

    def faults(self) -> list[JSON]:
        """``GET /_sim/faults``: every rule with its ``fired`` count."""
        data: list[JSON] = self.get("faults")["data"]
        return data

    def get_fault(self, rule_id: str) -> JSON:
        """``GET /_sim/faults/{id}``."""
        rule: JSON = self.get(f"faults/{rule_id}")
        return rule

    def delete_fault(self, rule_id: str) -> None:
        """``DELETE /_sim/faults/{id}``."""
        self.delete(f"faults/{rule_id}")

    def clear_faults(self) -> None:
        """``DELETE /_sim/faults``: remove every rule."""
        self.delete("faults")

    # -- clock and transitions ---------------------------------------------------------------------------
    def clock(self) -> JSON:
        """``GET /_sim/clock``: ``{"now": <epoch seconds>, "offset": <seconds>}``."""
        result: JSON = self.get("clock")
        return result

    def advance(self, seconds: float, *, wait: bool = True) -> JSON:
        """``POST /_sim/clock``: move simulated time forward. With ``wait`` (the default) it returns once the
        transitions and webhook retries that fell due have run, and raises ``TimeoutError`` if they did not
        settle within the simulator's ``clock_wait_max_s``."""
        result: JSON = self.post("clock", {"advance": seconds, "wait": wait})
        if wait and result.get("idle") is False:
            raise TimeoutError(f"the simulator at {self.base_url} was still busy after advancing {seconds}s")
        return result

    def transitions(self) -> list[JSON]:
        """``GET /_sim/transitions``: scheduled transitions and retries not run yet."""
        data: list[JSON] = self.get("transitions")["data"]
        return data

    # -- webhooks ----------------------------------------------------------------------------------------
    def webhooks(self) -> JSON:
        """``GET /_sim/webhooks``: counts, chaos, retry schedule and time scale."""
        result: JSON = self.get("webhooks")
        return result

    def endpoints(self, account: str | None = None) -> list[JSON]:
        """``GET /_sim/webhooks/endpoints``."""
        data: list[JSON] = self.get("webhooks/endpoints", account=account)["data"]
        return data

    def add_endpoint(
        self,
        url: str,
        *,
        account: str | None = None,
        events: list[str] | None = None,
        secret: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> JSON:
        """``POST /_sim/webhooks/endpoints``; the answer carries the signing ``secret``."""
        body = {"url": url, **_given(account=account, events=events, secret=secret, metadata=metadata)}
        endpoint: JSON = self.post("webhooks/endpoints", body)
        return endpoint

    def get_endpoint(self, endpoint_id: str) -> JSON:
        """``GET /_sim/webhooks/endpoints/{id}``."""
        endpoint: JSON = self.get(f"webhooks/endpoints/{endpoint_id}")
        return endpoint

    def delete_endpoint(self, endpoint_id: str) -> None:
        """``DELETE /_sim/webhooks/endpoints/{id}``."""
        self.delete(f"webhooks/endpoints/{endpoint_id}")

    def deliveries(self, **filters: str | int | None) -> list[JSON]:
        """``GET /_sim/webhooks/deliveries`` with every attempt; filters: ``account``, ``event_id``,
        ``event_type``, ``status`` (``pending``/``succeeded``/``failed``), ``endpoint_id``, ``limit``."""
        data: list[JSON] = self.get("webhooks/deliveries", **filters)["data"]
        return data

    def get_delivery(self, delivery_id: str) -> JSON:
        """``GET /_sim/webhooks/deliveries/{id}``."""
        delivery: JSON = self.get(f"webhooks/deliveries/{delivery_id}")
        return delivery

    def redeliver(self, delivery_id: str) -> JSON:
        """``POST /_sim/webhooks/deliveries/{id}/redeliver``: one more (manual) attempt now."""
        result: JSON = self.post(f"webhooks/deliveries/{delivery_id}/redeliver")
        return result

    def publish_event(
        self,
        event_type: str,
        payload: JSON,
        *,
        account: str | None = None,
        event_id: str | None = None,
        url: str | None = None,
        content_type: str | None = None,
    ) -> JSON:
        """``POST /_sim/webhooks/events``: send a raw event through the provider's signer (to the account's
        endpoints, or to ``url``)."""
        body = {
            "event_type": event_type,
            "payload": payload,
            **_given(account=account, event_id=event_id, url=url, content_type=content_type),
        }
        result: JSON = self.post("webhooks/events", body)
        return result

    def chaos(self) -> JSON:
        """``GET /_sim/webhooks/chaos``."""
        result: JSON = self.get("webhooks/chaos")
        return result

    def set_chaos(
        self,
        *,
        duplicate: float | None = None,
        reorder: float | bool | None = None,
        seed: int | None = None,
        hold_s: float | None = None,
    ) -> JSON:
        """``POST /_sim/webhooks/chaos``: duplicate and/or reorder deliveries (probabilities 0..1)."""
        body = _given(duplicate=duplicate, reorder=reorder, seed=seed, hold_s=hold_s)
        result: JSON = self.post("webhooks/chaos", body)
        return result

    def clear_chaos(self) -> None:
        """``DELETE /_sim/webhooks/chaos``."""
        self.delete("webhooks/chaos")
