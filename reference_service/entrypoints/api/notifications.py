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
(wire SES feedback again). Sending needs ``notifications:send`` (support, service, admin); the operator
routes need admin (support may read the providers).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from flask import Blueprint, Response
from pydantic import BaseModel, Field, RootModel, StringConstraints, ValidationError

from reference_service.adapters.email_templates import (
    CATALOGUE,
    DeliveryUpdateVariables,
    OrderConfirmationVariables,
    PasswordResetVariables,
    variables_invalid,
)
from reference_service.adapters.sms_router import normalize
from reference_service.bootstrap import Container
from reference_service.domain.access import Permission
from reference_service.domain.notification_commands import SendEmail, SendSms
from reference_service.domain.notifications import Notification, NotificationStatus, StatusChange
from reference_service.entrypoints.access import requires
from reference_service.entrypoints.api.responses import answer, render
from reference_service.entrypoints.api.schemas import StrictModel, Timestamp
from reference_service.entrypoints.api.spec import ApiSpec, BodyProblem, validation_problem
from reference_service.json_types import WHITESPACE
from reference_service.observability.notification_metrics import NotificationMetrics
from reference_service.service_layer.errors import NotFound
from reference_service.service_layer.notification_errors import InvalidPhoneNumber, UnknownEmailTemplate
from reference_service.service_layer.outcomes import SentSms

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
#: a pragmatic address check (local part without whitespace or specials, then a dotted domain)
EMAIL_ADDRESS = rf"^[^@{WHITESPACE}\x00<>()\[\],;:\"]{{1,64}}@{_LABEL}(?:\.{_LABEL})+$"
#: what a template name looks like; an unknown one of this shape is an ``unknown-email-template``
TEMPLATE_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
#: E.164 as written: +, a country code not starting with 0, at most 15 digits in all
E164 = r"^\+[1-9][0-9]{1,14}$"

Recipient = Annotated[
    str,
    StringConstraints(max_length=254, pattern=EMAIL_ADDRESS),
    Field(description="The recipient's address (personal data: stored encrypted, never logged)"),
]


class OrderConfirmationEmail(StrictModel):
    type: Literal["ORDER_CONFIRMATION"]
    to: Recipient
    variables: OrderConfirmationVariables


class PasswordResetEmail(StrictModel):
    type: Literal["PASSWORD_RESET"]
    to: Recipient
    variables: PasswordResetVariables


class DeliveryUpdateEmail(StrictModel):
    type: Literal["DELIVERY_UPDATE"]
    to: Recipient
    variables: DeliveryUpdateVariables


#: one request shape per template of ``adapters/email_templates.CATALOGUE`` (a test keeps them equal)
EMAIL_REQUESTS: tuple[type[StrictModel], ...] = (
    OrderConfirmationEmail,
    PasswordResetEmail,
    DeliveryUpdateEmail,
)


class SendEmailRequest(
    RootModel[
        Annotated[
            OrderConfirmationEmail | PasswordResetEmail | DeliveryUpdateEmail, Field(discriminator="type")
        ]
    ]
):
    """Body of ``POST /api/v1/notifications/email``: ``type`` names the template and decides which
    ``variables`` it needs (every one declared in the schema)."""


