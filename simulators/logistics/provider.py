"""The EasyPost-compatible carrier simulator (``genai-demo sim logistics``, default port 12114).

Point the official SDK at it with ``EasyPostClient(key, api_base="http://127.0.0.1:12114/v2")`` and nothing
else changes. It accepts any EasyPost-shaped key (``EZTK…`` test, ``EZAK…`` production; one account per key,
:mod:`simulators.logistics.auth`). Addresses verify against the magic rules of
:mod:`simulators.logistics.magic`; shipments get a rate per carrier service (USPS, UPS, FedEx) priced from
weight, size and zone (:mod:`simulators.logistics.models_rates`); a bought label's tracker moves on the
simulated clock and each change is a ``tracker.updated`` Event POSTed to the account's webhooks, signed with
``X-Hmac-Signature`` and retried by the kernel's dispatcher on
:data:`~simulators.logistics.webhooks.RETRY_SCHEDULE`.
The paths and the ``/_sim/logistics`` control routes are the tables of :mod:`simulators.logistics.urls`.
``LOGISTICS_SIM_MAX_OBJECTS`` (default 10,000) caps each kind of object (addresses, shipments, trackers,
events) per account: past it the oldest are forgotten.
"""

from __future__ import annotations

from typing import Any

from simulators.kernel import ErrorResponse, SimRequest, SimulatorProvider
from simulators.kernel.config import env_cap
from simulators.logistics import exceptions as exc
from simulators.logistics import resources, urls
from simulators.logistics.auth import account_label, key_of
from simulators.logistics.control import LogisticsControls
from simulators.logistics.models import Book, LogisticsBackend, Tracker
from simulators.logistics.models_store import MAX_OBJECTS
from simulators.logistics.responses import Links, LogisticsResponses
from simulators.logistics.webhooks import RETRY_SCHEDULE, EasyPostSigner, LogisticsWebhooks


class LogisticsProvider(SimulatorProvider):
    """EasyPost's addresses, shipments, labels, refunds, trackers, webhooks and events."""

    name = "logistics"
    description = (
        "EasyPost API v2: addresses, shipments and rates, labels, refunds, trackers, signed webhooks"
    )
    default_port = 12114
    request_id_header = "X-Ep-Request-Uuid"
    retry_schedule = RETRY_SCHEDULE
    api_routes = urls.API_ROUTES
    control_routes = urls.CONTROL_ROUTES

    def setup(self) -> None:
        """The account books, the model, the webhooks and the handlers (never at import time)."""
        rt = self.runtime
        self.max_objects = env_cap(self.env, "LOGISTICS_SIM_MAX_OBJECTS", MAX_OBJECTS)
        self.links = Links()
        self.backend = LogisticsBackend(
            clock=rt.clock,
            ids=rt.ids,
            timeline=rt.timeline,
            books=rt.backends(lambda account: Book(self.max_objects)),
            on_tracker=self._tracker_changed,
        )
        self.webhooks = LogisticsWebhooks(rt, self.backend)
        self.responses = LogisticsResponses(self.backend, self.webhooks, self.links)

    def _tracker_changed(
        self, account: str, tracker: Tracker, previous: dict[str, Any], description: str
    ) -> None:
        """A tracker moved on the timeline (or by a control): send ``tracker.updated``."""
        self.webhooks.emit(
            account, tracker.mode, description, resources.tracker(tracker, self.links.base), previous
        )

    def reset(self) -> None:
        """Default lifecycle delays (objects live in the account books, emptied by the kernel)."""
        self.backend.reset()

    # -- kernel hooks ----------------------------------------------------------------------------------
    def account_for(self, request: SimRequest) -> str | None:
        """The key's account label (``acct_`` + a hash: not the key)."""
        key = key_of(request)
        return account_label(key) if key else None

    def new_request_id(self) -> str:
        """32 hex, like EasyPost's ``X-Ep-Request-Uuid``."""
        return self.runtime.ids.hex(32)

    def error_for(self, status: int, request: SimRequest | None) -> ErrorResponse:
        """EasyPost's error body for a bare status (fault, unknown URL or method, crash)."""
        return exc.for_status(status).to_response()

    def signer(self) -> EasyPostSigner:
        """``X-Hmac-Signature`` with each webhook's ``webhook_secret``."""
        return EasyPostSigner()

    def new_endpoint_id(self) -> str:
        """``hook_`` + 32 hex (endpoints registered through ``/_sim/webhooks/endpoints`` too)."""
        return f"hook_{self.runtime.ids.hex(32)}"

    def new_webhook_secret(self) -> str | None:
        """A secret for an endpoint registered through the control API."""
        return self.runtime.ids.base62(32)

    def health(self) -> dict[str, Any]:
        """Accounts holding state and the per-kind cap, for ``/_sim/health``."""
        return {"accounts": len(self.backend.books), "max_objects_per_kind": self.max_objects}

    # -- HTTP ------------------------------------------------------------------------------------------
    def api_handlers(self) -> LogisticsResponses:
        """The handlers of ``urls.API_ROUTES``."""
        return self.responses

    def control_handlers(self) -> LogisticsControls:
        """``/_sim/logistics/...`` (see :mod:`simulators.logistics.control`)."""
        return LogisticsControls(self)
