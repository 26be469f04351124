"""``/api/v1/notifications``: send a templated email or an SMS, and follow what happened to it.

Try it against a running lab (``genai-demo up``)::

    curl -s localhost:8000/api/v1/notifications/email -H 'Content-Type: application/json' -d '{
      "type": "PASSWORD_RESET", "to": "success@simulator.amazonses.com",
      "variables": {"customerName": "Ada", "resetLink": "https://shop.example/r/abc",
                    "expiryTime": "in 30 minutes"}}'
    curl -s localhost:8000/api/v1/notifications/sms -H 'Content-Type: application/json' \\
      -d '{"phone": "+14155550100", "message": "Your order has shipped"}'
    curl -s localhost:8000/api/v1/notifications/<id>        # status and every delivery report

Operators: ``GET /api/v1/admin/sms/providers`` (order, regions, circuit state), ``POST
/api/v1/admin/sms/providers/reset`` (close every circuit), ``POST /api/v1/admin/notifications/provision``
(wire SES feedback again). These become admin-only once auth exists.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import Blueprint, Response
from pydantic import BaseModel, Field, StringConstraints

from reference_service.bootstrap import Container
from reference_service.bootstrap.notifications import notification_components
from reference_service.domain.notification_commands import SendEmail, SendSms
from reference_service.domain.notifications import NotificationStatus
from reference_service.entrypoints.api.orders import json_response
from reference_service.entrypoints.api.schemas import StrictModel
from reference_service.entrypoints.api.spec import ApiSpec
from reference_service.service_layer.errors import NotFound

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
#: a pragmatic address check (local part without spaces or specials, then a dotted domain)
EMAIL_ADDRESS = rf"^[^@\s<>()\[\],;:\"]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$"


class SendEmailRequest(StrictModel):
    type: Annotated[
        str,
        StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Z][A-Z0-9_]*$"),
        Field(description="The template: ORDER_CONFIRMATION or PASSWORD_RESET", examples=["PASSWORD_RESET"]),
    ]
    to: Annotated[
        str,
        StringConstraints(max_length=254, pattern=EMAIL_ADDRESS),
        Field(description="The recipient's address (personal data: stored encrypted, never logged)"),
    ]
    variables: Annotated[
        dict[str, Any], Field(description="The template's variables; every required one must be given")
    ] = {}


class SendSmsRequest(StrictModel):
    phone: Annotated[
        str,
        StringConstraints(min_length=1, max_length=32),
        Field(description="E.164: +, country code, number (+14155550100)", examples=["+14155550100"]),
    ]
    message: Annotated[
        str,
        StringConstraints(min_length=1, max_length=1600),
        Field(description="The text (at most 1,600 characters)"),
    ]


class StatusChangeOut(BaseModel):
    status: NotificationStatus
    provider_status: str
    error_code: str | None
    source: str
    applied: bool
    at: str


class NotificationOut(BaseModel):
    id: str
    object: Literal["notification"]
    channel: Literal["email", "sms"]
    kind: str
    to: str = Field(description="The recipient, masked")
    status: NotificationStatus
    provider: str | None = Field(description="Who took it: ses, sns or twilio")
    message_id: str | None = Field(description="The provider's id (SES/SNS MessageId, Twilio SID)")
    provider_status: str | None
    error_code: str | None
    tried: list[str] = Field(description="Providers called, in order")
    order_id: str | None
    retry_of: str | None
    history: list[StatusChangeOut]
    created_at: str
    updated_at: str
    region: str | None = Field(None, description="SMS only: the number's ISO 3166 region")


class SmsProviderOut(BaseModel):
    name: str
    position: int
    regions: list[str]
    circuit: dict[str, Any] | None


class SmsProviderListOut(BaseModel):
    object: Literal["list"]
    data: list[SmsProviderOut]


class FeedbackStateOut(BaseModel):
    state: str
    topic_arn: str | None
    endpoint: str | None
    subscription_arn: str | None
    attempts: int
    error: str | None


def _location(body: dict[str, Any]) -> str:
    return f"/api/v1/notifications/{body['id']}"


def build_blueprint(container: Container, spec: ApiSpec) -> Blueprint:
    bp = Blueprint("notifications", __name__, url_prefix="/api/v1")
    tags = ["notifications"]
    comps = notification_components(container)

    @spec.operation(
        bp,
        "/notifications/email",
        "POST",
        operation_id="sendEmail",
        summary="Send a templated email (ORDER_CONFIRMATION, PASSWORD_RESET) through SES",
        tags=tags,
        body=SendEmailRequest,
        responses={201: (NotificationOut, "Accepted by SES: message_id is SES's MessageId")},
    )
    def send_email(body: SendEmailRequest) -> Response:
        result = container.bus.handle(SendEmail(template=body.type, to=body.to, variables=body.variables))
        return json_response(result.body, result.status, {"Location": _location(result.body)})

    @spec.operation(
        bp,
        "/notifications/sms",
        "POST",
        operation_id="sendSms",
        summary="Send an SMS through the first provider that takes it (SNS, then Twilio)",
        tags=tags,
        body=SendSmsRequest,
        responses={
            201: (NotificationOut, "Taken by `provider` (message_id); `tried`: every provider called")
        },
    )
    def send_sms(body: SendSmsRequest) -> Response:
        result = container.bus.handle(SendSms(phone=body.phone, message=body.message))
        return json_response(result.body, result.status, {"Location": _location(result.body)})

    @spec.operation(
        bp,
        "/notifications/<notification_id>",
        "GET",
        operation_id="getNotification",
        summary="A notification's status and every delivery report received for it",
        tags=tags,
        responses={200: (NotificationOut, "The notification")},
    )
    def get_notification(notification_id: str) -> Response:
        with container.read_uow() as uow:
            notification = uow.notifications.get(notification_id)
            if notification is None:
                raise NotFound("notification", notification_id)
            return json_response(notification.to_dict())

    @spec.operation(
        bp,
        "/admin/sms/providers",
        "GET",
        operation_id="listSmsProviders",
        summary="SMS providers in routing order, with their regions and circuit state",
        tags=["admin"],
        responses={200: (SmsProviderListOut, "In the order the router tries them")},
    )
    def sms_providers() -> Response:
        return json_response({"object": "list", "data": comps.router.describe()})

    @spec.operation(
        bp,
        "/admin/sms/providers/reset",
        "POST",
        operation_id="resetSmsCircuits",
        summary="Close every SMS provider's circuit",
        tags=["admin"],
        responses={200: (SmsProviderListOut, "The providers after the reset")},
    )
    def reset_circuits() -> Response:
        comps.router.reset_circuits()
        return json_response({"object": "list", "data": comps.router.describe()})

    @spec.operation(
        bp,
        "/admin/notifications/provision",
        "POST",
        operation_id="provisionEmailFeedback",
        summary="Verify SES_SENDER and subscribe the service to SES feedback (the lab's provisioning)",
        tags=["admin"],
        responses={200: (FeedbackStateOut, "The wiring; the subscription confirms asynchronously")},
    )
    def provision() -> Response:
        return json_response(comps.provisioner.provision())

    return bp
