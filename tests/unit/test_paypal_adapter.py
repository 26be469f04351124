"""The PayPal adapter's pure parts: webhook verification (with a locally made key and certificate),
event translation, money formatting, status and error mapping, and the shared OAuth token cache."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from reference_service.adapters import paypal_gateway as pg
from reference_service.adapters.paypal_webhooks import (
    PayPalWebhookVerifier,
    SignatureRejected,
    paypal_certificates,
    signed_string,
    translate,
)
from reference_service.adapters.retry import RetryPolicy
from reference_service.config import load_settings
from reference_service.domain.payments import PaymentEventKind, PaymentStatus
from reference_service.observability.metrics import ServiceMetrics
from reference_service.service_layer.errors import PaymentConflict, PaymentDeclined

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
CERT_URL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-1"
WEBHOOK_ID = "WH0123456789"


def certificate(cn: str = "messageverificationcerts.sandbox.paypal.com", days: int = 30) -> bytes:
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(KEY.public_key())
        .serial_number(1)
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .sign(KEY, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def delivery(
    body: bytes, *, tid: str = "tid-1", when: datetime | None = None, webhook_id: str = WEBHOOK_ID
) -> dict[str, str]:
    ttime = (when or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    sig = KEY.sign(signed_string(tid, ttime, webhook_id, body), padding.PKCS1v15(), hashes.SHA256())
    return {
        "paypal-transmission-id": tid,
        "paypal-transmission-time": ttime,
        "paypal-transmission-sig": base64.b64encode(sig).decode(),
        "paypal-cert-url": CERT_URL,
        "paypal-auth-algo": "SHA256withRSA",
    }


def verifier(pem: bytes | None = None, **kw: Any) -> PayPalWebhookVerifier:
    store = paypal_certificates(
        ["api.sandbox.paypal.com", "127.0.0.1"], fetch=lambda url: pem or certificate()
    )
    return PayPalWebhookVerifier(WEBHOOK_ID, store, 600, **kw)


BODY = json.dumps({"id": "WH-1", "event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": {}}).encode()


def test_a_genuine_delivery_verifies_and_a_replay_after_processing_does_not() -> None:
    v = verifier()
    headers = delivery(BODY)
    assert v.verify(headers, BODY, {}) == "tid-1"
    assert (
        v.verify(headers, BODY, {}) == "tid-1"
    )  # not processed yet: PayPal's retry after our 500 still passes
    v.processed("tid-1")
    with pytest.raises(SignatureRejected, match="replayed"):
        v.verify(headers, BODY, {})


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h, b: (h, b + b" "), "does not match"),
        (lambda h, b: ({**h, "paypal-transmission-id": "tid-other"}, b), "does not match"),
        (lambda h, b: (delivery(b, webhook_id="WHsomeoneelse"), b), "does not match"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "paypal-transmission-sig"}, b), "missing"),
        (lambda h, b: ({**h, "paypal-auth-algo": "SHA1withRSA"}, b), "unsupported"),
        (lambda h, b: ({**h, "paypal-transmission-sig": "%%%"}, b), "does not match"),
        (lambda h, b: (delivery(b, when=datetime.now(UTC) - timedelta(hours=1)), b), "older than"),
        (lambda h, b: ({**h, "paypal-cert-url": "https://evil.example.com/cert.pem"}, b), "not allowed"),
        (lambda h, b: ({**h, "paypal-cert-url": "http://api.sandbox.paypal.com/cert"}, b), "https"),
    ],
    ids=[
        "tampered-body",
        "other-id",
        "wrong-webhook",
        "no-sig",
        "algo",
        "garbage-sig",
        "stale",
        "cert-host",
        "plain-http",
    ],
)
def test_forged_tampered_and_stale_deliveries_are_rejected(mutate: Any, reason: str) -> None:
    headers, body = mutate(delivery(BODY), BODY)
    with pytest.raises(SignatureRejected, match=reason):
        verifier().verify(headers, body, {})


def test_a_certificate_that_is_not_paypals_is_rejected() -> None:
    with pytest.raises(SignatureRejected, match="CN must end in .paypal.com"):
        verifier(certificate(cn="attacker.example.com")).verify(delivery(BODY), BODY, {})


def test_certificates_are_fetched_once_and_cached() -> None:
    fetched: list[str] = []
    store = paypal_certificates(
        ["api.sandbox.paypal.com"], fetch=lambda url: fetched.append(url) or certificate()
    )
    v = PayPalWebhookVerifier(WEBHOOK_ID, store, 600)
    for n in range(3):
        v.verify(delivery(BODY, tid=f"t{n}"), BODY, {})
    assert fetched == [CERT_URL]


def test_postback_mode_asks_paypal_with_every_field() -> None:
    asked: list[dict[str, Any]] = []
    v = verifier(postback=lambda fields: asked.append(fields) or fields["transmission_id"] == "tid-1")
    v.verify(delivery(BODY), BODY, {"id": "WH-1"})
    assert set(asked[0]) == {
        "auth_algo",
        "cert_url",
        "transmission_id",
        "transmission_sig",
        "transmission_time",
        "webhook_id",
        "webhook_event",
    }
    with pytest.raises(SignatureRejected, match="FAILURE"):
        v.verify(delivery(BODY, tid="tid-2"), BODY, {})


def test_no_webhook_id_configured_rejects_everything() -> None:
    v = PayPalWebhookVerifier(None, paypal_certificates(["api.sandbox.paypal.com"]), 600)
    with pytest.raises(SignatureRejected, match="PAYPAL_WEBHOOK_ID"):
        v.verify(delivery(BODY), BODY, {})


def test_translate_paypal_events() -> None:
    approved = translate(
        {
            "id": "WH-1",
            "event_type": "CHECKOUT.ORDER.APPROVED",
            "resource": {
                "id": "5O190127TN364715T",
                "status": "APPROVED",
                "purchase_units": [{"custom_id": "pay_1"}],
            },
        }
    )
    assert (approved.kind, approved.provider_ref, approved.payment_id) == (
        PaymentEventKind.AUTHORIZED,
        "5O190127TN364715T",
        "pay_1",
    )
    capture = {
        "id": "3C679366HH908993F",
        "custom_id": "pay_1",
        "amount": {"currency_code": "JPY", "value": "1500"},
        "supplementary_data": {"related_ids": {"order_id": "5O190127TN364715T"}},
    }
    done = translate({"id": "WH-2", "event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": capture})
    assert (done.kind, done.provider_ref) == (PaymentEventKind.SUCCEEDED, "5O190127TN364715T")
    denied = translate({"id": "WH-3", "event_type": "PAYMENT.CAPTURE.DENIED", "resource": capture})
    assert (denied.kind, denied.failure_code) == (PaymentEventKind.FAILED, "INSTRUMENT_DECLINED")
    refunded = translate({"id": "WH-4", "event_type": "PAYMENT.CAPTURE.REFUNDED", "resource": capture})
    assert refunded.amount_refunded == 1500
    assert (
        translate({"id": "WH-5", "event_type": "BILLING.PLAN.CREATED", "resource": {}}).kind
        == PaymentEventKind.IGNORED
    )


@pytest.mark.parametrize(
    ("amount", "currency", "value"),
    [(3998, "USD", "39.98"), (1500, "JPY", "1500"), (1234, "KWD", "1.234"), (5, "EUR", "0.05")],
)
def test_minor_units_become_paypal_values_with_the_iso_exponent(
    amount: int, currency: str, value: str
) -> None:
    assert pg.to_value(amount, currency) == value


@pytest.mark.parametrize(
    ("order", "status"),
    [
        (
            {"id": "A", "status": "CREATED", "links": [{"rel": "approve", "href": "http://x/approve"}]},
            PaymentStatus.REQUIRES_ACTION,
        ),
        ({"id": "A", "status": "APPROVED"}, PaymentStatus.AUTHORIZED),
        (
            {
                "id": "A",
                "status": "COMPLETED",
                "purchase_units": [{"payments": {"captures": [{"status": "COMPLETED"}]}}],
            },
            PaymentStatus.SUCCEEDED,
        ),
        (
            {
                "id": "A",
                "status": "COMPLETED",
                "purchase_units": [{"payments": {"captures": [{"status": "DECLINED"}]}}],
            },
            PaymentStatus.FAILED,
        ),
        (
            {
                "id": "A",
                "status": "COMPLETED",
                "purchase_units": [{"payments": {"captures": [{"status": "PENDING"}]}}],
            },
            PaymentStatus.PROCESSING,
        ),
        ({"id": "A", "status": "VOIDED"}, PaymentStatus.CANCELED),
    ],
)
def test_order_statuses_map(order: dict[str, Any], status: PaymentStatus) -> None:
    mapped = pg.map_order(order)
    assert mapped.status is status
    if order["status"] == "CREATED":
        assert mapped.approve_url == "http://x/approve"


def error(status: int, issue: str | None = None, name: str = "UNPROCESSABLE_ENTITY") -> pg.PayPalHTTPError:
    body: dict[str, Any] = {"name": name, "message": "m", "debug_id": "d"}
    if issue:
        body["details"] = [{"issue": issue}]
    return pg.PayPalHTTPError(status, body, {})


def test_errors_map_to_service_errors() -> None:
    declined = pg.to_service_error(error(422, "INSTRUMENT_DECLINED"))
    assert isinstance(declined, PaymentDeclined) and declined.code == "INSTRUMENT_DECLINED"
    assert isinstance(pg.to_service_error(error(422, "ORDER_NOT_APPROVED")), PaymentConflict)
    outage = pg.to_service_error(error(503, name="SERVICE_UNAVAILABLE"))
    assert not isinstance(outage, PaymentConflict) and outage.retryable and outage.code == "PAYMENT_ERROR"
    limited = pg.to_service_error(error(429, name="RATE_LIMIT_REACHED"))
    assert not isinstance(limited, PaymentConflict) and limited.code == "RATE_LIMITED"
    assert pg.retryable(error(500)) and pg.retryable(error(429)) and not pg.retryable(error(422, "X"))
    assert pg.classify(error(422, "INSTRUMENT_DECLINED")) == "declined"


class FakeResponse:
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status_code = status
        self._body = body
        self.content = json.dumps(body).encode()
        self.headers: dict[str, str] = {}
        self.text = self.content.decode()

    def json(self) -> dict[str, Any]:
        return self._body


class FakeSession:
    """Scripted PayPal: counts token requests; answers 401 invalid_token to a token it revoked."""

    def __init__(self) -> None:
        self.tokens = 0
        self.revoked: set[str] = set()
        self.lock = threading.Lock()

    def request(self, method: str, url: str, **kw: Any) -> FakeResponse:
        if url.endswith("/v1/oauth2/token"):
            with self.lock:
                self.tokens += 1
                return FakeResponse(
                    200, {"access_token": f"A21-{self.tokens}", "expires_in": 32400, "token_type": "Bearer"}
                )
        token = kw["headers"]["Authorization"].removeprefix("Bearer ")
        if token in self.revoked:
            return FakeResponse(
                401, {"error": "invalid_token", "error_description": "Access Token not found in cache"}
            )
        return FakeResponse(200, {"id": "5O190127TN364715T", "status": "APPROVED"})


def gateway(session: FakeSession) -> pg.PayPalGateway:
    return pg.PayPalGateway(load_settings(env={}), ServiceMetrics(), RetryPolicy(initial_delay=0), session)  # type: ignore[arg-type]


def test_the_token_is_fetched_once_for_many_threads_and_refreshed_once_after_401() -> None:
    session = FakeSession()
    gw = gateway(session)
    threads = [threading.Thread(target=gw.retrieve_payment, args=("5O190127TN364715T",)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert session.tokens == 1
    session.revoked.add("A21-1")
    assert gw.retrieve_payment("5O190127TN364715T").status is PaymentStatus.AUTHORIZED
    assert gw.retrieve_payment("5O190127TN364715T").status is PaymentStatus.AUTHORIZED
    assert session.tokens == 2


def test_a_refused_request_is_the_callers_422_with_paypals_reason_not_a_502() -> None:
    body = {
        "name": "UNPROCESSABLE_ENTITY",
        "message": "The requested action could not be performed.",
        "details": [
            {"issue": "DECIMAL_PRECISION", "description": "The value of a field has too many decimals."}
        ],
    }
    refused = pg.to_service_error(pg.PayPalHTTPError(422, body, {}))
    assert not isinstance(refused, PaymentConflict)
    assert (refused.code, refused.status, refused.retryable, refused.provider_code) == (
        "PAYMENT_REQUEST_REJECTED",
        422,
        False,
        "DECIMAL_PRECISION",
    )
    assert refused.message == "The value of a field has too many decimals."
    # the service's own credentials refused: the service is at fault, so still a 502
    oauth = pg.to_service_error(pg.PayPalHTTPError(400, {"error": "invalid_client"}, {}))
    assert not isinstance(oauth, PaymentConflict) and (oauth.code, oauth.status) == ("PAYMENT_ERROR", 502)