class SendSmsRequest(StrictModel):
    phone: Annotated[
        str,
        StringConstraints(pattern=E164),
        Field(
            description="E.164: +, country code, number (+14155550100). It must also be a number of its "
            "country's numbering plan (libphonenumber), else the answer is a 422 invalid-phone-number",
            examples=["+14155550100"],
        ),
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
    at: Timestamp

    @classmethod
    def from_domain(cls, change: StatusChange) -> StatusChangeOut:
        return cls(
            status=change.status,
            provider_status=change.provider_status,
            error_code=change.error_code,
            source=change.source,
            applied=change.applied,
            at=change.at,
        )


class NotificationOut(BaseModel):
    id: str
    object: Literal["notification"] = "notification"
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
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def fields_of(cls, notification: Notification) -> dict[str, Any]:
        return {
            "id": notification.id,
            "channel": notification.channel.value,
            "kind": notification.kind,
            "to": notification.masked_recipient(),
            "status": notification.status,
            "provider": notification.provider,
            "message_id": notification.provider_message_id,
            "provider_status": notification.provider_status,
            "error_code": notification.error_code,
            "tried": list(notification.tried),
            "order_id": notification.order_id,
            "retry_of": notification.retry_of,
            "history": [StatusChangeOut.from_domain(change) for change in notification.history],
            "created_at": notification.created_at,
            "updated_at": notification.updated_at,
        }

    @classmethod
    def from_domain(cls, notification: Notification) -> NotificationOut:
        return cls(**cls.fields_of(notification))


class SentSmsOut(NotificationOut):
    """201 of ``POST /api/v1/notifications/sms``: the notification and the number's region."""

    region: str = Field(description="The number's ISO 3166 region")

    @classmethod
    def from_sent(cls, sent: SentSms) -> SentSmsOut:
        return cls(**cls.fields_of(sent.notification), region=sent.region)


class SmsProviderOut(BaseModel):
    name: str
    position: int
    regions: list[str]
    circuit: dict[str, Any] | None


class SmsProviderListOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[SmsProviderOut]


class FeedbackStateOut(BaseModel):
    state: str
    topic_arn: str | None
    endpoint: str | None
    subscription_arn: str | None
    attempts: int
    error: str | None


def _location(notification_id: str) -> dict[str, str]:
    return {"Location": f"/api/v1/notifications/{notification_id}"}


def email_problem(metrics: NotificationMetrics) -> BodyProblem:
    """How a refused email request is reported: an unknown template as ``unknown-email-template``, bad
    ``variables`` (and nothing else) as ``email-variables-invalid`` naming each, the rest as a 422
    ``validation-error``. The first two count in ``email_send_total{outcome="invalid"}``."""

    def problem(exc: ValidationError, data: dict[str, Any]) -> Exception:
        template = data.get("type")
        errors = exc.errors(include_url=False)
        if isinstance(template, str) and template not in CATALOGUE and TEMPLATE_NAME.match(template):
            metrics.email_send.labels("unknown", "invalid").inc()
            return UnknownEmailTemplate(template, sorted(CATALOGUE))
        if isinstance(template, str) and template in CATALOGUE:
            inner = [error["loc"][1:] for error in errors]
            given = data.get("variables", {})
            if isinstance(given, dict) and all(loc[:1] == ("variables",) for loc in inner):
                located: list[Mapping[str, Any]] = [{**error, "loc": error["loc"][2:]} for error in errors]
                if inner == [("variables",)]:  # no variables at all: each required one is missing
                    located = [
                        {"loc": (name,), "type": "missing", "msg": ""}
                        for name in CATALOGUE[template].required
                    ]
                metrics.email_send.labels(template, "invalid").inc()
                return variables_invalid(template, located, given)
        return validation_problem(exc, "request body", data, "type")

    return problem


def sms_problem(exc: ValidationError, data: dict[str, Any]) -> Exception:
    """A number that is not E.164 is an ``invalid-phone-number`` (saying why); the rest a 422."""
    errors = exc.errors(include_url=False)
    phone = data.get("phone")
    if isinstance(phone, str) and all(error["loc"] == ("phone",) for error in errors):
        normalize(phone)  # raises InvalidPhoneNumber with the reason
        return InvalidPhoneNumber("write it in E.164: +, the country code and the number, nothing else")
    return validation_problem(exc, "request body", data)


def build_blueprint(container: Container, spec: ApiSpec) -> Blueprint:
    bp = Blueprint("notifications", __name__, url_prefix="/api/v1")
    tags = ["notifications"]
    area = container.notifications

    @spec.operation(
        bp,
        "/notifications/email",
        "POST",
        operation_id="sendEmail",
        summary="Send a templated email (ORDER_CONFIRMATION, PASSWORD_RESET, DELIVERY_UPDATE) through SES",
        tags=tags,
        body=SendEmailRequest,
        responses={201: (NotificationOut, "Accepted by SES: message_id is SES's MessageId")},
        invalid_body=email_problem(area.metrics),
        errors={
            422: "email-recipient-suppressed: the address hard-bounced or complained before",
            502: "provider-error: SES refused the email for good",
            503: "provider-unavailable: SES kept failing",
        },
    )
    @requires(Permission.NOTIFICATIONS_SEND)
    def send_email(body: SendEmailRequest) -> Response:
        email = body.root
        variables = email.variables.model_dump(exclude_none=True)
        outcome = container.bus.handle(SendEmail(template=email.type, to=email.to, variables=variables))
        return answer(outcome, NotificationOut.from_domain, _location(outcome.value.id))

    @spec.operation(
        bp,
        "/notifications/sms",
        "POST",
        operation_id="sendSms",
        summary="Send an SMS through the first provider that takes it (SNS, then Twilio)",
        tags=tags,
        body=SendSmsRequest,
        responses={201: (SentSmsOut, "Taken by `provider` (message_id); `tried`: every provider called")},
        invalid_body=sms_problem,
        errors={
            422: "invalid-phone-number: E.164 but not a number of its country's numbering plan; "
            "sms-region-unsupported: no provider is configured for its region; "
            "sms-recipient-rejected: a provider refused the number for good",
            503: "all-sms-providers-failed: every provider failed or had its circuit open",
        },
    )
    @requires(Permission.NOTIFICATIONS_SEND)
    def send_sms(body: SendSmsRequest) -> Response:
        outcome = container.bus.handle(SendSms(phone=body.phone, message=body.message))
        return answer(outcome, SentSmsOut.from_sent, _location(outcome.value.notification.id))

    @spec.operation(
        bp,
        "/notifications/<ntf:notification_id>",
        "GET",
        operation_id="getNotification",
        summary="A notification's status and every delivery report received for it",
        tags=tags,
        responses={200: (NotificationOut, "The notification")},
        errors={404: "not-found: no notification has this id"},
    )
    @requires(Permission.NOTIFICATIONS_READ)
    def get_notification(notification_id: str) -> Response:
        with container.read_uow() as uow:
            notification = uow.notifications.get(notification_id)
            if notification is None:
                raise NotFound("notification", notification_id)
            return render(NotificationOut.from_domain(notification))

    @spec.operation(
        bp,
        "/admin/sms/providers",
        "GET",
        operation_id="listSmsProviders",
        summary="SMS providers in routing order, with their regions and circuit state",
        tags=["admin"],
        responses={200: (SmsProviderListOut, "In the order the router tries them")},
    )
    @requires(Permission.SMS_PROVIDERS_READ)
    def sms_providers() -> Response:
        return render(SmsProviderListOut.model_validate({"data": area.router.describe()}))

    @spec.operation(
        bp,
        "/admin/sms/providers/reset",
        "POST",
        operation_id="resetSmsCircuits",
        summary="Close every SMS provider's circuit",
        tags=["admin"],
        responses={200: (SmsProviderListOut, "The providers after the reset")},
    )
    @requires(Permission.SMS_PROVIDERS_MANAGE)
    def reset_circuits() -> Response:
        area.router.reset_circuits()
        return render(SmsProviderListOut.model_validate({"data": area.router.describe()}))

    @spec.operation(
        bp,
        "/admin/notifications/provision",
        "POST",
        operation_id="provisionEmailFeedback",
        summary="Verify SES_SENDER and subscribe the service to SES feedback (the lab's provisioning)",
        tags=["admin"],
        responses={200: (FeedbackStateOut, "The wiring; the subscription confirms asynchronously")},
        errors={503: "provider-unavailable: AWS could not be reached or refused a step"},
    )
    @requires(Permission.NOTIFICATIONS_PROVISION)
    def provision() -> Response:
        return render(FeedbackStateOut.model_validate(area.provisioner.provision()))

    return bp
