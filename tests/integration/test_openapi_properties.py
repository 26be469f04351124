"""The service accepts what its OpenAPI document allows: every POST operation of ``/openapi.json`` gets
request bodies and headers generated from that very document (hypothesis-jsonschema), in-process
(Flask test client, SQLite, fake providers), and must answer as follows. Anything else fails.

=====================  ==================================================================================
operation              allowed answers (and why)
=====================  ==================================================================================
createOrder            201; with a generated ``Idempotency-Key`` the request is sent twice and the second
                       answer is the first one again (``Idempotent-Replayed: true``). Each example starts
                       with no key recorded (422 ``idempotency-key-reused`` needs a key first used with
                       another body: state, not shape). 422 ``amount-out-of-range`` exactly when the total
                       (a sum of products, which no schema can bound) is outside the providers' charge
                       limits, checked both ways against ``money.check_chargeable``.
cancelOrder            200: each example cancels a fresh order (409 needs an order already cancelled).
startPayment           201: a fresh order and fake gateways that take every payment (402/409/503 need a
                       decline, an attempt in progress or an outage).
capturePayment         200: a fresh Stripe payment waiting for capture (with a generated
                       ``PayPal-Mock-Response`` where the document offers it).
sendEmail              201: a fake SES and an empty suppression list (422 ``email-recipient-suppressed``
                       needs an address that bounced before).
sendSms                201 when libphonenumber knows the number, else 422 ``invalid-phone-number``: the
                       schema states E.164 (a pattern) but no schema can state every country's numbering
                       plan; the field's description and the operation's documented 422 say so, and the
                       test checks the verdict against libphonenumber itself, both ways. Half the bodies
                       carry libphonenumber's example number of a region (still schema-valid, checked),
                       since a random E.164 string is rarely a real number.
resetSmsCircuits       200.
provisionEmailFeedback 200 (a stub stands in for AWS).
validateAddress        200, or 422 ``address-invalid`` when the fake carrier does not know the street (it
                       starts with ``0``): whether an address exists is the carrier's data, not a shape.
quoteShipping          200 for a fresh order with a shipping address.
createDelivery         422 ``shipping-quote-invalid``: a quote id is the carrier's token, so a generated one
                       is never one the carrier made for that order (state, not shape); a real quote is
                       bought by ``test_a_real_quote_is_bought_once``.
cancelDelivery         200: each example cancels a fresh delivery whose parcel was not picked up.
createApiKey           201.
rotateApiKey           201: each example rotates a fresh key.
the five webhooks      a generated delivery carries no valid signature (it depends on a secret): 400
                       ``webhook-signature-invalid`` or ``malformed-request`` (Stripe, PayPal, SES,
                       EasyPost), 403 ``webhook-forbidden`` (Twilio), as documented, and nothing is applied.
=====================  ==================================================================================

Every answer's status must be one the operation documents, and a 2xx body must satisfy the documented
response schema. Whole numbers are sometimes sent as ``2.0`` (JSON Schema's ``integer`` allows it).
Examples are bounded and derandomized (a fixed seed), so the run is the same every time and fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator

from reference_service.adapters.orm import IdempotencyRow, WebhookEventRow
from reference_service.adapters.sms_router import SmsServiceRouter
from reference_service.bootstrap import Container, bootstrap
from reference_service.config import load_settings
from reference_service.domain.errors import UnchargeableAmount
from reference_service.domain.money import Money, check_chargeable
from reference_service.domain.payments import PaymentProvider
from reference_service.entrypoints.api.schemas import iso_currencies
from reference_service.entrypoints.app import create_app
from tests.auth import auth_issuer, authorized_client
from tests.conftest import STRIPE_TEST_WEBHOOK_SECRET
from tests.fakes import (
    FakeEmailSender,
    FakeFileStorage,
    FakeLogisticsProvider,
    FakePaymentGateway,
    FakeSmsProvider,
)
from tests.support import postgres_schema_url

ORDER = {
    "customer_ref": "cus_props",
    "currency": "EUR",
    "items": [{"sku": "MUG", "name": "Mug", "quantity": 1, "unit_amount": 850}],
}
SHIP_TO = {
    "name": "Ada",
    "street1": "179 N Harbor Dr",
    "city": "Redondo Beach",
    "state": "CA",
    "zip": "90277",
}
#: examples per operation: bodies with many fields get more
EXAMPLES = {"createOrder": 40, "sendEmail": 30, "sendSms": 30, "startPayment": 25}


class StubProvisioner:
    """Stands in for the SES feedback provisioning (which calls AWS)."""

    def __init__(self) -> None:
        self.calls = 0

    def provision(self) -> dict[str, Any]:
        self.calls += 1
        return {
            "state": "subscribed",
            "topic_arn": "arn:aws:sns:us-east-1:123456789012:genai-demo-ses-feedback",
            "endpoint": "http://127.0.0.1/api/v1/webhooks/ses",
            "subscription_arn": None,
            "attempts": self.calls,
            "error": None,
        }


@dataclass
class Api:
    client: FlaskClient
    container: Container
    doc: dict[str, Any]

    def operation(self, operation_id: str) -> tuple[str, dict[str, Any]]:
        for path, operations in self.doc["paths"].items():
            for method, operation in operations.items():
                if operation["operationId"] == operation_id:
                    assert method == "post"
                    return path, operation
        raise LookupError(operation_id)

    def schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        """``schema`` with the document's components as ``$defs``, as a standalone JSON Schema."""
        text = json.dumps({**schema, "$defs": self.doc["components"]["schemas"]})
        inlined: dict[str, Any] = json.loads(text.replace("#/components/schemas/", "#/$defs/"))
        return inlined

    def forget_idempotency_keys(self) -> None:
        """So that an example never depends on the keys an earlier one used."""
        with self.container.write_sessions() as session:
            session.query(IdempotencyRow).delete()
            session.commit()

    def new_order(self) -> str:
        resp = self.client.post("/api/v1/orders", json=ORDER)
        assert resp.status_code == 201, resp.json
        order_id: str = resp.json["id"]
        return order_id

    def paid_order(self) -> str:
        """A PAID order with a shipping address."""
        resp = self.client.post("/api/v1/orders", json={**ORDER, "shipping_address": SHIP_TO})
        assert resp.status_code == 201, resp.json
        order_id: str = resp.json["id"]
        paid = self.client.post(
            f"/api/v1/orders/{order_id}/payments",
            json={"provider": "stripe", "payment_method": "pm_card_visa"},
        )
        assert paid.status_code == 201 and paid.json["status"] == "SUCCEEDED", paid.json
        return order_id

    def new_delivery(self) -> str:
        order_id = self.paid_order()
        quotes = self.client.post(f"/api/v1/orders/{order_id}/shipping-quotes").json["data"]
        resp = self.client.post(
            f"/api/v1/orders/{order_id}/deliveries", json={"quote_id": quotes[0]["quote_id"]}
        )
        assert resp.status_code == 201, resp.json
        delivery_id: str = resp.json["id"]
        return delivery_id

    def payment_waiting_for_capture(self) -> tuple[str, str]:
        order_id = self.new_order()
        resp = self.client.post(f"/api/v1/orders/{order_id}/payments", json={"provider": "stripe"})
        assert resp.status_code == 201 and resp.json["status"] == "REQUIRES_ACTION", resp.json
        return order_id, resp.json["id"]


