"""The delivery lifecycle on the simulated clock and its signed StatusCallbacks."""

from __future__ import annotations

import base64

import pytest
import requests
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from simulators.testing import RunningSimulator, WebhookReceiver, poll

from .conftest import ACCOUNT, FROM, TOKEN, api, statuses, wait_for_status
from .spec import MESSAGE, violations


def test_every_status_is_posted_signed_to_the_status_callback(
    client: Client, sim: RunningSimulator, receiver: WebhookReceiver
) -> None:
    delays = {"sending": 5, "sent": 5, "final": 5}
    requests.post(sim.control_url + "twilio/settings", json={"delays": delays}, timeout=5).raise_for_status()
    url = receiver.url_for(query="order=42&kind=sms")
    msg = client.messages.create(to="+14155550100", from_=FROM, body="hi", status_callback=url)
    wait_for_status(receiver, msg.sid, "queued")
    assert client.messages(msg.sid).fetch().status == "queued"  # nothing moves before 5 simulated s
    sim.advance(5)
    assert client.messages(msg.sid).fetch().status == "sending"
    sim.advance(10)
    delivered = wait_for_status(receiver, msg.sid, "delivered")
    # Deliveries run on a worker pool, so callbacks may arrive out of order (as with Twilio).
    assert sorted(statuses(receiver, msg.sid)) == sorted(["queued", "sending", "sent", "delivered"])
    assert all(c.valid for c in receiver.received)
    assert delivered.url == url
    form = delivered.form
    assert form["MessageSid"] == form["SmsSid"] == msg.sid and form["SmsStatus"] == "delivered"
    assert form["AccountSid"] == ACCOUNT and form["From"] == FROM and form["To"] == "+14155550100"
    assert form["ApiVersion"] == "2010-04-01" and len(form["RawDlrDoneDate"]) == 10
    assert "ErrorCode" not in form
    assert delivered.headers["User-Agent"] == "TwilioProxy/1.1"
    assert delivered.headers["I-Twilio-Idempotency-Token"]
    history = requests.get(sim.control_url + f"twilio/messages/{msg.sid}", timeout=5).json()["sim"]["history"]
    assert [h["status"] for h in history] == ["queued", "sending", "sent", "delivered"]
    assert [round(b["time"] - a["time"], 3) for a, b in zip(history, history[1:], strict=False)] == [5, 5, 5]


def test_a_forged_signature_does_not_verify(receiver: WebhookReceiver) -> None:
    url = receiver.url_for(query="a=1")
    params = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"}
    signature = RequestValidator(TOKEN).compute_signature(url, params)
    ok = requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=5)
    forged = base64.b64encode(b"0" * 20).decode()
    bad = requests.post(url, data=params, headers={"X-Twilio-Signature": forged}, timeout=5)
    tampered = requests.post(
        url, data={**params, "MessageStatus": "failed"}, headers={"X-Twilio-Signature": signature}, timeout=5
    )
    assert (ok.status_code, bad.status_code, tampered.status_code) == (200, 403, 403)
    assert [c.valid for c in receiver.received] == [True, False, False]


@pytest.mark.parametrize(
    ("to", "status", "code"),
    [
        ("+15005553003", "undelivered", 30003),
        ("+15005553005", "undelivered", 30005),
        ("+15005553006", "undelivered", 30006),
        ("+15005553008", "failed", 30008),
    ],
)
def test_magic_outcome_numbers(
    client: Client, sim: RunningSimulator, receiver: WebhookReceiver, to: str, status: str, code: int
) -> None:
    msg = client.messages.create(to=to, from_=FROM, body="x", status_callback=receiver.url)
    assert msg.status == "queued"
    sim.advance(10)
    done = client.messages(msg.sid).fetch()
    assert done.status == status and done.error_code == code and done.error_message
    assert violations(MESSAGE, "get", 200, api(sim, "GET", f"/Messages/{msg.sid}.json").json()) == []
    last = wait_for_status(receiver, msg.sid, status)
    assert last.valid and last.form["ErrorCode"] == str(code)
    expected = (
        ["queued", "sending", "failed"] if status == "failed" else ["queued", "sending", "sent", status]
    )
    assert sorted(statuses(receiver, msg.sid)) == sorted(expected)


