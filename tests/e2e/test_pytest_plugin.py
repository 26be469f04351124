"""The lab's pytest plugin as a user meets it: test files outside this repository, in a directory with no
``conftest.py``, get ``stripe_sim`` & co. from the ``pytest11`` entry point of the installed project. The
README's example is ``docs/examples/test_stripe_retry.py``, run here exactly as the README shows it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO

EXAMPLE = REPO / "docs" / "examples" / "test_stripe_retry.py"

#: a second user file: every fixture with its official SDK, state isolation, the context manager
USER_TESTS = """
import boto3
import requests
import stripe
from twilio.rest import Client

import simulators


def test_one_creates_state(stripe_sim):
    client = stripe.StripeClient("sk_test_user", base_addresses={"api": stripe_sim.url})
    client.v1.payment_intents.create(params={"amount": 500, "currency": "eur"})
    assert len(stripe_sim.journal()) == 1


def test_two_starts_clean(stripe_sim):
    client = stripe.StripeClient("sk_test_user", base_addresses={"api": stripe_sim.url})
    assert client.v1.payment_intents.list().data == []
    assert [(e["method"], e["path"]) for e in stripe_sim.journal()] == [("GET", "/v1/payment_intents")]


def test_paypal_token_and_a_rate_limit(paypal_sim):
    paypal_sim.fault(path="/v1/oauth2/token", action={"type": "rate_limit", "retry_after": 1}, times=1)
    url = paypal_sim.url + "/v1/oauth2/token"
    form = {"grant_type": "client_credentials"}
    auth = ("genai-demo-client", "genai-demo-secret")
    assert requests.post(url, data=form, auth=auth, timeout=5).status_code == 429
    assert requests.post(url, data=form, auth=auth, timeout=5).json()["token_type"] == "Bearer"


def test_twilio_lifecycle_and_callbacks(twilio_sim, webhook_receiver):
    client = Client("AC00000000000000000000000000000000", "genai-demo-twilio-token")
    client.api.base_url = twilio_sim.url
    msg = client.messages.create(
        to="+14155550100", from_="+15005550006", body="hi", status_callback=webhook_receiver.url
    )
    twilio_sim.advance(60)
    assert client.messages(msg.sid).fetch().status == "delivered"
    webhook_receiver.wait_for(4)


def test_aws_through_boto3(aws_sim):
    sns = boto3.client("sns", endpoint_url=aws_sim.url, region_name="us-east-1",
                       aws_access_key_id="x", aws_secret_access_key="y")
    sns.publish(PhoneNumber="+14155550100", Message="shipped")
    assert aws_sim.client.get("aws/sms")["data"][0]["message"] == "shipped"


def test_without_pytest_fixtures():
    with simulators.running("stripe") as sim:
        sim.fault(path="/v1/payment_intents", status=500, times=1)
        client = stripe.StripeClient("sk_test_user", base_addresses={"api": sim.url})
        try:
            client.v1.payment_intents.create(params={"amount": 1, "currency": "usd"})
        except stripe.APIError:
            pass
        else:
            raise AssertionError("the 500 fault did not fire")
        assert sim.journal()[0]["status"] == 500
"""


def test_the_readme_example_is_the_example_file() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.DOTALL)
    assert EXAMPLE.read_text("utf-8") in blocks


@pytest.mark.e2e
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_users_tests_outside_the_repository_get_the_fixtures(tmp_path: Path) -> None:
    (tmp_path / EXAMPLE.name).write_text(EXAMPLE.read_text("utf-8"))
    (tmp_path / "test_user_lab.py").write_text(USER_TESTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH"))}
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "--trace-config"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert re.search(r"=+ 7 passed in ", out.stdout.splitlines()[-1]), out.stdout[-2000:]
    assert f"rootdir: {tmp_path}" in out.stdout  # not this repository's configuration
    assert not list(tmp_path.glob("conftest.py"))
    # loaded as a registered third-party plugin (the pytest11 entry point), not from a conftest
    third_party = out.stdout.split("registered third-party plugins:", 1)[1].split("active plugins:", 1)[0]
    assert re.search(r"^\s+genai-demo-lab-\S+ at \S+/simulators/pytest_plugin\.py$", third_party, re.M)