@contextmanager
def running_api(database_url: str) -> Iterator[Api]:
    """The service in-process on ``database_url``, with fake providers and a stub for AWS."""
    service_settings = load_settings(
        database_url=database_url,
        outbox_relay_enabled=False,
        stripe_webhook_secret=STRIPE_TEST_WEBHOOK_SECRET,
        logistics_webhook_secret="whsec_props",
        provider_retry_initial_seconds=0.0,
        ratelimit_default="100000/minute",  # one admin client sends more than a minute's 1000 here
        **auth_issuer().settings(),
    )
    container = bootstrap(
        service_settings,
        gateways={
            PaymentProvider.STRIPE: FakePaymentGateway(PaymentProvider.STRIPE),
            PaymentProvider.PAYPAL: FakePaymentGateway(PaymentProvider.PAYPAL),
        },
        logistics=FakeLogisticsProvider(),
    )
    container.notifications.sender = FakeEmailSender()
    container.files.storage = FakeFileStorage(container.clock)
    container.notifications.provisioner = StubProvisioner()  # type: ignore[assignment]
    container.notifications.router = SmsServiceRouter(
        [FakeSmsProvider("sns"), FakeSmsProvider("twilio")], container.notifications.metrics
    )
    try:
        client = authorized_client(create_app(service_settings, container, start_relay=False), "admin")
        yield Api(client, container, client.get("/openapi.json").json)
    finally:
        container.close()


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    database = Path(tmp_path_factory.mktemp("openapi-properties")) / "service.db"
    with running_api(f"sqlite:///{database}") as running:
        yield running


