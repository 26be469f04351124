"""The AWS simulator's control handlers, mounted by the kernel under ``/_sim/aws`` from
``urls.CONTROL_ROUTES`` (never faulted or journaled).

==================================  =====================================================================
``GET /sent-emails``                every SES message moto holds (all accounts/regions), oldest first:
                                    ``id``, ``source``, ``destinations``, ``recipients``, ``subject``,
                                    ``text``, ``html`` (from the request; moto keeps one body), ``raw``,
                                    ``template``, ``feedback`` (notifications published). Filters:
                                    ``source``, ``to`` (a recipient), ``limit``
``GET /sms``                        SNS SMS publishes with ``message_attributes``, ``sms_type``,
                                    ``sender_id`` and ``status`` (``accepted``/``opted_out``);
                                    filter ``phone_number``
``POST /sms/opt-out``               ``{"number": "+1..."}``: the number is opted out
                                    (``CheckIfPhoneNumberIsOptedOut`` is true; publishes are dropped)
``GET /sms/opt-outs``               numbers opted out here (moto also treats numbers ending in 99 so)
``DELETE /sms/opt-out/{number}``    opt the number back in
``GET /sns/subscriptions``          http/https subscriptions with ``pending`` and, while pending, the
                                    ``subscribe_url`` (handy without a receiver)
``GET /sns/certificate``            ``{"file_name", "pem"}`` of the signing certificate
==================================  =====================================================================

SNS deliveries (confirmations, notifications) are kernel webhook deliveries:
``GET /_sim/webhooks/deliveries?event_type=Notification``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Response, request

from simulators.aws import urls
from simulators.aws.validation import OptOutSpec
from simulators.aws.webhooks import signature_version
from simulators.kernel.control_app import json_response
from simulators.kernel.errors import BadRequest, NotFound

if TYPE_CHECKING:
    from simulators.aws.models import MotoBridge


def _limit() -> int:
    try:
        return max(1, min(10_000, int(request.args.get("limit", "1000"))))
    except ValueError:
        raise BadRequest("query parameter 'limit' must be an integer") from None


def http_subscriptions(bridge: MotoBridge, base_url: str) -> list[dict[str, Any]]:
    """Every http/https subscription in moto, with its confirmation state."""
    from moto.sns.models import sns_backends

    tokens = {t.subscription_arn: t.token for t in bridge.sns.tokens() if t.subscription_arn}
    out: list[dict[str, Any]] = []
    for account_id, regions in list(sns_backends.items()):
        for region, backend in list(regions.items()):
            for sub in list(backend.subscriptions.values()):
                if sub.protocol not in ("http", "https"):
                    continue
                pending = sub.attributes.get("PendingConfirmation") is True
                token = tokens.get(sub.arn)
                subscribe_url = None
                if pending and token:
                    subscribe_url = urls.subscribe_url(base_url, sub.topic.arn, token)
                out.append(
                    {
                        "subscription_arn": sub.arn,
                        "topic_arn": sub.topic.arn,
                        "protocol": sub.protocol,
                        "endpoint": sub.endpoint,
                        "pending": pending,
                        "raw_message_delivery": sub.attributes.get("RawMessageDelivery") in (True, "true"),
                        "signature_version": signature_version(sub.topic),
                        "subscribe_url": subscribe_url,
                        "account_id": account_id,
                        "region": region,
                    }
                )
    return out


class AwsControls:
    """One method per route of ``urls.CONTROL_ROUTES``. ``public_url`` is ``AWS_SIM_PUBLIC_URL``, else the
    address the control request reached (what receivers use to reach the simulator)."""

    def __init__(self, bridge: MotoBridge, public_url: str | None) -> None:
        self.bridge = bridge
        self.public_url = public_url.rstrip("/") if public_url else None

    def _base_url(self) -> str:
        return self.public_url or request.host_url.rstrip("/")

    def sent_emails(self) -> Response:
        source = request.args.get("source")
        to = request.args.get("to")
        data = [
            m
            for m in self.bridge.ses.sent_emails()
            if (source is None or source in str(m["source"] or ""))
            and (to is None or any(to.lower() in r.lower() for r in m["recipients"]))
        ]
        return json_response({"data": data[-_limit() :]})

    def sms_messages(self) -> Response:
        number = request.args.get("phone_number")
        data = [r.to_json() for r in self.bridge.sms() if number is None or r.phone_number == number]
        return json_response({"data": data[-_limit() :]})

    def opt_out(self, body: OptOutSpec) -> Response:
        self.bridge.opt_out(body.number)
        return json_response({"number": body.number, "opted_out": True}, 201)

    def opted_out(self) -> Response:
        return json_response({"data": self.bridge.opted_out_numbers()})

    def opt_in(self, number: str) -> Response:
        if not self.bridge.opt_in(number):
            raise NotFound(f"{number!r} was not opted out through the control API")
        return json_response({"number": number, "opted_out": False})

    def subscriptions(self) -> Response:
        return json_response({"data": http_subscriptions(self.bridge, self._base_url())})

    def certificate(self) -> Response:
        key = self.bridge.key
        return json_response(
            {
                "file_name": key.file_name,
                "url": urls.certificate_url(self._base_url(), key.file_name),
                "pem": key.pem.decode(),
            }
        )
