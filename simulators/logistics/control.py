"""The EasyPost simulator's control handlers, mounted by the kernel under ``/_sim/logistics`` from
``urls.CONTROL_ROUTES`` (never faulted or journaled; bodies are the models of ``validation.py``).

=========================================  ==========================================================
``GET /trackers``                          every tracker of every account (``status``, ``limit``)
``GET /trackers/{id}``                     one tracker, with its account and planned outcome
``POST /trackers/{id}/advance``            ``{"steps": 1}``: take the next step(s) now (webhooks too)
``POST /trackers/{id}/outcome``            ``{"outcome": "delivered"|"return_to_sender"|"failure",
                                           "now": false}``: how the journey ends; ``now`` runs it
``GET/POST /settings``                     ``{"delays": {"in_transit", "out_for_delivery", "final",
                                           "refund"}}`` in simulated seconds (partial updates merge)
=========================================  ==========================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Response, request
from pydantic import ValidationError

from simulators.kernel.control_app import json_response
from simulators.kernel.errors import BadRequest, Conflict, NotFound
from simulators.logistics import resources
from simulators.logistics.models import LifecycleDelays, Tracker
from simulators.logistics.validation import AdvanceSpec, OutcomeSpec, SettingsSpec

if TYPE_CHECKING:
    from simulators.logistics.provider import LogisticsProvider


def control_tracker(account: str, tracker: Tracker) -> dict[str, Any]:
    """The API resource plus what the simulator knows about the tracker."""
    return {**resources.tracker(tracker), "sim": {"account": account, "outcome": tracker.outcome}}


class LogisticsControls:
    """One method per route of ``urls.CONTROL_ROUTES``, bound to a provider."""

    def __init__(self, provider: LogisticsProvider) -> None:
        self.backend = provider.backend

    def _find(self, tracker_id: str) -> tuple[str, Tracker]:
        found = self.backend.find_tracker(tracker_id)
        if found is None:
            raise NotFound(f"no tracker {tracker_id!r}")
        return found

    def list_all_trackers(self) -> Response:
        status = request.args.get("status")
        try:
            limit = int(request.args.get("limit", "100"))
        except ValueError:
            raise BadRequest("query parameter 'limit' must be an integer") from None
        found: list[tuple[str, Tracker]] = []
        for account, book in self.backend.books.items():
            with book.lock:
                found.extend((str(account), t) for t in book.trackers.values())
        found.sort(key=lambda pair: pair[1].created_at, reverse=True)
        data = [control_tracker(a, t) for a, t in found if status is None or t.status == status]
        return json_response({"data": data[: max(1, limit)]})

    def get_any_tracker(self, tracker_id: str) -> Response:
        return json_response(control_tracker(*self._find(tracker_id)))

    def advance_tracker(self, tracker_id: str, body: AdvanceSpec) -> Response:
        account, tracker = self._find(tracker_id)
        if self.backend.run_now(account, tracker_id, body.steps) == 0:
            raise Conflict(f"tracker {tracker_id} is {tracker.status}: it has no next status")
        return json_response(control_tracker(*self._find(tracker_id)))

    def set_tracker_outcome(self, tracker_id: str, body: OutcomeSpec) -> Response:
        account, tracker = self._find(tracker_id)
        if tracker.final:
            raise Conflict(f"tracker {tracker_id} is already {tracker.status}")
        self.backend.set_outcome(account, tracker_id, body.outcome)
        if body.now:
            self.backend.run_now(account, tracker_id, 10)
        return json_response(control_tracker(*self._find(tracker_id)))

    def get_settings(self) -> Response:
        return json_response({"delays": self.backend.delays.model_dump()})

    def update_settings(self, body: SettingsSpec) -> Response:
        try:
            self.backend.delays = LifecycleDelays(**{**self.backend.delays.model_dump(), **body.delays})
        except ValidationError as err:
            raise BadRequest(f"invalid delays: {err.errors(include_url=False)}") from None
        return json_response({"delays": self.backend.delays.model_dump()})
