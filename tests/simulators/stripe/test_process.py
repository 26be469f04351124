"""``genai-demo sim stripe`` as a real process (granian, one worker) driven by the official SDK: wiring, a
payment, a decline, 3DS through the page ``next_action`` points at, a signed webhook, and a clean stop."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator

import pytest
import requests
import stripe

from simulators.stripe.wiring import wire
from simulators.testing import WebhookReceiver
from tests.support import run_simulator

from .conftest import KEY

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(scope="module")
def process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    with run_simulator("stripe", tmp_path_factory.mktemp("sim-stripe"), "--seed", "3") as live:
        yield live.url, live.proc


def test_sdk_against_the_real_process(process: tuple[str, subprocess.Popen[bytes]]) -> None:
    url, _ = process
    with WebhookReceiver() as receiver:
        out = wire(url, receiver.url.removesuffix("/hook"), {"STRIPE_SECRET_KEY": KEY})
        client = stripe.StripeClient(KEY, base_addresses={"api": url})
        pi = client.v1.payment_intents.create(
            params={
                "amount": 2000,
                "currency": "usd",
                "confirm": True,
                "payment_method": "pm_card_visa",
                "payment_method_types": ["card"],
            }
        )
        assert pi.status == "succeeded" and client.v1.charges.retrieve(pi.latest_charge).paid is True
        got = receiver.wait_for(1, timeout=10)[0]
        event = stripe.Webhook.construct_event(
            got.body, got.headers["Stripe-Signature"], out["STRIPE_WEBHOOK_SECRET"]
        )
        assert event.type == "payment_intent.succeeded" and event.data.object.id == pi.id
    with pytest.raises(stripe.CardError) as exc:
        client.v1.payment_intents.create(
            params={
                "amount": 2000,
                "currency": "usd",
                "confirm": True,
                "payment_method": "pm_card_visa_chargeDeclinedInsufficientFunds",
                "payment_method_types": ["card"],
            }
        )
    assert exc.value.error is not None and exc.value.error.decline_code == "insufficient_funds"
    action = client.v1.payment_intents.create(
        params={
            "amount": 2000,
            "currency": "usd",
            "confirm": True,
            "payment_method": "pm_card_authenticationRequired",
            "return_url": "https://shop.example/back",
        }
    )
    page = action.next_action.redirect_to_url.url
    assert page.startswith(url + "/_sim/stripe/3ds/")
    done = requests.get(page + "&outcome=complete", allow_redirects=False, timeout=5)
    assert done.status_code == 303 and "redirect_status=succeeded" in done.headers["Location"]
    assert client.v1.payment_intents.retrieve(action.id).status == "succeeded"


def test_stops_cleanly_on_sigterm(process: tuple[str, subprocess.Popen[bytes]]) -> None:
    _, proc = process
    os.killpg(proc.pid, signal.SIGTERM)
    assert proc.wait(20) == 0 or proc.returncode in (-signal.SIGTERM, 143)