def test_configured_numbers_and_forced_outcomes(
    client: Client, sim: RunningSimulator, receiver: WebhookReceiver
) -> None:
    number = "+14155550123"
    resp = requests.post(
        sim.control_url + "twilio/numbers",
        json={"number": number, "outcome": "undelivered", "error_code": 30006},
        timeout=5,
    )
    assert resp.status_code == 201 and resp.json()["error_message"] == "Landline or unreachable carrier"
    first = client.messages.create(to=number, from_=FROM, body="x", status_callback=receiver.url)
    second = client.messages.create(to="+14155550100", from_=FROM, body="y", status_callback=receiver.url)
    forced = requests.post(
        sim.control_url + f"twilio/messages/{second.sid}/outcome",
        json={"error_code": 30003, "now": True},
        timeout=5,
    )
    assert forced.status_code == 200 and forced.json()["status"] == "undelivered"
    assert wait_for_status(receiver, second.sid, "undelivered").form["ErrorCode"] == "30003"
    again = requests.post(
        sim.control_url + f"twilio/messages/{second.sid}/outcome", json={"outcome": "delivered"}
    )
    assert again.status_code == 409
    sim.advance(10)
    assert client.messages(first.sid).fetch().error_code == 30006
    listed = requests.get(sim.control_url + "twilio/numbers", timeout=5).json()["data"]
    assert listed == [
        {
            "number": number,
            "outcome": "undelivered",
            "error_code": 30006,
            "error_message": listed[0]["error_message"],
        }
    ]
    assert requests.delete(sim.control_url + f"twilio/numbers/{number}", timeout=5).status_code == 200


def test_lifecycle_delays_are_configurable(client: Client, sim: RunningSimulator) -> None:
    resp = requests.post(sim.control_url + "twilio/settings", json={"delays": {"final": 60}}, timeout=5)
    assert resp.json()["delays"] == {"queued": 0.5, "sending": 0.5, "sent": 1.0, "final": 60.0}
    msg = client.messages.create(to="+14155550100", from_=FROM, body="slow carrier")
    sim.advance(10)
    assert client.messages(msg.sid).fetch().status == "sent"
    sim.advance(60)
    assert client.messages(msg.sid).fetch().status == "delivered"
    bad = requests.post(sim.control_url + "twilio/settings", json={"delays": {"final": -1}}, timeout=5)
    assert bad.status_code == 400


def test_failed_callbacks_are_retried_by_the_dispatcher(
    client: Client, sim: RunningSimulator, receiver: WebhookReceiver
) -> None:
    receiver.default = 500
    msg = client.messages.create(to="+14155550100", from_=FROM, body="x", status_callback=receiver.url)
    wait_for_status(receiver, msg.sid, "queued")
    receiver.default = 200
    sim.advance(6)  # past the first retry (5 s) and the whole lifecycle
    [queued] = poll(lambda: sim.deliveries(event_type="message.queued", status="succeeded"))
    assert [a["status_code"] for a in queued["attempts"]] == [500, 200]
    assert queued["attempts"][0]["request_headers"]["X-Twilio-Signature"] == "****"


def test_test_credentials_fire_no_callbacks(sim: RunningSimulator, receiver: WebhookReceiver) -> None:
    sid = "AC" + "9" * 32
    requests.post(
        sim.control_url + "twilio/accounts",
        json={"account_sid": sid, "auth_token": "tt", "test": True},
        timeout=5,
    ).raise_for_status()
    test_client = Client(sid, "tt")
    test_client.api.base_url = sim.url
    msg = test_client.messages.create(to="+14155550100", from_=FROM, body="x", status_callback=receiver.url)
    sim.advance(10)
    assert sim.deliveries() == [] and receiver.received == []
    shown = requests.get(sim.control_url + f"twilio/messages/{msg.sid}", timeout=5).json()
    assert shown["status"] == "queued" and shown["sim"]["test"] is True


def test_reset_forgets_messages_and_registered_accounts(client: Client, sim: RunningSimulator) -> None:
    extra = requests.post(sim.control_url + "twilio/accounts", json={}, timeout=5).json()
    assert extra["account_sid"].startswith("AC") and extra["auth_token"]
    client.messages.create(to="+14155550100", from_=FROM, body="x")
    requests.post(sim.control_url + "reset", json={}, timeout=5).raise_for_status()
    assert client.messages.list() == []
    accounts = requests.get(sim.control_url + "twilio/accounts", timeout=5).json()["data"]
    assert [a["account_sid"] for a in accounts] == [ACCOUNT]
    assert client.messages.create(to="+14155550100", from_=FROM, body="still works").status == "queued"
