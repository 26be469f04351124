"""The email template engine (the seed's ``EmailTemplateService``) on Jinja2.

Each template has a subject (itself a small template), an HTML part and a plain-text part, in files
under ``reference_service/templates/email/`` (``<stem>.html`` extends ``_layout.html``; ``<stem>.txt``):

==================  ========================================  ==========================================
template            subject                                   required variables
==================  ========================================  ==========================================
ORDER_CONFIRMATION  ``Order Confirmation - Order #{{orderNumber}}``  customerName, orderNumber, orderItems
PASSWORD_RESET      ``Password Reset Request``                customerName, resetLink, expiryTime
==================  ========================================  ==========================================

- The HTML part is autoescaped (a customer named ``<script>`` renders as text); the text part and the
  subject are not, and the subject is one line (CR/LF become spaces: no header injection).
- Every required variable must be present and not null; *all* missing ones are named in one
  ``EmailVariablesInvalid`` and nothing is rendered. Shapes are checked too: ``orderItems`` is a list of
  objects with ``name``, ``quantity`` and ``price``; ``resetLink`` is an http(s) URL. An undefined
  variable used by a template is an error (``StrictUndefined``), never an empty string.
- An unknown template name is ``UnknownEmailTemplate``.

Render one from a shell::

    python -c "from reference_service.adapters.email_templates import JinjaEmailTemplates as T; \\
      print(T().render('PASSWORD_RESET', {'customerName': 'Ada', 'resetLink': 'https://x/r', \\
      'expiryTime': 'in 30 minutes'}).text)"
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, UndefinedError

from reference_service.ports import RenderedEmail
from reference_service.service_layer.notification_errors import EmailVariablesInvalid, UnknownEmailTemplate

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "email"


def _order_items(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return "must be a non-empty list of {name, quantity, price}"
    for n, item in enumerate(value):
        if not isinstance(item, Mapping) or not {"name", "quantity", "price"} <= set(item):
            return f"item {n} must be an object with name, quantity and price"
    return None


def _http_url(value: Any) -> str | None:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        return "must be an http(s) URL"
    return None


@dataclass(frozen=True)
class TemplateSpec:
    """One template: its subject template, file stem and required variables (with shape checks)."""

    name: str
    subject: str
    stem: str
    required: tuple[str, ...]
    checks: Mapping[str, Callable[[Any], str | None]]


#: the seed's two templates (``EmailTemplateService.templates``)
CATALOGUE: dict[str, TemplateSpec] = {
    t.name: t
    for t in (
        TemplateSpec(
            "ORDER_CONFIRMATION",
            "Order Confirmation - Order #{{orderNumber}}",
            "order-confirmation",
            ("customerName", "orderNumber", "orderItems"),
            {"orderItems": _order_items},
        ),
        TemplateSpec(
            "PASSWORD_RESET",
            "Password Reset Request",
            "password-reset",
            ("customerName", "resetLink", "expiryTime"),
            {"resetLink": _http_url},
        ),
    )
}


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

    def validate(self, template: str, variables: Mapping[str, Any]) -> TemplateSpec:
        """Raise unless every required variable is present with the right shape."""
        spec = self.spec(template)
        missing = [name for name in spec.required if variables.get(name) is None]
        invalid = {
            name: problem
            for name, check in spec.checks.items()
            if name not in missing and (problem := check(variables[name])) is not None
        }
        if missing or invalid:
            raise EmailVariablesInvalid(template, missing, invalid)
        return spec

    def render(self, template: str, variables: Mapping[str, Any]) -> RenderedEmail:
        spec = self.validate(template, variables)
        context = dict(variables)
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