@pytest.fixture(scope="module")
def postgres_api() -> Iterator[Api]:
    """The same on a private schema of the PostgreSQL test database (dropped afterwards)."""
    with postgres_schema_url() as url, running_api(url) as running:
        yield running


def _floats(value: Any) -> Any:
    """Every integer written as a float with a zero fraction (``2`` → ``2.0``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) < 2**53:
        return float(value)
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return value


def request_strategy(api: Api, operation: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Headers and a body for ``operation``, both drawn from its schemas in the document."""
    headers: dict[str, st.SearchStrategy[Any]] = {}
    for param in operation["parameters"]:
        if param["in"] != "header":
            continue
        # what a header can carry: visible ASCII (RFC 9110 field-value without obs-text or spaces)
        value = from_schema(api.schema(param["schema"]), codec="ascii").filter(
            lambda v: isinstance(v, str) and all(0x21 <= ord(c) <= 0x7E for c in v)
        )
        headers[param["name"]] = value if param["required"] else st.none() | value
    content = operation.get("requestBody", {}).get("content", {})
    media = next(iter(content), None)
    body: st.SearchStrategy[Any] = st.none()
    if media is not None:
        body = from_schema(api.schema(content[media]["schema"]))
        if not operation["requestBody"]["required"]:
            body = st.none() | body
    return st.fixed_dictionaries(
        {
            "headers": st.fixed_dictionaries(headers),
            "body": body,
            "floats": st.booleans(),
            "media": st.just(media),
        }
    )


def send(api: Api, path: str, drawn: dict[str, Any]) -> Any:
    headers = {name: value for name, value in drawn["headers"].items() if value is not None}
    body, media = drawn["body"], drawn["media"]
    if body is None:
        return api.client.post(path, headers=headers)
    if drawn["floats"]:
        body = _floats(body)
    data = body if isinstance(body, str) else json.dumps(body)
    return api.client.post(path, data=data.encode(), content_type=media, headers=headers)


def check_documented(api: Api, operation: dict[str, Any], resp: Any) -> None:
    documented = set(operation["responses"]) - {"default"}
    assert str(resp.status_code) in documented, (resp.status_code, resp.get_data(as_text=True))
    if resp.status_code < 300:
        response = operation["responses"][str(resp.status_code)]
        schema = response["content"]["application/json"]["schema"]
        Draft202012Validator(api.schema(schema)).validate(resp.json)


def problem_type(resp: Any) -> str:
    assert resp.mimetype == "application/problem+json", resp.get_data(as_text=True)
    return str(resp.json["type"]).removeprefix("/problems/")


# -- what each operation must answer ----------------------------------------------------------------------


def expect_create_order(api: Api, drawn: dict[str, Any], resp: Any) -> None:
    body = drawn["body"]
    total = sum(item["quantity"] * item["unit_amount"] for item in body["items"])
    try:
        check_chargeable(Money(int(total), body["currency"]))
    except UnchargeableAmount:
        assert resp.status_code == 422 and problem_type(resp) == "amount-out-of-range", resp.json
        return
    assert resp.status_code == 201, resp.json
    assert "Idempotent-Replayed" not in resp.headers
    if drawn["headers"].get("Idempotency-Key") is not None:  # the same request again: the first answer
        again = send(api, "/api/v1/orders", drawn)
        assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
        assert again.json == resp.json


def expect_sms(_api: Api, drawn: dict[str, Any], resp: Any) -> None:
    try:
        known = phonenumbers.is_valid_number(phonenumbers.parse(drawn["body"]["phone"], None))
    except phonenumbers.NumberParseException:
        known = False
    if known:
        assert resp.status_code == 201, resp.json
        assert resp.json["region"] == phonenumbers.region_code_for_number(
            phonenumbers.parse(drawn["body"]["phone"], None)
        )
    else:
        assert resp.status_code == 422 and problem_type(resp) == "invalid-phone-number", resp.json


def expect(status: int) -> Callable[[Api, dict[str, Any], Any], None]:
    def check(_api: Api, _drawn: dict[str, Any], resp: Any) -> None:
        assert resp.status_code == status, resp.get_data(as_text=True)

    return check


def expect_unverified(status: int, *problems: str) -> Callable[[Api, dict[str, Any], Any], None]:
    def check(api: Api, _drawn: dict[str, Any], resp: Any) -> None:
        assert resp.status_code == status and problem_type(resp) in problems, resp.json
        with api.container.read_sessions() as session:
            assert session.query(WebhookEventRow).count() == 0  # nothing was applied

    return check


