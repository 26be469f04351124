"""The Twilio Programmable Messaging simulator (``genai-demo sim twilio``, default port 12113).

Point the official SDK at it with ``client = Client(sid, token); client.api.base_url = url`` and nothing
else changes. It accepts the credentials it is configured with: ``TWILIO_ACCOUNT_SID`` and
``TWILIO_AUTH_TOKEN`` from its environment (``genai-demo up`` passes the service's), else the lab defaults
``AC00000000000000000000000000000000`` / ``genai-demo-twilio-token``; ``TWILIO_TEST_ACCOUNT_SID`` and
``TWILIO_TEST_AUTH_TOKEN`` add a *test credentials* account. More accounts: ``POST /_sim/twilio/accounts``.

Status callbacks are form POSTs signed with ``X-Twilio-Signature`` (the account's AuthToken), sent and
retried by the kernel's dispatcher (``GET /_sim/webhooks/deliveries``). Twilio itself retries a callback
once, and only on a connection failure (its "connection overrides" default ``rc=1``, ``rp=ct``); the
simulator retries any non-2xx answer after 5, 30 and 120 simulated seconds, divided by ``time_scale``, so
a receiver's failure handling can be exercised.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, has_request_context, request

from simulators.kernel import ErrorResponse, SimRequest, SimulatorProvider, WebhookTarget
from simulators.twilio import exceptions as exc
from simulators.twilio import urls
from simulators.twilio.accounts import Account, AccountRegistry
from simulators.twilio.control import build_control_blueprint, control_openapi_paths
from simulators.twilio.models import (
    API_VERSION,
    Message,
    MessageStore,
    TwilioBackend,
)
from simulators.twilio.responses import TwilioResponses
from simulators.twilio.webhooks import CONTENT_TYPE, USER_AGENT, TwilioSigner, raw_dlr_done_date

log = logging.getLogger(__name__)

DEFAULT_ACCOUNT_SID = "AC00000000000000000000000000000000"
DEFAULT_AUTH_TOKEN = "genai-demo-twilio-token"


class TwilioProvider(SimulatorProvider):
    """Twilio's Messages API with accounts, magic numbers, a delivery lifecycle and signed callbacks."""

    name = "twilio"
    description = "Twilio Programmable Messaging (2010-04-01 Messages API)"
    default_port = 12113
    request_id_header = "Twilio-Request-Id"
    retry_schedule = (5.0, 30.0, 120.0)
    webhook_content_type = CONTENT_TYPE

    def setup(self) -> None:
        """Accounts from the environment, the message stores and the model."""
        self.accounts = AccountRegistry()
        sid = self.env.get("TWILIO_ACCOUNT_SID") or DEFAULT_ACCOUNT_SID
        token = self.env.get("TWILIO_AUTH_TOKEN") or DEFAULT_AUTH_TOKEN
        self.accounts.add(Account(sid, token, test=False, friendly_name="lab", configured=True))
        test_sid = self.env.get("TWILIO_TEST_ACCOUNT_SID")
        test_token = self.env.get("TWILIO_TEST_AUTH_TOKEN")
        if test_sid and test_token:
            self.accounts.add(Account(test_sid, test_token, test=True, friendly_name="test", configured=True))
        rt = self.runtime
        self.backend = TwilioBackend(
            clock=rt.clock,
            ids=rt.ids,
            timeline=rt.timeline,
            accounts=self.accounts,
            stores=rt.backends(lambda account: MessageStore()),
            on_status=self._status_callback,
        )
        self.responses = TwilioResponses(self.backend, self.accounts)

    def reset(self) -> None:
        """Forget control-registered accounts, configured numbers and delay settings."""
        self.accounts.reset()
        self.backend.reset()

    # -- kernel hooks ----------------------------------------------------------------------------------
    def account_for(self, request: SimRequest) -> str | None:
        """The AccountSid of HTTP Basic auth (not a secret)."""
        creds = request.basic_auth()
        return creds[0] if creds else None

    def new_request_id(self) -> str:
        """``RQ`` + 32 hex, like Twilio's ``Twilio-Request-Id``."""
        return self.runtime.ids.sid("RQ")

    def error_response(self, status: int) -> ErrorResponse:
        """Twilio's JSON error for a bare status (fault or routing error): 20404, 20429, 20500..."""
        path = request.path if has_request_context() else None
        return exc.for_status(status, path).to_response()

    def signer(self) -> TwilioSigner:
        """``X-Twilio-Signature`` with the account's AuthToken."""
        return TwilioSigner()

    def health(self) -> dict[str, Any]:
        """Account count for ``/_sim/health``."""
        return {"accounts": len(self.accounts.all())}

    # -- HTTP ------------------------------------------------------------------------------------------
    def blueprint(self) -> Blueprint:
        """The Messages API (rules and operation names from ``urls.py``)."""
        bp = Blueprint("twilio", __name__)
        for rule, endpoint, methods in urls.API_ROUTES:
            bp.add_url_rule(
                rule, endpoint=endpoint, view_func=getattr(self.responses, endpoint), methods=list(methods)
            )
        return bp

    def control_blueprint(self) -> Blueprint:
        """``/_sim/twilio/...`` (see :mod:`simulators.twilio.control`)."""
        return build_control_blueprint(self)

    def control_openapi_paths(self) -> dict[str, Any]:
        return control_openapi_paths()

    # -- status callbacks ------------------------------------------------------------------------------
    def callback_params(self, message: Message) -> list[tuple[str, str]]:
        """The StatusCallback form for the message's current status."""
        params = [
            ("SmsSid", message.sid),
            ("SmsStatus", message.status),
            ("MessageStatus", message.status),
            ("To", message.to),
            ("MessageSid", message.sid),
            ("AccountSid", message.account_sid),
            ("From", message.from_ or ""),
            ("ApiVersion", API_VERSION),
        ]
        if message.messaging_service_sid:
            params.append(("MessagingServiceSid", message.messaging_service_sid))
        if message.status in ("failed", "undelivered") and message.error_code is not None:
            params.append(("ErrorCode", str(message.error_code)))
            params.append(("ErrorMessage", message.error_message or ""))
        if message.status in ("delivered", "undelivered") and message.done_at is not None:
            params.append(("RawDlrDoneDate", raw_dlr_done_date(message.done_at)))
        return params

    def _status_callback(self, message: Message, account: Account) -> None:
        """POST the current status to the message's StatusCallback (if it has one)."""
        url = message.status_callback
        if not url:
            return
        status = message.status
        body = urlencode(self.callback_params(message)).encode()
        self.runtime.webhooks.send(
            WebhookTarget(url, secret=account.auth_token, account=account.sid),
            body,
            event_id=f"{message.sid}.{status}",
            event_type=f"message.{status}",
            content_type=CONTENT_TYPE,
            headers={"User-Agent": USER_AGENT, "I-Twilio-Idempotency-Token": self.runtime.ids.uuid4()},
            metadata={"message_sid": message.sid, "status": status},
        )
        log.debug("status callback queued for %s (%s)", message.sid, status)
