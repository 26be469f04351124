"""The AWS simulator's own control routes, mounted under ``/_sim/aws`` (never faulted or journaled).

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

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flask import Blueprint, Response, request
from pydantic import BaseModel, ConfigDict, Field

from simulators.aws import urls
from simulators.kernel.control_app import json_response, parse_body
from simulators.kernel.errors import BadRequest, NotFound

if TYPE_CHECKING:
    from simulators.aws.bridge import MotoBridge


class OptOutSpec(BaseModel):
    """Body of ``POST /_sim/aws/sms/opt-out``."""

    model_config = ConfigDict(extra="forbid")
    number: str = Field(pattern=r"^\+?[1-9]\d{1,14}$")


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
                    topic = quote(sub.topic.arn, safe="")
                    subscribe_url = f"{base_url}/?Action=ConfirmSubscription&TopicArn={topic}&Token={token}"
                out.append(
                    {
                        "subscription_arn": sub.arn,
                        "topic_arn": sub.topic.arn,
                        "protocol": sub.protocol,
                        "endpoint": sub.endpoint,
                        "pending": pending,
                        "raw_message_delivery": sub.attributes.get("RawMessageDelivery") in (True, "true"),
                        "signature_version": bridge.sns.signature_version(sub.topic),
                        "subscribe_url": subscribe_url,
                        "account_id": account_id,
                        "region": region,
                    }
                )
    return out


def build_control_blueprint(bridge: MotoBridge, public_url: Callable[[], str]) -> Blueprint:
    """The routes of the module docstring; ``public_url()`` is the simulator's base URL."""
    bp = Blueprint("aws_control", __name__)

    def sent_emails() -> Response:
        source = request.args.get("source")
        to = request.args.get("to")
        data = [
            m
            for m in bridge.ses.sent_emails()
            if (source is None or source in str(m["source"] or ""))
            and (to is None or any(to.lower() in r.lower() for r in m["recipients"]))
        ]
        return json_response({"data": data[-_limit() :]})

    def sms_messages() -> Response:
        number = request.args.get("phone_number")
        data = [r.to_json() for r in bridge.sms() if number is None or r.phone_number == number]
        return json_response({"data": data[-_limit() :]})

    def opt_out() -> Response:
        spec = parse_body(OptOutSpec)
        bridge.opt_out(spec.number)
        return json_response({"number": spec.number, "opted_out": True}, 201)

    def opted_out() -> Response:
        return json_response({"data": bridge.opted_out_numbers()})

    def opt_in(number: str) -> Response:
        if not bridge.opt_in(number):
            raise NotFound(f"{number!r} was not opted out through the control API")
        return json_response({"number": number, "opted_out": False})

    def subscriptions() -> Response:
        return json_response({"data": http_subscriptions(bridge, public_url())})

    def certificate() -> Response:
        key = bridge.key
        return json_response(
            {"file_name": key.file_name, "url": f"{public_url()}/{key.file_name}", "pem": key.pem.decode()}
        )

    views: dict[str, Callable[..., Response]] = {
        "sent_emails": sent_emails,
        "sms_messages": sms_messages,
        "opt_out": opt_out,
        "opted_out": opted_out,
        "opt_in": opt_in,
        "subscriptions": subscriptions,
        "certificate": certificate,
    }
    for rule, endpoint, methods in urls.CONTROL_ROUTES:
        bp.add_url_rule(rule, endpoint=endpoint, view_func=views[endpoint], methods=list(methods))
    return bp


def control_openapi_paths() -> dict[str, Any]:
    """OpenAPI path items of the routes above."""

    def op(summary: str, status: str = "200") -> dict[str, Any]:
        return {"summary": summary, "responses": {status: {"description": "OK"}}}

    p = urls.CONTROL_PREFIX
    opt_out = op("Opt a phone number out", "201")
    opt_out["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": OptOutSpec.model_json_schema()}},
    }
    number = [{"name": "number", "in": "path", "required": True, "schema": {"type": "string"}}]
    return {
        f"{p}/sent-emails": {
            "get": op("SES messages with text/html bodies and feedback (source, to, limit)")
        },
        f"{p}/sms": {"get": op("SNS SMS publishes with message attributes (phone_number, limit)")},
        f"{p}/sms/opt-out": {"post": opt_out},
        f"{p}/sms/opt-outs": {"get": op("Numbers opted out through the control API")},
        f"{p}/sms/opt-out/{{number}}": {"parameters": number, "delete": op("Opt a number back in")},
        f"{p}/sns/subscriptions": {"get": op("HTTP/S subscriptions, pending state and SubscribeURL")},
        f"{p}/sns/certificate": {"get": op("The SNS signing certificate (PEM)")},
    }
