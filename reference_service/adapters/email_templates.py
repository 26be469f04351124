"""The email template engine (the seed's ``EmailTemplateService``) on Jinja2.

Each template has a subject (itself a small template), an HTML part and a plain-text part, in files
under ``reference_service/templates/email/`` (``<stem>.html`` extends ``_layout.html``; ``<stem>.txt``):

==================  ========================================  ==========================================
template            subject                                   required variables
==================  ========================================  ==========================================
ORDER_CONFIRMATION  ``Order Confirmation - Order #{{orderNumber}}``  customerName, orderNumber, orderItems
PASSWORD_RESET      ``Password Reset Request``                customerName, resetLink, expiryTime
DELIVERY_UPDATE     ``Order #{{orderNumber}}: {{statusTitle}}``  customerName, orderNumber, statusTitle,
                                                              statusMessage, carrier, trackingNumber
==================  ========================================  ==========================================

- The HTML part is autoescaped (a customer named ``<script>`` renders as text); the text part and the
  subject are not, and the subject is one line (CR/LF become spaces: no header injection).
- Each template declares its variables as a pydantic model (``TemplateSpec.variables``): every required
  variable must be present and not null, and *all* missing ones are named in one ``EmailVariablesInvalid``
  and nothing is rendered. Shapes are checked too: ``orderItems`` is a non-empty list of objects with
  ``name``, ``quantity`` and ``price``; ``resetLink`` is an http(s) URL; undeclared variables are refused.
  The same models are the ``variables`` of ``POST /api/v1/notifications/email`` in ``/openapi.json``, so
  a request the schema accepts always renders. An undefined variable used by a template is an error
  (``StrictUndefined``), never an empty string.
- An unknown template name is ``UnknownEmailTemplate``.

Render one from a shell::

    python -c "from reference_service.adapters.email_templates import JinjaEmailTemplates as T; \\
      print(T().render('PASSWORD_RESET', {'customerName': 'Ada', 'resetLink': 'https://x/r', \\
      'expiryTime': 'in 30 minutes'}).text)"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, UndefinedError
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from reference_service.ports import RenderedEmail
from reference_service.service_layer.notification_errors import EmailVariablesInvalid, UnknownEmailTemplate

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "email"


class TemplateVariables(BaseModel):
    """Base of every template's variables: strict JSON types, nothing undeclared."""

    model_config = ConfigDict(extra="forbid", strict=True)


class OrderItemVariable(TemplateVariables):
    name: Annotated[str, Field(description="What the customer bought")]
    quantity: Annotated[int, Field(ge=1, description="How many")]
    price: Annotated[str, Field(description="The line's price as the customer reads it: 39.98 USD")]
    sku: str | None = None


class OrderConfirmationVariables(TemplateVariables):
    customerName: str
    orderNumber: str
    orderItems: Annotated[list[OrderItemVariable], Field(min_length=1)]
    orderTotal: Annotated[str | None, Field(description="Shown under the items when given")] = None


class PasswordResetVariables(TemplateVariables):
    customerName: str
    resetLink: Annotated[str, StringConstraints(pattern=r"^https?://"), Field(description="An http(s) URL")]
    expiryTime: Annotated[str, Field(description="When the link expires, as the customer reads it")]


class DeliveryUpdateVariables(TemplateVariables):
    customerName: str
    orderNumber: str
    statusTitle: Annotated[
        str, Field(description="The delivery's news in a few words: Your order has shipped")
    ]
    statusMessage: Annotated[str, Field(description="One sentence about it, as the customer reads it")]
    carrier: str
    trackingNumber: str
    estimatedDelivery: Annotated[str | None, Field(description="When it should arrive, when known")] = None


@dataclass(frozen=True)
class TemplateSpec:
    """One template: its subject template, file stem and its variables."""

    name: str
    subject: str
    stem: str
    variables: type[TemplateVariables]

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(name for name, field in self.variables.model_fields.items() if field.is_required())


#: the seed's two templates (``EmailTemplateService.templates``) and the delivery status update
CATALOGUE: dict[str, TemplateSpec] = {
    t.name: t
    for t in (
        TemplateSpec(
            "ORDER_CONFIRMATION",
            "Order Confirmation - Order #{{orderNumber}}",
            "order-confirmation",
            OrderConfirmationVariables,
        ),
        TemplateSpec("PASSWORD_RESET", "Password Reset Request", "password-reset", PasswordResetVariables),
        TemplateSpec(
            "DELIVERY_UPDATE",
            "Order #{{orderNumber}}: {{statusTitle}}",
            "delivery-update",
            DeliveryUpdateVariables,
        ),
    )
}


def variables_invalid(
    template: str, errors: Sequence[Mapping[str, Any]], given: Mapping[str, Any]
) -> EmailVariablesInvalid:
    """``EmailVariablesInvalid`` naming each variable ``errors`` (of a ``TemplateVariables`` model, locations
    relative to the variables) are about: absent or null ones as missing, in declaration order."""
    missing: list[str] = []
    invalid: dict[str, str] = {}
    for error in errors:
        name = str(error["loc"][0]) if error["loc"] else "variables"
        if len(error["loc"]) == 1 and (error["type"] == "missing" or given.get(name) is None):
            missing.append(name)
        elif name not in invalid:
            invalid[name] = error["msg"]
    return EmailVariablesInvalid(template, missing, invalid)


class JinjaEmailTemplates:
    """``EmailTemplates`` on Jinja2 (see the module docstring). Templates are loaded once and cached."""

    def __init__(self, directory: Path | None = None) -> None:
        loader = FileSystemLoader(str(directory or TEMPLATE_DIR))
        self._html = Environment(loader=loader, autoescape=True, undefined=StrictUndefined)
        self._plain = Environment(
            loader=loader, autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True
        )

    def names(self) -> list[str]:
        return sorted(CATALOGUE)

    def spec(self, template: str) -> TemplateSpec:
        try:
            return CATALOGUE[template]
        except KeyError:
            raise UnknownEmailTemplate(template, self.names()) from None

    def validate(self, template: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """The variables as the template reads them; raise unless each one is present with its shape."""
        spec = self.spec(template)
        try:
            model = spec.variables.model_validate(dict(variables))
        except ValidationError as exc:
            raise variables_invalid(template, exc.errors(include_url=False), variables) from None
        return model.model_dump(exclude_none=True)

    def render(self, template: str, variables: Mapping[str, Any]) -> RenderedEmail:
        spec = self.spec(template)
        context = self.validate(template, variables)
        try:
            subject = self._plain.from_string(spec.subject).render(context)
            subject = " ".join(subject.split())  # one line: no CR/LF reaches a mail header
            context["subject"] = subject
            html = self._html.get_template(f"{spec.stem}.html").render(context)
            text = self._plain.get_template(f"{spec.stem}.txt").render(context)
        except UndefinedError as exc:
            raise EmailVariablesInvalid(template, [], {"variables": str(exc)}) from None
        except TemplateError as exc:  # a broken template file is our bug, not the caller's
            raise RuntimeError(f"email template {template} is broken: {exc}") from exc
        return RenderedEmail(template=template, subject=subject, html=html, text=text)


def format_money(amount: int, currency: str) -> str:
    """Minor units as a customer reads them: ``format_money(3998, "USD")`` is ``"39.98 USD"`` (JPY: none)."""
    from decimal import Decimal

    import iso4217

    try:
        exponent = iso4217.Currency(currency).exponent or 0
    except ValueError:
        exponent = 2
    return f"{Decimal(amount).scaleb(-exponent):.{exponent}f} {currency}"
