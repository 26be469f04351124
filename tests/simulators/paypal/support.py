"""A small PayPal client for the tests (``requests``, as the service's gateway will be) that validates
every response against the official spec, and webhook verification done the way PayPal's SDK does it."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from simulators.testing import Received

from .spec import assert_event_valid, check_response

CLIENT_ID = "genai-demo-client"
CLIENT_SECRET = "genai-demo-secret"


def order_body(value: str = "10.00", currency: str = "USD", **unit: Any) -> dict[str, Any]:
    """A one-unit CAPTURE order."""
    return {
        "intent": "CAPTURE",
        "purchase_units": [{"amount": {"currency_code": currency, "value": value}, **unit}],
    }


def with_context(body: dict[str, Any], **context: str) -> dict[str, Any]:
    """``body`` with an ``application_context`` (``return_url``, ``cancel_url``)."""
    return {**body, "application_context": context}


def token(base: str, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> str:
    """A fresh access token."""
    resp = requests.post(
        base + "/v1/oauth2/token",
        auth=(client_id, secret),
        data={"grant_type": "client_credentials"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


class PayPalClient:
    """Authenticated calls; every response body is validated against the spec for its operation."""

    def __init__(self, base: str, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET) -> None:
        self.base = base
        self.control = base + "/_sim/"
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Bearer " + token(base, client_id, secret)

    def call(
        self, operation: str, method: str, path: str, expect: int | None = None, **kwargs: Any
    ) -> requests.Response:
        """One validated call; ``expect`` asserts the status."""
        kwargs.setdefault("timeout", 10)
        resp = self.session.request(method, self.base + path, **kwargs)
        check_response(operation, resp)
        if expect is not None:
            assert resp.status_code == expect, f"{method} {path}: {resp.status_code} {resp.text[:500]}"
        return resp

    def create(
        self, body: dict[str, Any] | None = None, expect: int = 201, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """``POST /v2/checkout/orders``."""
        resp = self.call(
            "orders.create", "POST", "/v2/checkout/orders", expect, json=body or order_body(), headers=headers
        )
        data: dict[str, Any] = resp.json()
        return data

    def get(self, order_id: str) -> dict[str, Any]:
        """``GET /v2/checkout/orders/{id}``."""
        data: dict[str, Any] = self.call("orders.get", "GET", f"/v2/checkout/orders/{order_id}", 200).json()
        return data

    def approve(self, order_id: str, **payer: str) -> dict[str, Any]:
        """The buyer approves through the control API."""
        resp = requests.post(f"{self.control}paypal/orders/{order_id}/approve", json=payer, timeout=10)
        assert resp.status_code == 200, resp.text
        data: dict[str, Any] = resp.json()
        return data

    def capture(
        self, order_id: str, expect: int | None = 201, headers: dict[str, str] | None = None
    ) -> requests.Response:
        """``POST /v2/checkout/orders/{id}/capture``."""
        return self.call(
            "orders.capture", "POST", f"/v2/checkout/orders/{order_id}/capture", expect, headers=headers
        )

    def paid_capture(self, body: dict[str, Any] | None = None, **payer: str) -> dict[str, Any]:
        """Create, approve and capture; returns the capture object."""
        order = self.create(body)
        self.approve(order["id"], **payer)
        captured = self.capture(order["id"]).json()
        result: dict[str, Any] = captured["purchase_units"][0]["payments"]["captures"][0]
        return result

    def register_webhook(self, url: str, events: tuple[str, ...] = ("*",)) -> str:
        """``POST /v1/notifications/webhooks``; returns the webhook id."""
        body = {"url": url, "event_types": [{"name": e} for e in events]}
        resp = self.call("webhooks.webhook", "POST", "/v1/notifications/webhooks", 201, json=body)
        return str(resp.json()["id"])


def header(received: Received, name: str) -> str:
    """A header of a received delivery, case-insensitively."""
    for key, value in received.headers.items():
        if key.lower() == name.lower():
            return value
    raise AssertionError(f"no {name} header in {sorted(received.headers)}")


def self_verify(received: Received, webhook_id: str) -> dict[str, Any]:
    """Verify a delivery as PayPal's SDK does (``paypalrestsdk/notifications.py``): fetch the certificate at
    PAYPAL-CERT-URL, require a CN ending in ``.paypal.com``, and check the SHA256withRSA (PKCS#1 v1.5)
    signature over ``transmission_id|transmission_time|webhook_id|crc32(raw body)`` (unsigned decimal).
    Returns the event, validated against the spec."""
    assert header(received, "PAYPAL-AUTH-ALGO") == "SHA256withRSA"
    pem = requests.get(header(received, "PAYPAL-CERT-URL"), timeout=10)
    assert pem.status_code == 200
    cert = x509.load_pem_x509_certificate(pem.content)
    common_name = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert isinstance(common_name, str) and common_name.endswith(".paypal.com")
    crc = binascii.crc32(received.body) & 0xFFFFFFFF
    message = (
        f"{header(received, 'PAYPAL-TRANSMISSION-ID')}|{header(received, 'PAYPAL-TRANSMISSION-TIME')}|"
        f"{webhook_id}|{crc}"
    ).encode()
    key = cert.public_key()
    assert isinstance(key, rsa.RSAPublicKey)
    key.verify(
        base64.b64decode(header(received, "PAYPAL-TRANSMISSION-SIG")),
        message,
        padding.PKCS1v15(),
        hashes.SHA256(),
    )
    event: dict[str, Any] = json.loads(received.body)
    assert_event_valid(event)
    return event


def postback(client: PayPalClient, received: Received, webhook_id: str, event: Any = None) -> str:
    """``POST /v1/notifications/verify-webhook-signature`` for a delivery; returns the status."""
    body = {
        "auth_algo": header(received, "PAYPAL-AUTH-ALGO"),
        "cert_url": header(received, "PAYPAL-CERT-URL"),
        "transmission_id": header(received, "PAYPAL-TRANSMISSION-ID"),
        "transmission_sig": header(received, "PAYPAL-TRANSMISSION-SIG"),
        "transmission_time": header(received, "PAYPAL-TRANSMISSION-TIME"),
        "webhook_id": webhook_id,
        "webhook_event": json.loads(received.body) if event is None else event,
    }
    resp = client.call(
        "webhooks.verify", "POST", "/v1/notifications/verify-webhook-signature", 200, json=body
    )
    return str(resp.json()["verification_status"])


def by_type(received: list[Received]) -> dict[str, Received]:
    """Deliveries by event type. PayPal (and the simulator's worker pool) do not promise delivery order,
    so tests look events up by type instead of by position."""
    return {json.loads(r.body)["event_type"]: r for r in received}


def verified(client: PayPalClient, received: Received, webhook_id: str) -> dict[str, Any]:
    """Self-verified and postback-verified event."""
    event = self_verify(received, webhook_id)
    assert postback(client, received, webhook_id) == "SUCCESS"
    return event
