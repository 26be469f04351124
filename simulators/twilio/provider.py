"""The Twilio Programmable Messaging simulator (``genai-demo sim twilio``, default port 12113).

Point the official SDK at it with ``client = Client(sid, token); client.api.base_url = url`` and nothing
else changes. It accepts the credentials it is configured with: ``TWILIO_ACCOUNT_SID`` and
``TWILIO_AUTH_TOKEN`` from its environment (``genai-demo up`` passes the service's), else the lab defaults
``AC00000000000000000000000000000000`` / ``genai-demo-twilio-token``; ``TWILIO_TEST_ACCOUNT_SID`` and
``TWILIO_TEST_AUTH_TOKEN`` add a *test credentials* account. More accounts: ``POST /_sim/twilio/accounts``.
``TWILIO_SIM_MAX_MESSAGES`` (default 50,000) caps the messages kept per account: past it the oldest finished
ones are forgotten.

Status callbacks are form POSTs signed with ``X-Twilio-Signature`` (the account's AuthToken), sent by
:class:`~simulators.twilio.webhooks.StatusCallbacks` and retried by the kernel's dispatcher on
:data:`~simulators.twilio.webhooks.RETRY_SCHEDULE` (``GET /_sim/webhooks/deliveries``). The API's paths and
the ``/_sim/twilio`` control routes are the tables of :mod:`simulators.twilio.urls`.
"""

from __future__ import annotations

import logging
from typing import Any

from simulators.kernel import ErrorResponse, SimRequest, SimulatorProvider
from simulators.kernel.config import env_cap
from simulators.twilio import exceptions as exc
from simulators.twilio import urls
from simulators.twilio.auth import Account, AccountRegistry
from simulators.twilio.control import TwilioControls
from simulators.twilio.models import MAX_MESSAGES_PER_ACCOUNT, MessageStore, TwilioBackend
from simulators.twilio.responses import TwilioResponses
from simulators.twilio.webhooks import CONTENT_TYPE, RETRY_SCHEDULE, StatusCallbacks, TwilioSigner

log = logging.getLogger(__name__)

DEFAULT_ACCOUNT_SID = "AC00000000000000000000000000000000"
DEFAULT_AUTH_TOKEN = "genai-demo-twilio-token"


class TwilioProvider(SimulatorProvider):
    """Twilio's Messages API with accounts, magic numbers, a delivery lifecycle and signed callbacks."""

    name = "twilio"
    description = "Twilio Programmable Messaging (2010-04-01 Messages API)"
    default_port = 12113
    request_id_header = "Twilio-Request-Id"
    retry_schedule = RETRY_SCHEDULE
    webhook_content_type = CONTENT_TYPE
    api_routes = urls.API_ROUTES
    control_routes = urls.CONTROL_ROUTES

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
        self.max_messages = env_cap(self.env, "TWILIO_SIM_MAX_MESSAGES", MAX_MESSAGES_PER_ACCOUNT)
        rt = self.runtime
        self.callbacks = StatusCallbacks(rt)
        self.backend = TwilioBackend(
            clock=rt.clock,
            ids=rt.ids,
            timeline=rt.timeline,
            accounts=self.accounts,
            stores=rt.backends(lambda account: MessageStore(self.max_messages)),
            on_status=self.callbacks.send,
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

    def error_for(self, status: int, request: SimRequest | None) -> ErrorResponse:
        """Twilio's JSON error for a bare status (fault or routing error): 20404, 20429, 20500..."""
        return exc.for_status(status, request.path if request is not None else None).to_response()

    def signer(self) -> TwilioSigner:
        """``X-Twilio-Signature`` with the account's AuthToken."""
        return TwilioSigner()

    def health(self) -> dict[str, Any]:
        """Account count and the per-account message cap for ``/_sim/health``."""
        return {"accounts": len(self.accounts.all()), "max_messages_per_account": self.max_messages}

    # -- HTTP ------------------------------------------------------------------------------------------
    def api_handlers(self) -> TwilioResponses:
        """The handlers of ``urls.API_ROUTES`` (named after Twilio's operationIds)."""
        return self.responses

    def control_handlers(self) -> TwilioControls:
        """``/_sim/twilio/...`` (see :mod:`simulators.twilio.control`)."""
        return TwilioControls(self)
