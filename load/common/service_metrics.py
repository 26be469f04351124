"""What the service itself counted during a load run: its ``/metrics`` read before and after, and the
difference of the counters that say how retries and signature checks behaved.

- retries per provider call: ``external_api_calls_total{provider,operation,result}`` (each logical call
  once: ``first_try``, ``retried`` = retried then succeeded, ``exhausted`` = retried until the policy gave
  up, ``failed`` = not retryable) against ``external_api_requests_total`` (every attempt);
- webhooks: ``webhook_events_total{provider,event_type,outcome}``, of which ``rejected`` are the
  deliveries whose signature (or body) the service refused.

``/metrics`` is open in the lab (``METRICS_PUBLIC``); elsewhere pass a token in ``headers``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from prometheus_client.parser import text_string_to_metric_families

Counters = dict[tuple[str, tuple[tuple[str, str], ...]], float]
WATCHED = ("external_api_calls_total", "external_api_requests_total", "webhook_events_total")


def read_counters(
    base_url: str, headers: Mapping[str, str] | None = None, timeout: float = 5.0
) -> Counters | None:
    """The watched counters of the service at ``base_url`` now; None when /metrics does not answer."""
    try:
        resp = requests.get(base_url.rstrip("/") + "/metrics", headers=dict(headers or {}), timeout=timeout)
        resp.raise_for_status()
    except requests.RequestException:
        return None
    found: Counters = {}
    for family in text_string_to_metric_families(resp.text):
        for sample in family.samples:
            if sample.name in WATCHED:
                found[(sample.name, tuple(sorted(sample.labels.items())))] = float(sample.value)
    return found


@dataclass(frozen=True)
class ProviderCalls:
    """One provider operation during the run."""

    provider: str
    operation: str
    calls: int
    first_try: int
    retried: int
    exhausted: int
    failed: int
    attempts: int

    @property
    def retries_per_call(self) -> float:
        return (self.attempts - self.calls) / self.calls if self.calls else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "operation": self.operation,
            "calls": self.calls,
            "first_try": self.first_try,
            "retried_then_succeeded": self.retried,
            "retried_until_exhausted": self.exhausted,
            "failed_not_retried": self.failed,
            "attempts": self.attempts,
            "retries_per_call": round(self.retries_per_call, 4),
        }


def _delta(before: Counters, after: Counters) -> Counters:
    return {key: value - before.get(key, 0.0) for key, value in after.items() if value - before.get(key, 0.0)}


def provider_calls(before: Counters, after: Counters) -> list[ProviderCalls]:
    """Per provider operation: logical calls by result and attempts, during the run."""
    delta = _delta(before, after)
    results: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (name, labels), value in delta.items():
        label = dict(labels)
        key = (label.get("provider", ""), label.get("operation", ""))
        if name == "external_api_calls_total":
            results[key][label.get("result", "")] += value
        elif name == "external_api_requests_total":
            results[key]["attempts"] += value
    rows = []
    for (provider, operation), r in sorted(results.items()):
        calls = r["first_try"] + r["retried"] + r["exhausted"] + r["failed"]
        if calls:
            rows.append(
                ProviderCalls(
                    provider,
                    operation,
                    int(calls),
                    int(r["first_try"]),
                    int(r["retried"]),
                    int(r["exhausted"]),
                    int(r["failed"]),
                    int(r["attempts"]),
                )  # fmt: skip
            )
    return rows


def webhooks_rejected(before: Counters, after: Counters, provider: str) -> int:
    """Deliveries from ``provider`` the service rejected during the run."""
    return int(
        sum(
            value
            for (name, labels), value in _delta(before, after).items()
            if name == "webhook_events_total"
            and dict(labels).get("provider") == provider
            and dict(labels).get("outcome") == "rejected"
        )
    )


def calls_table(rows: list[ProviderCalls]) -> str:
    lines = [
        "  provider call                      calls  first try  retried→ok  exhausted  failed  retries/call"
    ]
    for r in rows:
        name = f"{r.provider} {r.operation}"[:33]
        lines.append(
            f"  {name:<33} {r.calls:>6} {r.first_try:>10} {r.retried:>11} {r.exhausted:>10} {r.failed:>7}"
            f" {r.retries_per_call:>13.3f}"
        )
    return "\n".join(lines)
