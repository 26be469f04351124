"""The simulator's side of moto: what the wrapped moto methods call, and the state moto does not keep.

One :class:`MotoBridge` per AWS simulator. It owns the SNS signing key, the SNS messages
(:class:`~simulators.aws.webhooks.SnsMessages`) and subscription handshakes
(:class:`~simulators.aws.models_sns.SnsSubscriptions`), SES feedback and captured bodies
(:class:`~simulators.aws.models_ses.SesFeedback`), the SMS publishes with their ``MessageAttributes`` (moto
stores only phone and text) and the numbers opted out through the control API. Read it through
``/_sim/aws/...``; ``/_sim/reset`` empties it and resets moto.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulators.aws.models_ses import SesFeedback
from simulators.aws.models_sns import SnsSubscriptions
from simulators.aws.webhooks import SnsMessages
from simulators.aws.webhooks_signing import SnsSigningKey

if TYPE_CHECKING:
    from simulators.kernel.app import SimulatorRuntime

MAX_SMS_RECORDS = 10_000  # the oldest SMS records are dropped beyond this (moto's own list is unbounded)


@dataclass
class SmsRecord:
    """One SMS publish (``sns.publish(PhoneNumber=...)``) as the simulator saw it."""

    message_id: str
    phone_number: str
    message: str
    attributes: dict[str, Any] = field(default_factory=dict)
    opted_out: bool = False
    time: float = 0.0
    account_id: str = ""
    region: str = ""
    access_key: str | None = None

    def attribute(self, name: str) -> str | None:
        """The value of one message attribute."""
        value = self.attributes.get(name)
        return str(value.get("Value")) if isinstance(value, dict) and value.get("Value") is not None else None

    def to_json(self) -> dict[str, Any]:
        """Control-API view."""
        return {
            "message_id": self.message_id,
            "phone_number": self.phone_number,
            "message": self.message,
            "sms_type": self.attribute("AWS.SNS.SMS.SMSType"),
            "sender_id": self.attribute("AWS.SNS.SMS.SenderID"),
            "origination_number": self.attribute("AWS.MM.SMS.OriginationNumber"),
            "message_attributes": self.attributes,
            "status": "opted_out" if self.opted_out else "accepted",
            "opted_out": self.opted_out,
            "time": self.time,
            "account_id": self.account_id,
            "region": self.region,
            "access_key": self.access_key,
        }


class MotoBridge:
    """State and behaviour the simulator adds to moto (see the module docstring)."""

    def __init__(self, runtime: SimulatorRuntime) -> None:
        self.runtime = runtime
        self.key = SnsSigningKey(runtime.ids.stream("sns-cert").randbytes(16).hex(), runtime.clock.datetime())
        self.messages = SnsMessages(runtime, self.key)
        self.sns = SnsSubscriptions(runtime, self.messages)
        self.ses = SesFeedback(runtime)
        self._sms: deque[SmsRecord] = deque(maxlen=MAX_SMS_RECORDS)
        self._opted_out: set[str] = set()
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget SMS records, opt-outs, tokens and captured bodies (moto is reset separately)."""
        with self._lock:
            self._sms.clear()
            self._opted_out.clear()
        self.sns.reset()
        self.ses.reset()

    # -- SMS ---------------------------------------------------------------------------------------------
    def record_sms(
        self,
        backend: Any,
        message_id: str,
        phone_number: str,
        message: str,
        attributes: Mapping[str, Any] | None,
    ) -> SmsRecord:
        """Keep an SMS publish with its attributes. SNS accepts a publish to an opted-out number and
        drops it (``Publish`` has no opted-out error); ``opted_out`` says so."""
        from simulators.aws.patches import current

        ctx = current()
        record = SmsRecord(
            message_id=message_id,
            phone_number=phone_number,
            message=message,
            attributes=dict(attributes or {}),
            opted_out=bool(backend.check_if_phone_number_is_opted_out(phone_number)),
            time=self.runtime.clock.now(),
            account_id=backend.account_id,
            region=backend.region_name,
            access_key=ctx.access_key if ctx is not None else None,
        )
        with self._lock:
            self._sms.append(record)
        return record

    def sms(self) -> list[SmsRecord]:
        """SMS publishes, oldest first."""
        with self._lock:
            return list(self._sms)

    def opt_out(self, number: str) -> None:
        """Treat ``number`` as opted out (``CheckIfPhoneNumberIsOptedOut`` answers true)."""
        with self._lock:
            self._opted_out.add(number)

    def opt_in(self, number: str) -> bool:
        """Undo :meth:`opt_out`; returns whether the number was opted out here."""
        with self._lock:
            found = number in self._opted_out
            self._opted_out.discard(number)
            return found

    def is_opted_out(self, number: str) -> bool:
        """Whether the control API opted ``number`` out."""
        return number in self._opted_out

    def opted_out_numbers(self) -> list[str]:
        """Numbers opted out through the control API."""
        return sorted(self._opted_out)
