"""The kernel's control handlers: :class:`KernelControls`, one method per route of
:data:`simulators.kernel.urls.CONTROL_ROUTES` (health, openapi.json, reset, journal, faults, clock,
transitions; the webhook routes come from :class:`~simulators.kernel.control_webhooks.WebhookControls`).
:mod:`simulators.kernel.control_app` mounts them under ``/_sim``; see ``docs/simulators-control-api.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from flask import Response, request
from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from pydantic import BaseModel, ConfigDict, Field

from simulators.kernel.control_app import bool_arg, int_arg, json_response
from simulators.kernel.control_webhooks import WebhookControls
from simulators.kernel.errors import BadRequest, NotFound
from simulators.kernel.faults import FaultRuleSpec
from simulators.kernel.journal import header_pairs, status_matcher
from simulators.kernel.wsgi import SimRequest

if TYPE_CHECKING:
    from simulators.kernel.app import SimulatorRuntime


class ResetSpec(BaseModel):
    """Body of ``POST /_sim/reset`` (optional)."""

    model_config = ConfigDict(extra="forbid")
    seed: int | None = None
    keep_endpoints: bool = True


class ClockSpec(BaseModel):
    """Body of ``POST /_sim/clock``: ``advance`` seconds; ``wait`` until due work has run."""

    model_config = ConfigDict(extra="forbid")
    advance: float = Field(ge=0, le=10 * 365 * 86_400)
    wait: bool = False


class _Families(Collector):
    """A collector that yields metric families computed for one scrape."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        yield from self._families


class KernelControls(WebhookControls):
    """The handlers of the kernel's control routes (:data:`simulators.kernel.urls.CONTROL_ROUTES`), one
    method per operation, bound to one simulator's runtime."""

    def __init__(self, runtime: SimulatorRuntime) -> None:
        self.runtime = runtime
        self.provider = runtime.provider

    def health(self) -> Response:
        rt = self.runtime
        data = {
            "status": "UP",
            "provider": self.provider.name,
            "seed": rt.ids.seed,
            "clock": rt.clock.snapshot(),
            "config": rt.config.model_dump(mode="json"),
            **self.provider.health(),
        }
        return json_response(data)

    def openapi(self) -> Response:
        from simulators.kernel.openapi import control_openapi

        return json_response(control_openapi(self.provider))

    def reset(self, body: ResetSpec) -> Response:
        seed = self.runtime.reset(body.seed, keep_endpoints=body.keep_endpoints)
        return json_response({"status": "reset", "seed": seed, "endpoints_kept": len(self.runtime.endpoints)})

    # -- journal ---------------------------------------------------------------------------------------
    def journal(self) -> Response:
        rt, provider = self.runtime, self.provider
        limit = int_arg("limit", 100, 1, rt.journal.capacity)
        status = request.args.get("status") or None
        if status:
            try:
                status_matcher(status)
            except ValueError:
                raise BadRequest("query parameter 'status' must be like 503, 5xx or reset") from None

        def resolve(entry: Any) -> str | None:
            req = SimRequest.build(
                entry.method, entry.path, entry.query, header_pairs(entry.headers), entry.body
            )
            try:
                return provider.operation_for(req)
            except Exception:
                return None

        data = rt.journal.query(
            method=request.args.get("method") or None,
            path=request.args.get("path") or None,
            status=status,
            account=request.args.get("account") or None,
            operation=request.args.get("operation") or None,
            fault=bool_arg("fault"),
            limit=limit,
            resolve_operation=resolve,
        )
        return json_response({"data": data, "size": len(rt.journal), "capacity": rt.journal.capacity})

    def metrics(self) -> Response:
        """The journal's never-cleared request counts as Prometheus counters (the lab's Prometheus scrapes
        them: ``genai-demo up --observability``)."""
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
        from prometheus_client.core import CounterMetricFamily

        family = CounterMetricFamily(
            "sim_requests",
            "Requests this simulator served, by operation, status and injected fault (empty: none)",
            labels=["provider", "method", "operation", "status", "fault"],
        )
        for (method, operation, status, fault), count in sorted(self.runtime.journal.served().items()):
            family.add_metric([self.provider.name, method, operation, status, fault], count)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Families([family]))
        return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)

    def journal_clear(self) -> Response:
        self.runtime.journal.clear()
        return json_response({"cleared": True})

    # -- faults ----------------------------------------------------------------------------------------
    def fault_create(self, body: FaultRuleSpec) -> Response:
        rule = self.runtime.faults.add(body)
        return json_response(rule.to_json(self.runtime.clock.now()), 201)

    def fault_list(self) -> Response:
        now = self.runtime.clock.now()
        return json_response({"data": [r.to_json(now) for r in self.runtime.faults.rules()]})

    def fault_get(self, rule_id: str) -> Response:
        rule = self.runtime.faults.get(rule_id)
        if rule is None:
            raise NotFound(f"no fault rule {rule_id!r}")
        return json_response(rule.to_json(self.runtime.clock.now()))

    def fault_delete(self, rule_id: str) -> Response:
        if not self.runtime.faults.delete(rule_id):
            raise NotFound(f"no fault rule {rule_id!r}")
        return json_response({"id": rule_id, "deleted": True})

    def fault_clear(self) -> Response:
        return json_response({"deleted": self.runtime.faults.clear()})

    # -- clock -----------------------------------------------------------------------------------------
    def clock_get(self) -> Response:
        return json_response(self.runtime.clock.snapshot())

    def clock_advance(self, body: ClockSpec) -> Response:
        rt = self.runtime
        rt.clock.advance(body.advance)
        data: dict[str, Any] = {**rt.clock.snapshot(), "advanced": body.advance}
        if body.wait:
            idle = rt.timeline.wait_idle(rt.config.clock_wait_max_s) and rt.webhooks.wait_idle(
                rt.config.clock_wait_max_s
            )
            data["idle"] = idle
        return json_response(data)

    def transitions(self) -> Response:
        return json_response({"data": [i.to_json() for i in self.runtime.timeline.pending()]})