Drawn = st.SearchStrategy[dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """How to reach one operation (its path, with the resources it needs) and what it must answer;
    ``vary`` may mix other schema-valid requests into the generated ones."""

    path: Callable[[Api, str], str]
    answer: Callable[[Api, dict[str, Any], Any], None]
    vary: Callable[[Drawn], Drawn] | None = None


REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)


def with_real_numbers(drawn: Drawn) -> Drawn:
    def real(request: dict[str, Any], region: str) -> dict[str, Any]:
        example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if example is None:
            return request
        number = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        return {**request, "body": {**request["body"], "phone": number}}

    return drawn | st.builds(real, drawn, st.sampled_from(REGIONS))


def fixed(_api: Api, path: str) -> str:
    return path


def fresh_order(api: Api, path: str) -> str:
    return path.replace("{order_id}", api.new_order())


def paid_order(api: Api, path: str) -> str:
    return path.replace("{order_id}", api.paid_order())


def fresh_delivery(api: Api, path: str) -> str:
    return path.replace("{delivery_id}", api.new_delivery())


def expect_address(_api: Api, drawn: dict[str, Any], resp: Any) -> None:
    if drawn["body"]["street1"].strip().startswith("0"):
        assert resp.status_code == 422 and problem_type(resp) == "address-invalid", resp.json
        assert [e["field"] for e in resp.json["errors"]] == ["street1"]
    else:
        assert resp.status_code == 200, resp.json


def expect_problem(status: int, problem: str) -> Callable[[Api, dict[str, Any], Any], None]:
    def check(_api: Api, _drawn: dict[str, Any], resp: Any) -> None:
        assert resp.status_code == status and problem_type(resp) == problem, resp.get_data(as_text=True)

    return check


def active_key(api: Api, path: str) -> str:
    resp = api.client.post("/api/v1/admin/api-keys", json={"name": "to rotate", "roles": ["service"]})
    assert resp.status_code == 201, resp.json
    return path.replace("{key_id}", resp.json["id"])


def waiting_payment(api: Api, path: str) -> str:
    order_id, payment_id = api.payment_waiting_for_capture()
    return path.replace("{order_id}", order_id).replace("{payment_id}", payment_id)


def expect_direct_upload(_api: Api, drawn: dict[str, Any], resp: Any) -> None:
    if resp.status_code == 201:
        assert resp.json["status"] == "PENDING" and resp.json["upload"]["fields"], resp.json
    else:  # a type the category refuses, or a size over its maximum
        assert problem_type(resp) in ("file-type-not-allowed", "file-too-large"), resp.json


def pending_upload(api: Api, path: str) -> str:
    body = {"category": "return_documents", "content_type": "application/pdf", "size": 100}
    resp = api.client.post("/api/v1/files/uploads", json=body)
    assert resp.status_code == 201, resp.json
    return path.replace("{file_id}", resp.json["id"])


CASES: dict[str, Case] = {
    "createOrder": Case(fixed, expect_create_order),
    "cancelOrder": Case(fresh_order, expect(200)),
    "startPayment": Case(fresh_order, expect(201)),
    "capturePayment": Case(waiting_payment, expect(200)),
    "sendEmail": Case(fixed, expect(201)),
    "sendSms": Case(fixed, expect_sms, with_real_numbers),
    "resetSmsCircuits": Case(fixed, expect(200)),
    "createApiKey": Case(fixed, expect(201)),
    "rotateApiKey": Case(active_key, expect(201)),
    "provisionEmailFeedback": Case(fixed, expect(200)),
    "stripeWebhook": Case(fixed, expect_unverified(400, "webhook-signature-invalid", "malformed-request")),
    "paypalWebhook": Case(fixed, expect_unverified(400, "webhook-signature-invalid", "malformed-request")),
    "sesFeedbackWebhook": Case(
        fixed, expect_unverified(400, "webhook-signature-invalid", "malformed-request")
    ),
    "twilioStatusCallback": Case(fixed, expect_unverified(403, "webhook-forbidden")),
    "validateAddress": Case(fixed, expect_address),
    "quoteShipping": Case(paid_order, expect(200)),
    "createDelivery": Case(paid_order, expect_problem(422, "shipping-quote-invalid")),
    "cancelDelivery": Case(fresh_delivery, expect(200)),
    "logisticsWebhook": Case(fixed, expect_unverified(400, "webhook-signature-invalid", "malformed-request")),
    # a drawn string is no multipart body with a file part
    "uploadFile": Case(fixed, expect_problem(422, "validation-error")),
    "startDirectUpload": Case(fixed, expect_direct_upload),
    "confirmDirectUpload": Case(pending_upload, expect_problem(409, "file-not-uploaded")),
}


