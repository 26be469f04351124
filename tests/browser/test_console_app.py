"""The lab console without a browser: its Flask app (test client) on one in-process Stripe simulator, and its
masking. Fast checks of what the browser test cannot reach cheaply: every action's control-API call and its
error path, the fragments, the masks, the same-origin rule for actions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient

from simulators.lab.console import ConsoleConfig, LabPart, LabView, create_app
from simulators.lab.console.masking import MASK, mask_body, mask_headers, mask_text
from simulators.lab.console.presets import PRESETS
from simulators.testing import RunningSimulator, running


@pytest.fixture(scope="module")
def stripe() -> Iterator[RunningSimulator]:
    with running("stripe") as sim:
        yield sim


@pytest.fixture
def console(stripe: RunningSimulator) -> Iterator[FlaskClient]:
    stripe.client.reset()
    config = ConsoleConfig((LabPart("stripe", "simulator", stripe.url, "/_sim/health"),))
    view = LabView(config)
    try:
        yield create_app(config, view).test_client()
    finally:
        view.close()


HTMX = {"HX-Request": "true"}


def test_a_rule_from_the_form_is_created_listed_with_its_fired_count_and_deleted(
    console: FlaskClient, stripe: RunningSimulator
) -> None:
    form = {"simulator": "stripe", "method": "POST", "path": "/v1/payment_intents*", "action": "status",
            "status": "502", "times": "2", "description": "two bad gateways"}  # fmt: skip
    answer = console.post("/faults", data=form, headers=HTMX)
    assert answer.status_code == 200 and answer.headers["HX-Trigger"] == "lab-changed"
    assert "rule flt_1 added" in answer.text
    rule = stripe.client.get_fault("flt_1")
    assert rule["match"] == {"method": "POST", "path": "/v1/payment_intents*"}
    assert rule["action"]["status"] == 502 and rule["remaining"] == 2
    listed = console.get("/f/faults").text
    assert 'data-rule="flt_1"' in listed and 'data-fired="0"' in listed and "two bad gateways" in listed
    assert console.post("/faults/delete", data={"simulator": "stripe", "rule_id": "flt_1"}).status_code == 303
    assert stripe.client.faults() == []


def test_presets_send_their_rules_and_bad_input_comes_back_as_a_message(
    console: FlaskClient, stripe: RunningSimulator
) -> None:
    answer = console.post("/faults/preset", data={"preset": "stripe-outage", "seconds": "90"}, headers=HTMX)
    assert "Stripe outage: rule flt_1 on stripe for 90s" in answer.text
    (rule,) = stripe.client.faults()
    assert rule["window"]["duration"] == 90 and rule["action"]["status"] == 503
    assert {p.slug for p in PRESETS} >= {"stripe-outage", "sns-down", "paypal-slow", "kafka-down"}
    no_aws = console.post("/faults/preset", data={"preset": "sns-down"}, headers=HTMX)
    assert "flash bad" in no_aws.text and "no simulator called &#39;aws&#39;" in no_aws.text
    no_kafka = console.post("/faults/preset", data={"preset": "kafka-down"}, headers=HTMX)
    assert "no Kafka mock cluster" in no_kafka.text
    plain = console.post("/faults", data={"simulator": "stripe", "action": "explode"},
                         headers={"Referer": "http://localhost/faults"})  # fmt: skip
    assert plain.status_code == 303 and plain.headers["Location"].startswith("/faults?error=action")


def test_the_clock_advances_and_unknown_deliveries_are_reported(
    console: FlaskClient, stripe: RunningSimulator
) -> None:
    before = stripe.client.clock()["offset"]
    answer = console.post("/clock", data={"simulator": "all", "seconds": "3600"}, headers=HTMX)
    assert "advanced stripe by 3600s" in answer.text
    assert stripe.client.clock()["offset"] == pytest.approx(before + 3600)
    assert 'data-simulator="stripe"' in console.get("/f/clock").text
    missing = console.post("/webhooks/redeliver", data={"simulator": "stripe", "delivery_id": "dlv_nope"},
                           headers=HTMX)  # fmt: skip
    assert "flash bad" in missing.text and "404" in missing.text


def test_pages_render_and_actions_from_another_origin_are_refused(console: FlaskClient) -> None:
    for page in ("/", "/timeline", "/webhooks", "/faults", "/clock", "/alerts"):
        body = console.get(page).text
        assert 'href="#main"' in body and "htmx.min.js" in body, page
    assert "genai-demo up --observability" in console.get("/alerts").text
    assert "this lab has no service" in console.get("/f/timeline?order_id=ord_1").text
    forged = console.post("/clock", data={"simulator": "all", "seconds": "60"},
                          headers={"Origin": "http://evil.example"})  # fmt: skip
    assert forged.status_code == 403
    assert console.get("/api/lab").json["parts"][0]["name"] == "stripe"


def test_bodies_and_headers_are_masked() -> None:
    form = "amount=1250&client_secret=pi_1_secret_abc&card[number]=4242424242424242&card[cvc]=123"
    form += "&email=ada%40example.com"
    shown = mask_body(form, "application/x-www-form-urlencoded")
    assert "client_secret = ****" in shown and "card[cvc] = ****" in shown and "card[number] = ****" in shown
    assert "email = a***@example.com" in shown and "amount = 1250" in shown
    json_body = (
        '{"password": "hunter2", "to": "+14155550199", "nested": {"api_key": "k", "note": "Bearer abc.def"}}'
    )
    shown = mask_body(json_body)
    assert "hunter2" not in shown and "+********99" in shown and "Bearer ****" in shown
    assert '"api_key": "****"' in shown
    assert mask_text("https://s3/x?X-Amz-Signature=abc123&X-Amz-Credential=AKIA") == (
        f"https://s3/x?X-Amz-Signature={MASK}&X-Amz-Credential={MASK}"
    )
    assert mask_text("key sk_test_genaidemo0000 and whsec_abcdef123") == f"key sk_{MASK} and whsec_{MASK}"
    headers = dict(mask_headers({"Idempotency-Key": "k-1", "X-Api-Token": "t", "Stripe-Signature": "v1=x"}))
    assert headers == {"Idempotency-Key": "k-1", "X-Api-Token": MASK, "Stripe-Signature": MASK}


def test_the_configuration_travels_in_the_environment_with_the_token_apart() -> None:
    config = ConsoleConfig.for_offset(1000)
    assert config.service is not None and config.service.url == "http://127.0.0.1:9000"
    assert config.part("stripe") == LabPart("stripe", "simulator", "http://127.0.0.1:13111", "/_sim/health")
    assert config.auth_issuer == "http://127.0.0.1:13116" and config.part("kafka") is not None
    with_token = ConsoleConfig(config.parts, auth_issuer=config.auth_issuer, admin_token="eyJ.secret.token")
    env = with_token.to_env()
    assert "eyJ.secret.token" not in env["CONSOLE_LAB"] and env["CONSOLE_ADMIN_TOKEN"] == "eyJ.secret.token"
    back = ConsoleConfig.from_env(env)
    assert back.parts == config.parts and back.admin_token == "eyJ.secret.token"
    assert "eyJ.secret.token" not in str(back) and "eyJ.secret.token" not in str(back.describe())
