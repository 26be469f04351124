"""Magic phone numbers: Twilio's test numbers plus a simulator-only range that fixes delivery outcomes.

**Twilio's magic numbers** (twilio.com/docs/iam/test-credentials, "Magic input" for SMS). Twilio honours
them with *test credentials*; the simulator honours them for every account, so the lab's default
(live-like) account can exercise the error paths too:

===================  ======  ==========================================================
From                 code    meaning
===================  ======  ==========================================================
``+15005550006``     --      valid sender (the only valid From for test accounts)
``+15005550001``     21212   invalid 'From' number
``+15005550007``     21606   'From' is not a number you own / not SMS-capable
``+15005550008``     21611   'From' number's SMS queue is full
===================  ======  ==========================================================

===================  ======  ==========================================================
To                   code    meaning
===================  ======  ==========================================================
``+15005550001``     21211   invalid 'To' number
``+15005550002``     21612   Twilio cannot route to this number
``+15005550003``     21408   no international permission for the 'To' region
``+15005550004``     21610   recipient replied STOP (unsubscribed)
``+15005550009``     21614   'To' is not a mobile number
===================  ======  ==========================================================

With test credentials any other From is 21606 ("All others" in Twilio's table).

**Simulator-only delivery outcomes** (not Twilio's; documented in ``docs/simulators/twilio.md``). A
message *to* one of these numbers is accepted (201, ``queued``) and then ends asynchronously with the
listed status and ``error_code``, the number's last three digits naming the 300xx code:

===================  ===========  =====  =====================================
To                   outcome      code   meaning
===================  ===========  =====  =====================================
``+15005553003``     undelivered  30003  unreachable destination handset
``+15005553005``     undelivered  30005  unknown destination handset
``+15005553006``     undelivered  30006  landline or unreachable carrier
``+15005553007``     undelivered  30007  message filtered (carrier violation)
``+15005553008``     failed       30008  unknown error
``+15005553001``     failed       30001  queue overflow
===================  ===========  =====  =====================================

``phonenumbers`` treats the whole ``+1500555xxxx`` range as valid (personal numbers), so a service that
validates numbers before calling Twilio still lets them through. Any other number can be given an outcome
with ``POST /_sim/twilio/numbers``, and one message with ``POST /_sim/twilio/messages/{sid}/outcome``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["delivered", "undelivered", "failed"]

VALID_TEST_FROM = "+15005550006"

# Errors raised synchronously by the create call (HTTP 400), keyed by number.
MAGIC_FROM_ERRORS: dict[str, int] = {
    "+15005550001": 21212,
    "+15005550007": 21606,
    "+15005550008": 21611,
}
MAGIC_TO_ERRORS: dict[str, int] = {
    "+15005550001": 21211,
    "+15005550002": 21612,
    "+15005550003": 21408,
    "+15005550004": 21610,
    "+15005550009": 21614,
}

# Asynchronous delivery errors: error_code -> error_message (Twilio's error dictionary wording,
# twilio.com/docs/api/errors/300xx).
DELIVERY_ERRORS: dict[int, str] = {
    30001: "Queue overflow",
    30002: "Account suspended",
    30003: "Unreachable destination handset",
    30004: "Message blocked",
    30005: "Unknown destination handset",
    30006: "Landline or unreachable carrier",
    30007: "Message filtered",
    30008: "Unknown error",
    30010: "Message price exceeds max price",
}
# The usual final status for each code: carrier-side problems are ``undelivered``, Twilio-side ``failed``.
DEFAULT_OUTCOME_FOR_CODE: dict[int, Outcome] = {
    30001: "failed",
    30002: "failed",
    30003: "undelivered",
    30004: "undelivered",
    30005: "undelivered",
    30006: "undelivered",
    30007: "undelivered",
    30008: "failed",
    30010: "failed",
}
DEFAULT_CODE_FOR_OUTCOME: dict[Outcome, int | None] = {
    "delivered": None,
    "undelivered": 30003,
    "failed": 30008,
}


@dataclass(frozen=True)
class DeliveryPlan:
    """How a message's lifecycle ends: ``delivered``, or ``undelivered``/``failed`` with an error code."""

    outcome: Outcome = "delivered"
    error_code: int | None = None

    @property
    def error_message(self) -> str | None:
        """Twilio's description of ``error_code``."""
        if self.error_code is None:
            return None
        return DELIVERY_ERRORS.get(self.error_code, "Unknown error")

    def to_json(self) -> dict[str, object]:
        """JSON view for the control API."""
        return {"outcome": self.outcome, "error_code": self.error_code, "error_message": self.error_message}


def plan_for(outcome: Outcome, error_code: int | None = None) -> DeliveryPlan:
    """A plan with the default error code for ``outcome`` when none is given (none for delivered)."""
    if outcome == "delivered":
        return DeliveryPlan("delivered", None)
    return DeliveryPlan(outcome, error_code if error_code is not None else DEFAULT_CODE_FOR_OUTCOME[outcome])


MAGIC_OUTCOMES: dict[str, DeliveryPlan] = {
    "+15005553003": DeliveryPlan("undelivered", 30003),
    "+15005553005": DeliveryPlan("undelivered", 30005),
    "+15005553006": DeliveryPlan("undelivered", 30006),
    "+15005553007": DeliveryPlan("undelivered", 30007),
    "+15005553008": DeliveryPlan("failed", 30008),
    "+15005553001": DeliveryPlan("failed", 30001),
}
