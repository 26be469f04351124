"""Reading a run back: Prometheus's HTTP API (``/api/v1/alerts``, ``/api/v1/query_range``) and the lab's
alert receiver (``/notifications``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import requests


@dataclass(frozen=True)
class Interval:
    """When an alert was in a state, from Prometheus's ``ALERTS`` series (first and last sample)."""

    alert: str
    state: str
    first: float
    last: float


class Observer:
    """Prometheus and the receiver of one lab."""

    def __init__(self, prometheus_url: str, receiver_url: str, timeout: float = 10.0) -> None:
        self.prometheus = prometheus_url.rstrip("/")
        self.receiver = receiver_url.rstrip("/")
        self.http = requests.Session()
        self.timeout = timeout

    def close(self) -> None:
        self.http.close()

    def _api(self, path: str, **params: Any) -> Any:
        resp = self.http.get(f"{self.prometheus}/api/v1/{path}", params=params, timeout=self.timeout)
        resp.raise_for_status()
        body = resp.json()
        if body.get("status") != "success":
            raise RuntimeError(f"Prometheus {path}: {body}")
        return body["data"]

    def alert_states(self) -> dict[str, str]:
        """``{alertname: "pending" | "firing"}`` right now (the worst state of its instances)."""
        states: dict[str, str] = {}
        for alert in self._api("alerts")["alerts"]:
            name = alert["labels"].get("alertname", "")
            if states.get(name) != "firing":
                states[name] = alert["state"]
        return states

    def range(
        self, expr: str, start: float, end: float, step: float
    ) -> list[tuple[dict[str, str], list[tuple[float, float]]]]:
        """``query_range``: each series' labels and its ``(time, value)`` points (NaN dropped)."""
        data = self._api(
            "query_range", query=expr, start=f"{start:.3f}", end=f"{end:.3f}", step=f"{step:.3f}"
        )
        series = []
        for item in data["result"]:
            points = [(float(t), float(v)) for t, v in item["values"] if not math.isnan(float(v))]
            series.append((item["metric"], points))
        return series

    def intervals(self, start: float, end: float, step: float) -> list[Interval]:
        """Every alert state seen between ``start`` and ``end`` (``ALERTS``), with its first and last time."""
        found = []
        for labels, points in self.range("ALERTS", start, end, step):
            if points:
                found.append(
                    Interval(
                        labels.get("alertname", ""), labels.get("alertstate", ""), points[0][0], points[-1][0]
                    )
                )
        return found

    def notifications(self, alert: str | None = None) -> list[dict[str, Any]]:
        params = {"alertname": alert} if alert else {}
        resp = self.http.get(f"{self.receiver}/notifications", params=params, timeout=self.timeout)
        resp.raise_for_status()
        data: list[dict[str, Any]] = resp.json()["data"]
        return data

    def clear_notifications(self) -> None:
        self.http.delete(f"{self.receiver}/notifications", timeout=self.timeout).raise_for_status()

    def reload(self) -> None:
        """``POST /-/reload``: re-read the config and the rule files."""
        self.http.post(f"{self.prometheus}/-/reload", timeout=self.timeout).raise_for_status()