def test_a_real_quote_is_bought_once(api: Api) -> None:
    order_id = api.paid_order()
    quote = api.client.post(f"/api/v1/orders/{order_id}/shipping-quotes").json["data"][0]["quote_id"]
    first = api.client.post(f"/api/v1/orders/{order_id}/deliveries", json={"quote_id": quote})
    again = api.client.post(f"/api/v1/orders/{order_id}/deliveries", json={"quote_id": quote})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"] and first.json["status"] == "LABEL_CREATED"


def test_the_document_states_the_rules_the_service_applies(api: Api) -> None:
    schemas = api.doc["components"]["schemas"]
    currency = schemas["CreateOrderRequest"]["properties"]["currency"]
    assert currency["enum"] == list(iso_currencies()) and "XYZ" not in currency["enum"]
    [key] = [p for p in api.operation("createOrder")[1]["parameters"] if p["name"] == "Idempotency-Key"]
    assert key["schema"] == {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": "^[\\x21-\\x7e]+$",
    }
    assert "payment_method" not in schemas["PayPalPaymentRequest"]["properties"]
    assert set(schemas["SendEmailRequest"]["discriminator"]["mapping"]) == {
        "ORDER_CONFIRMATION",
        "PASSWORD_RESET",
        "DELIVERY_UPDATE",
    }
    assert schemas["SendSmsRequest"]["properties"]["phone"]["pattern"] == "^\\+[1-9][0-9]{1,14}$"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"provider": "paypal", "payment_method": "pm_card_visa"}, "payment_method"),
        ({"provider": "bitcoin"}, "provider"),
        ({}, "provider"),
        ({"provider": "stripe", "return_url": "ftp://shop.example/back"}, "return_url"),
    ],
)
def test_a_payment_request_the_document_refuses_names_its_field(
    api: Api, body: dict[str, Any], field: str
) -> None:
    resp = api.client.post(f"/api/v1/orders/{api.new_order()}/payments", json=body)
    assert resp.status_code == 422 and problem_type(resp) == "validation-error"
    assert field in {error["field"] for error in resp.json["errors"]}, resp.json


def test_whole_numbers_may_be_written_with_a_zero_fraction(api: Api) -> None:
    body = json.dumps(ORDER).replace('"quantity": 1', '"quantity": 2.0').replace("850", "8.5e2")
    resp = api.client.post("/api/v1/orders", data=body, content_type="application/json")
    assert resp.status_code == 201, resp.json
    assert resp.json["items"][0]["quantity"] == 2 and resp.json["total_amount"] == 1700


def test_every_post_operation_of_the_document_has_a_case(api: Api) -> None:
    posted = {ops["post"]["operationId"] for ops in api.doc["paths"].values() if "post" in ops}
    assert posted == set(CASES)


@pytest.mark.parametrize("operation_id", sorted(CASES))
def test_the_service_accepts_what_its_openapi_document_allows(api: Api, operation_id: str) -> None:
    check_operation(api, operation_id)


#: the operations that store free text the client chose (PostgreSQL refuses some text SQLite takes)
STORING_TEXT = ["cancelOrder", "createOrder", "startPayment"]


@pytest.mark.postgres
@pytest.mark.parametrize("operation_id", STORING_TEXT)
def test_the_same_holds_on_postgresql(postgres_api: Api, operation_id: str) -> None:
    check_operation(postgres_api, operation_id, examples=15)


def check_operation(api: Api, operation_id: str, examples: int | None = None) -> None:
    path, operation = api.operation(operation_id)
    case = CASES[operation_id]

    drawn_requests = request_strategy(api, operation)
    if case.vary is not None:
        drawn_requests = case.vary(drawn_requests)
    body_schema = operation.get("requestBody", {}).get("content", {}).get("application/json")
    body_validator = Draft202012Validator(api.schema(body_schema["schema"])) if body_schema else None

    @settings(
        max_examples=examples or EXAMPLES.get(operation_id, 8),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
    )
    @given(drawn=drawn_requests)
    def property_(drawn: dict[str, Any]) -> None:
        if (
            body_validator is not None and drawn["body"] is not None
        ):  # what is sent is what the document allows
            body_validator.validate(drawn["body"])
        api.forget_idempotency_keys()
        resp = send(api, case.path(api, path), drawn)
        check_documented(api, operation, resp)
        case.answer(api, drawn, resp)

    property_()
