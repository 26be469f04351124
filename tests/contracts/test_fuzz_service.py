"""schemathesis against the service's own ``/openapi.json``, in process (WSGI), as an admin caller.

Every operation the document describes is called with generated requests, positive and negative, and
each answer must:

* never be a 5xx;
* have a status, content type and body the document states for the operation;
* accept schema-valid data (a positive case is never refused with 400/422 for a rule the document does not
  state) and refuse schema-invalid data with a 4xx.

The service runs on SQLite with the fake Stripe gateway and carrier of ``tests/conftest.py``; PayPal, AWS
(SES, SNS) and Twilio are the lab's simulators, served in this process on free ports, so no provider is
down. The signed webhook endpoints are exempt from "schema-valid data is accepted": a signature is a
rule no schema can state. Run length: ``FUZZ_EXAMPLES`` and ``FUZZ_SEED`` (defaults 25 and 42) and
``FUZZ_PHASES``, as for the simulators' fuzz (:mod:`tests.simulators.fuzz`). A failure prints its seed and
a curl command to reproduce it.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import shutil
import tempfile
import uuid
from pathlib import Path

import boto3
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from reference_service.bootstrap import bootstrap
from reference_service.config import load_settings
from reference_service.domain.payments import PaymentProvider
from reference_service.entrypoints.app import create_app
from simulators.testing import running
from tests.auth import auth_issuer
from tests.fakes import FakeLogisticsProvider, FakePaymentGateway
from tests.simulators.fuzz import SEED, config
from tests.support_notifications import TWILIO_ACCOUNT, TWILIO_TOKEN

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
#: answers that depend on a rule no schema can state (a provider's signature over the raw body)
SIGNED = "/api/v1/webhooks/"
#: refusals of schema-valid data for a rule the operation's 422 states in words because no JSON Schema
#: keyword can: a number outside its country's numbering plan (libphonenumber's metadata), an order total
#: (a sum of products) outside the providers' charge limits, and a file type that depends on the category
#: and on the file's own bytes
STATED_IN_WORDS = {
    "/problems/invalid-phone-number",
    "/problems/amount-out-of-range",
    "/problems/file-type-not-allowed",
}
SENDER = "no-reply@genai-demo.example"


def _problem_type(body: str) -> str | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document.get("type") if isinstance(document, dict) else None


def _service_app() -> Flask:
    """The service under test, built when this module is collected (schemathesis parametrizes from the
    document; its fixture loader does not work with this pytest), on a throw-away SQLite file, with the
    simulators it calls served in this process until the test run ends."""
    workdir = Path(tempfile.mkdtemp(prefix="genai-demo-fuzz-"))
    atexit.register(shutil.rmtree, workdir, ignore_errors=True)
    stack = contextlib.ExitStack()
    atexit.register(stack.close)
    aws = stack.enter_context(running("aws"))
    twilio = stack.enter_context(
        running("twilio", env={"TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN})
    )
    paypal = stack.enter_context(running("paypal"))
    ses = boto3.client(
        "ses",
        endpoint_url=aws.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    ses.verify_email_identity(EmailAddress=SENDER)  # as the lab's wiring does at start
    service_settings = load_settings(
        database_url=f"sqlite:///{workdir / 'service.db'}",
        outbox_relay_enabled=False,
        provider_retry_initial_seconds=0.0,
        provider_health_cache_seconds=0.0,
        aws_endpoint_url=aws.url,
        twilio_base_url=twilio.url,
        twilio_account_sid=TWILIO_ACCOUNT,
        twilio_auth_token=TWILIO_TOKEN,
        paypal_base_url=paypal.url,
        stripe_webhook_secret="whsec_fuzz_0123456789abcdef",
        logistics_webhook_secret="fuzz-carrier-secret",
        paypal_webhook_id="WH-FUZZ",
        ses_sender=SENDER,
        **auth_issuer().settings(),
    )
    container = bootstrap(
        service_settings,
        gateways={PaymentProvider.STRIPE: FakePaymentGateway(PaymentProvider.STRIPE)},
        logistics=FakeLogisticsProvider(),
    )
    stack.callback(container.close)
    assert container.files.provision() == "ok"  # the file bucket on the AWS simulator, as at service start
    return create_app(service_settings, container, start_relay=False)


schema = schemathesis.openapi.from_wsgi("/openapi.json", _service_app(), config=config())


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_the_service_answers_as_its_openapi_says(case: Case) -> None:
    headers = dict(case.headers or {})
    headers.pop("X-API-Key", None)  # one credential per request: the admin's token
    if "Idempotency-Key" in headers:  # a key reused for another body is refused, rightly: one per case
        headers["Idempotency-Key"] = f"fuzz-{uuid.uuid4()}"
    case.headers = {**headers, **auth_issuer().headers("admin")}
    response = case.call()
    exempt = case.path.startswith(SIGNED) or _problem_type(response.text) in STATED_IN_WORDS
    checks = CHECKS if exempt else [*CHECKS, positive_data_acceptance]
    try:
        case.validate_response(response, checks=checks)
    except FailureGroup as group:
        failures = "\n".join(f"- {f.title}: {f.message[:600]}" for f in group.exceptions)
        curl = case.as_curl_command(headers=dict(response.request.headers))
        raise AssertionError(
            f"{case.method} {case.path} -> {response.status_code} (seed {SEED})\n{failures}\n"
            f"body: {response.text[:800]}\nreproduce: {curl[:2000]}"
        ) from None
