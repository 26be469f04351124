"""``SimControl``: a small client for a simulator's control API under ``/_sim/`` (the same on every
simulator; described live at ``<simulator>/_sim/openapi.json``).

Load scenarios use it to make a provider misbehave while the service is under load, and to read what
the provider saw. Control calls go through their own ``requests`` session, so they never show up in
Locust's statistics::

    sim = SimControl("http://127.0.0.1:12111")           # the Stripe simulator
    rule = sim.add_fault({"method": "POST", "path": "/v1/payment_intents*"},
                         {"type": "status", "status": 503}, probability=0.05, seed=7)
    ...                                                  # run the load
    print(sim.fault(rule["id"])["fired"], len(sim.journal(status="5xx")))
    sim.clear_faults()

Every error of the control API is ``{"error": {"code", "message", "details"}}``; it is raised as
``SimControlError`` carrying the status and that body.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import requests

CONTROL_PREFIX = "/_sim"


class SimControlError(RuntimeError):
    """The control API answered with an error (``status`` and the decoded ``body``)."""

    def __init__(self, method: str, path: str, status: int, body: Any) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        message = error.get("message") or str(body)[:300]
        super().__init__(f"{method} {path}: {status} {error.get('code', '')} {message}".strip())
        self.status = status
        self.body = body


class SimControl:
    """Client for ``<base_url>/_sim/``; a context manager (or call ``close``) releases its session."""

    def __init__(
        self, base_url: str, *, timeout: float = 10.0, session: requests.Session | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()

    def __enter__(self) -> SimControl:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def _call(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        url = f"{self.base_url}{CONTROL_PREFIX}{path}"
        query = {k: v for k, v in (params or {}).items() if v is not None}
        resp = self.session.request(method, url, json=json, params=query, timeout=self.timeout)
        try:
            body = resp.json()
        except ValueError:
            body = resp.text
        if resp.status_code >= 400:
            raise SimControlError(method, CONTROL_PREFIX + path, resp.status_code, body)
        return body

    # -- state --------------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """``GET /_sim/health``: provider, seed, clock and the simulator's configuration."""
        result: dict[str, Any] = self._call("GET", "/health")
        return result

    def reset(self, seed: int | None = None, *, keep_endpoints: bool = True) -> dict[str, Any]:
        """``POST /_sim/reset``: forget all state (optionally reseeding ids and fault RNGs)."""
        result: dict[str, Any] = self._call(
            "POST", "/reset", json={"seed": seed, "keep_endpoints": keep_endpoints}
        )
        return result

    # -- journal ------------------------------------------------------------------------------------
    def journal(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        status: str | int | None = None,
        operation: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """``GET /_sim/journal``: recent requests, newest first (``status``: ``503``, ``5xx``, ``reset``)."""
        params = {"method": method, "path": path, "status": status, "operation": operation, "limit": limit}
        data: list[dict[str, Any]] = self._call("GET", "/journal", params=params)["data"]
        return data

    def clear_journal(self) -> None:
        """``DELETE /_sim/journal``."""
        self._call("DELETE", "/journal")

    # -- faults -------------------------------------------------------------------------------------
    def add_fault(
        self,
        match: dict[str, Any],
        action: dict[str, Any],
        *,
        times: int | None = None,
        probability: float | None = None,
        seed: int | None = None,
        window: dict[str, float] | None = None,
        description: str | None = None,
    ) -> dict[str, Any]:
        """``POST /_sim/faults``; returns the rule (with ``id`` and ``fired``). Without ``times``,
        ``probability`` or ``window`` the rule fires always. Actions: ``{"type": "latency", "ms": 300}``,
        ``{"type": "status", "status": 503}``, ``{"type": "rate_limit", "retry_after": 2}``,
        ``{"type": "reset"}``, ``{"type": "malformed"}``, ``{"type": "hang"}``."""
        rule: dict[str, Any] = {"match": match, "action": action}
        optional = {
            "times": times,
            "probability": probability,
            "seed": seed,
            "window": window,
            "description": description,
        }
        rule.update({k: v for k, v in optional.items() if v is not None})
        created: dict[str, Any] = self._call("POST", "/faults", json=rule)
        return created

    def faults(self) -> list[dict[str, Any]]:
        """``GET /_sim/faults``: every rule with its ``fired`` count."""
        data: list[dict[str, Any]] = self._call("GET", "/faults")["data"]
        return data

    def fault(self, rule_id: str) -> dict[str, Any]:
        """``GET /_sim/faults/{id}``."""
        rule: dict[str, Any] = self._call("GET", f"/faults/{rule_id}")
        return rule

    def delete_fault(self, rule_id: str) -> None:
        """``DELETE /_sim/faults/{id}``."""
        self._call("DELETE", f"/faults/{rule_id}")

    def clear_faults(self) -> None:
        """``DELETE /_sim/faults``: remove every rule."""
        self._call("DELETE", "/faults")

    # -- clock and webhooks -------------------------------------------------------------------------
    def clock(self) -> dict[str, Any]:
        """``GET /_sim/clock``: ``{"now": <epoch seconds>, "offset": <seconds>}``."""
        result: dict[str, Any] = self._call("GET", "/clock")
        return result

    def advance_clock(self, seconds: float, *, wait: bool = False) -> dict[str, Any]:
        """``POST /_sim/clock``: move simulated time forward (``wait``: until due work, e.g. retries, ran)."""
        result: dict[str, Any] = self._call("POST", "/clock", json={"advance": seconds, "wait": wait})
        return result

    def deliveries(self, **filters: str | int | None) -> list[dict[str, Any]]:
        """``GET /_sim/webhooks/deliveries`` (filters such as ``event_type``, ``status``), with attempts."""
        data: list[dict[str, Any]] = self._call("GET", "/webhooks/deliveries", params=dict(filters))["data"]
        return data

    def redeliver(self, delivery_id: str) -> dict[str, Any]:
        """``POST /_sim/webhooks/deliveries/{id}/redeliver``."""
        result: dict[str, Any] = self._call("POST", f"/webhooks/deliveries/{delivery_id}/redeliver")
        return result
