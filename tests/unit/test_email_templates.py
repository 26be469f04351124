"""The email template engine: the seed's two templates, their subjects and required variables, HTML
autoescaping, the text part, and validation that names every missing variable."""

from __future__ import annotations

from typing import Any

import pytest

from reference_service.adapters.email_templates import CATALOGUE, JinjaEmailTemplates, format_money
from reference_service.service_layer.notification_errors import EmailVariablesInvalid, UnknownEmailTemplate

ORDER: dict[str, Any] = {
    "customerName": "Ada Lovelace",
    "orderNumber": "ord_01JD6Q2Z7N3W4X5Y6Z7A8B9C0D",
    "orderItems": [
        {"name": "T-shirt, medium", "quantity": 2, "price": "39.98 USD"},
        {"name": "Mug", "quantity": 1, "price": "8.50 USD"},
    ],
}
RESET = {
    "customerName": "Ada",
    "resetLink": "https://shop.example/reset/abc?x=1&y=2",
    "expiryTime": "in 30 minutes",
}


@pytest.fixture(scope="module")
def engine() -> JinjaEmailTemplates:
    return JinjaEmailTemplates()


def test_the_catalogue_is_the_seeds() -> None:
    assert CATALOGUE["ORDER_CONFIRMATION"].subject == "Order Confirmation - Order #{{orderNumber}}"
    assert set(CATALOGUE["ORDER_CONFIRMATION"].required) == {"customerName", "orderNumber", "orderItems"}
    assert CATALOGUE["PASSWORD_RESET"].subject == "Password Reset Request"
    assert set(CATALOGUE["PASSWORD_RESET"].required) == {"customerName", "resetLink", "expiryTime"}


def test_order_confirmation_renders_subject_html_and_text(engine: JinjaEmailTemplates) -> None:
    email = engine.render("ORDER_CONFIRMATION", {**ORDER, "orderTotal": "48.48 USD"})
    assert email.subject == "Order Confirmation - Order #ord_01JD6Q2Z7N3W4X5Y6Z7A8B9C0D"
    assert email.html.startswith("<!doctype html>") and "<title>Order Confirmation" in email.html
    for part in (email.html, email.text):
        assert "Ada Lovelace" in part and "T-shirt, medium" in part and "39.98 USD" in part
        assert "48.48 USD" in part
    assert "- T-shirt, medium x 2: 39.98 USD" in email.text
    assert "<" not in email.text and "&" not in email.text  # the text part has no markup or entities


def test_the_order_total_is_optional(engine: JinjaEmailTemplates) -> None:
    email = engine.render("ORDER_CONFIRMATION", ORDER)
    assert "Total" not in email.text and "Total" not in email.html


def test_html_is_autoescaped_but_the_text_part_is_not(engine: JinjaEmailTemplates) -> None:
    email = engine.render("PASSWORD_RESET", {**RESET, "customerName": '<script>alert("x")</script>'})
    assert "<script>" not in email.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in email.html
    assert '<script>alert("x")</script>' in email.text
    assert 'href="https://shop.example/reset/abc?x=1&amp;y=2"' in email.html
    assert "https://shop.example/reset/abc?x=1&y=2" in email.text


def test_a_subject_never_spans_lines(engine: JinjaEmailTemplates) -> None:
    email = engine.render("ORDER_CONFIRMATION", {**ORDER, "orderNumber": "42\r\nBcc: evil@example.com"})
    assert "\n" not in email.subject and "\r" not in email.subject
    assert email.subject == "Order Confirmation - Order #42 Bcc: evil@example.com"


@pytest.mark.parametrize(
    ("template", "variables", "missing"),
    [
        ("ORDER_CONFIRMATION", {}, ["customerName", "orderNumber", "orderItems"]),
        ("ORDER_CONFIRMATION", {"customerName": "Ada", "orderItems": None}, ["orderNumber", "orderItems"]),
        ("PASSWORD_RESET", {"customerName": "Ada"}, ["resetLink", "expiryTime"]),
    ],
)
def test_every_missing_variable_is_named(
    engine: JinjaEmailTemplates, template: str, variables: dict[str, Any], missing: list[str]
) -> None:
    with pytest.raises(EmailVariablesInvalid) as caught:
        engine.render(template, variables)
    assert caught.value.missing == missing
    for name in missing:
        assert name in str(caught.value)


@pytest.mark.parametrize(
    ("template", "variables", "name"),
    [
        ("ORDER_CONFIRMATION", {**ORDER, "orderItems": "two shirts"}, "orderItems"),
        ("ORDER_CONFIRMATION", {**ORDER, "orderItems": []}, "orderItems"),
        ("ORDER_CONFIRMATION", {**ORDER, "orderItems": [{"name": "x"}]}, "orderItems"),
        ("PASSWORD_RESET", {**RESET, "resetLink": "javascript:alert(1)"}, "resetLink"),
    ],
)
def test_malformed_variables_are_invalid(
    engine: JinjaEmailTemplates, template: str, variables: dict[str, Any], name: str
) -> None:
    with pytest.raises(EmailVariablesInvalid) as caught:
        engine.render(template, variables)
    assert name in caught.value.invalid and caught.value.missing == []


def test_an_unknown_template_is_an_error(engine: JinjaEmailTemplates) -> None:
    with pytest.raises(UnknownEmailTemplate) as caught:
        engine.render("WELCOME", {})
    assert caught.value.known == ["DELIVERY_UPDATE", "ORDER_CONFIRMATION", "PASSWORD_RESET"]


def test_the_api_has_one_request_shape_per_template_with_its_variables() -> None:
    from reference_service.entrypoints.api.notifications import EMAIL_REQUESTS

    shapes = {
        model.model_fields["type"].annotation.__args__[0]: model.model_fields["variables"].annotation  # type: ignore[union-attr]
        for model in EMAIL_REQUESTS
    }
    assert shapes == {name: spec.variables for name, spec in CATALOGUE.items()}


def test_money_is_formatted_with_the_currency_exponent() -> None:
    assert format_money(3998, "USD") == "39.98 USD"
    assert format_money(500, "JPY") == "500 JPY"
    assert format_money(1234, "BHD") == "1.234 BHD"
