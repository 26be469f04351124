"""The Messages API through the official ``twilio`` SDK and raw HTTP: resources, paging, errors, spec."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

import simulators
from simulators.testing import RunningSimulator

from .conftest import ACCOUNT, FROM, TOKEN, api
from .spec import MESSAGE, MESSAGES, violations

RFC2822 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$")


def test_create_returns_a_queued_message_that_matches_the_spec(sim: RunningSimulator) -> None:
    resp = api(sim, "POST", "/Messages.json", data={"To": "+14155550100", "From": FROM, "Body": "Hello!"})
    assert resp.status_code == 201
    body = resp.json()
    assert violations(MESSAGES, "post", 201, body) == []
    assert re.fullmatch(r"SM[0-9a-f]{32}", body["sid"])
    assert body["account_sid"] == ACCOUNT and body["from"] == FROM and body["to"] == "+14155550100"
    assert body["status"] == "queued" and body["direction"] == "outbound-api"
    assert body["num_segments"] == "1" and body["num_media"] == "0"
    assert body["price"] is None and body["error_code"] is None and body["error_message"] is None
    assert body["api_version"] == "2010-04-01" and body["messaging_service_sid"] is None
    assert RFC2822.match(body["date_created"]) and RFC2822.match(body["date_updated"])
    assert body["uri"] == f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{body['sid']}.json"
    assert body["subresource_uris"]["media"] == body["uri"].replace(".json", "/Media.json")
    assert resp.headers["Twilio-Request-Id"].startswith("RQ")


def test_sdk_create_fetch_and_list(client: Client, sim: RunningSimulator) -> None:
    created = client.messages.create(to="+14155550100", from_=FROM, body="Order 42 shipped")
    assert created.status == "queued" and created.date_created.tzinfo is not None
    fetched = client.messages(created.sid).fetch()
    assert fetched.sid == created.sid and fetched.body == "Order 42 shipped"
    sim.advance(10)
    delivered = client.messages(created.sid).fetch()
    assert delivered.status == "delivered" and delivered.price == "-0.00790" and delivered.price_unit == "USD"
    assert delivered.date_sent is not None
    assert violations(MESSAGE, "get", 200, api(sim, "GET", f"/Messages/{created.sid}.json").json()) == []
    assert [m.sid for m in client.messages.list(to="+14155550100")] == [created.sid]
    assert client.messages.list(to="+14155550199") == []


def test_list_pages_newest_first_with_twilio_envelope(client: Client, sim: RunningSimulator) -> None:
    sids = [client.messages.create(to="+14155550100", from_=FROM, body=f"#{i}").sid for i in range(5)]
    page = api(sim, "GET", "/Messages.json", params={"PageSize": 2, "To": "+14155550100"}).json()
    assert violations(MESSAGES, "get", 200, page) == []
    assert [m["sid"] for m in page["messages"]] == sids[::-1][:2]
    assert page["page"] == 0 and page["page_size"] == 2 and page["start"] == 0 and page["end"] == 1
    assert page["previous_page_uri"] is None
    assert (
        page["first_page_uri"]
        == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json?To=%2B14155550100&PageSize=2&Page=0"
    )
    assert page["next_page_uri"].endswith(f"Page=1&PageToken=PA{sids[3]}")
    second = requests.get(sim.url + page["next_page_uri"], auth=(ACCOUNT, TOKEN), timeout=5).json()
    assert [m["sid"] for m in second["messages"]] == [sids[2], sids[1]]
    assert second["previous_page_uri"] is not None
    # the SDK follows next_page_uri through the base URL
    assert [m.sid for m in client.messages.list(page_size=2)] == sids[::-1]
    assert [m.sid for m in client.messages.list(limit=3, page_size=2)] == sids[::-1][:3]


def test_list_filters_by_date_sent(client: Client, sim: RunningSimulator) -> None:
    sid = client.messages.create(to="+14155550100", from_=FROM, body="dated").sid
    sim.advance(1)
    sent = client.messages(sid).fetch().date_sent
    assert sent is not None
    assert [m.sid for m in client.messages.list(date_sent=sent.date())] == [sid]
    assert [m.sid for m in client.messages.list(date_sent_before=sent.date())] == [sid]
    later = datetime(sent.year + 1, 1, 1, tzinfo=UTC)
    assert client.messages.list(date_sent_after=later) == []
    day = sent.date().isoformat()
    raw = api(sim, "GET", "/Messages.json", params={"DateSent>": day}).json()
    assert [m["sid"] for m in raw["messages"]] == [sid] and "DateSent%3E=" in raw["uri"]


def test_segments_and_encodings(client: Client) -> None:
    def segments(body: str) -> str:
        return str(client.messages.create(to="+14155550100", from_=FROM, body=body).num_segments)

    assert segments("a" * 160) == "1"
    assert segments("a" * 161) == "2"
    assert segments("€" * 80) == "1"  # extension table: two septets each
    assert segments("€" * 81) == "2"
    assert segments("é" * 160) == "1"  # é is in the GSM-7 basic set
    assert segments("ç" * 70) == "1"  # ç is not: UCS-2
    assert segments("ç" * 71) == "2"
    assert segments("👍" * 35) == "1"  # a surrogate pair is two UCS-2 units
    assert segments("👍" * 36) == "2"


def test_messaging_service_messages_are_accepted_first(client: Client, sim: RunningSimulator) -> None:
    service = "MG" + "a" * 32
    msg = client.messages.create(to="+14155550100", messaging_service_sid=service, body="via service")
    assert msg.status == "accepted" and msg.num_segments == "0" and msg.from_ is None
    assert msg.messaging_service_sid == service
    sim.advance(10)
    done = client.messages(msg.sid).fetch()
    assert done.status == "delivered" and done.num_segments == "1" and done.from_ == "+15005550006"


def test_media_messages_get_an_mm_sid(client: Client) -> None:
    msg = client.messages.create(to="+14155550100", from_=FROM, media_url=["https://example.com/a.png"])
    assert msg.sid.startswith("MM") and msg.num_media == "1"


def test_redact_and_delete(client: Client, sim: RunningSimulator) -> None:
    msg = client.messages.create(to="+14155550100", from_=FROM, body="secret code 1234")
    assert client.messages(msg.sid).update(body="").body == ""
    redacted = api(sim, "POST", f"/Messages/{msg.sid}.json", data={"Body": ""})
    assert redacted.status_code == 200 and violations(MESSAGE, "post", 200, redacted.json()) == []
    with pytest.raises(TwilioRestException) as err:
        client.messages(msg.sid).update(body="not empty")
    assert err.value.code == 30400
    with pytest.raises(TwilioRestException) as err:
        client.messages(msg.sid).update(status="canceled")
    assert err.value.code == 30409
    assert client.messages(msg.sid).delete() is True
    with pytest.raises(TwilioRestException) as err:
        client.messages(msg.sid).fetch()
    assert err.value.status == 404 and err.value.code == 20404
    assert f"/Messages/{msg.sid}.json was not found" in err.value.msg


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"From": FROM, "Body": "x"}, 21604),
        ({"To": "+14155550100", "Body": "x"}, 21603),
        ({"To": "+14155550100", "From": FROM}, 21602),
        ({"To": "+14155550100", "From": FROM, "Body": "x" * 1601}, 21617),
        ({"To": "14155550100", "From": FROM, "Body": "x"}, 21211),
        ({"To": "+14155550100", "From": "not a number!", "Body": "x"}, 21212),
        ({"To": "+14155550100", "MessagingServiceSid": "MGnope", "Body": "x"}, 21701),
        ({"To": "+14155550100", "From": FROM, "Body": "x", "StatusCallback": "ftp://x"}, 21609),
        ({"To": "+14155550100", "From": FROM, "Body": "x", "StatusCallback": "not a url"}, 21609),
        ({"To": "+14155550100", "From": FROM, "Body": "x", "ValidityPeriod": "abc"}, 21624),
        ({"To": "+14155550100", "From": FROM, "Body": "x", "ValidityPeriod": "36001"}, 21624),
        ({"To": "+14155550100", "From": FROM, "Body": "x", "ValidityPeriod": "0"}, 21624),
        ({"To": "+14155550100", "From": FROM, "Body": "x", "RiskCheck": "bogus"}, 20001),
        ({"To": "+14155550100", "From": FROM, "Body": "x", "SendAsMms": "maybe"}, 20001),
        ({"To": "+14155550100", "From": FROM, "Body": "x", "MaxPrice": "cheap"}, 20001),
        ({"To": "+14155550100", "From": FROM, "Body": "x", "Attempt": "1.5"}, 20001),
        ({"To": "+14155550100", "From": FROM, "Body": "x", "SendAt": "tomorrow"}, 20001),
        ({"To": "+14155550100", "From": FROM, "Body": "x", "ApplicationSid": "AP123"}, 21218),
        ({"To": "+14155550100", "From": FROM, "ContentSid": "HXnope"}, 21655),
    ],
)
def test_validation_errors_have_twilio_bodies(
    sim: RunningSimulator, params: dict[str, str], code: int
) -> None:
    resp = api(sim, "POST", "/Messages.json", data=params)
    assert resp.status_code == 400
    body = resp.json()
    assert body == {
        "code": code,
        "message": body["message"],
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": 400,
    }
    assert list(body) == ["code", "message", "more_info", "status"]
    assert api(sim, "GET", "/Messages.json").json()["messages"] == []  # nothing was stored


@pytest.mark.parametrize(
    ("to", "from_", "code"),
    [
        ("+15005550001", FROM, 21211),
        ("+15005550002", FROM, 21612),
        ("+15005550003", FROM, 21408),
        ("+15005550004", FROM, 21610),
        ("+15005550009", FROM, 21614),
        ("+14155550100", "+15005550001", 21212),
        ("+14155550100", "+15005550007", 21606),
        ("+14155550100", "+15005550008", 21611),
    ],
)
def test_magic_numbers_raise_twilio_rest_exception(client: Client, to: str, from_: str, code: int) -> None:
    with pytest.raises(TwilioRestException) as err:
        client.messages.create(to=to, from_=from_, body="magic")
    assert err.value.status == 400 and err.value.code == code


def test_credentials_must_match_a_configured_account(sim: RunningSimulator) -> None:
    wrong = Client(ACCOUNT, "wrong-token")
    wrong.api.base_url = sim.url
    with pytest.raises(TwilioRestException) as err:
        wrong.messages.create(to="+14155550100", from_=FROM, body="x")
    assert err.value.status == 401 and err.value.code == 20003
    with pytest.raises(TwilioException):
        wrong.messages.list()  # the SDK reports a failed page load as TwilioException
    resp = requests.get(f"{sim.url}/2010-04-01/Accounts/{ACCOUNT}/Messages.json", timeout=5)
    assert resp.status_code == 401 and resp.json()["code"] == 20003
    assert resp.headers["WWW-Authenticate"].startswith("Basic")


def test_the_account_in_the_url_must_be_the_authenticated_one(sim: RunningSimulator) -> None:
    other = "AC" + "1" * 32
    requests.post(
        sim.control_url + "twilio/accounts", json={"account_sid": other, "auth_token": "t2"}, timeout=5
    )
    resp = requests.post(
        f"{sim.url}/2010-04-01/Accounts/{other}/Messages.json",
        auth=(ACCOUNT, TOKEN),
        data={"To": "+14155550100", "From": FROM, "Body": "x"},
        timeout=5,
    )
    assert resp.status_code == 401 and resp.json()["code"] == 20003
    own = Client(other, "t2")
    own.api.base_url = sim.url
    assert own.messages.create(to="+14155550100", from_=FROM, body="x").account_sid == other


def test_env_credentials_replace_the_lab_defaults() -> None:
    env = {"TWILIO_ACCOUNT_SID": "AC" + "2" * 32, "TWILIO_AUTH_TOKEN": "from-env"}
    with simulators.running("twilio", env=env, seed=1) as sim:
        good = Client(env["TWILIO_ACCOUNT_SID"], "from-env")
        good.api.base_url = sim.url
        assert good.messages.create(to="+14155550100", from_=FROM, body="x").status == "queued"
        lab = Client(ACCOUNT, TOKEN)
        lab.api.base_url = sim.url
        with pytest.raises(TwilioRestException) as err:
            lab.messages.create(to="+14155550100", from_=FROM, body="x")
        assert err.value.code == 20003


def test_rate_limit_and_status_faults_answer_twilio_errors(client: Client, sim: RunningSimulator) -> None:
    rule = {
        "match": {"operation": "CreateMessage"},
        "action": {"type": "rate_limit", "retry_after": 2},
        "times": 1,
    }
    assert requests.post(sim.control_url + "faults", json=rule, timeout=5).status_code == 201
    with pytest.raises(TwilioRestException) as err:
        client.messages.create(to="+14155550100", from_=FROM, body="x")
    assert err.value.status == 429 and err.value.code == 20429
    rule = {"match": {"path": "/2010-04-01/*"}, "action": {"type": "status", "status": 503}, "times": 1}
    requests.post(sim.control_url + "faults", json=rule, timeout=5)
    resp = api(sim, "GET", "/Messages.json")
    assert resp.status_code == 503
    assert resp.json() == {
        "code": 20503,
        "message": "Service Unavailable",
        "more_info": "https://www.twilio.com/docs/errors/20503",
        "status": 503,
    }
    journal = requests.get(
        sim.control_url + "journal", params={"operation": "CreateMessage"}, timeout=5
    ).json()
    assert journal["data"][0]["account"] == ACCOUNT and journal["data"][0]["status"] == 429
    assert journal["data"][0]["headers"]["Authorization"] == "Basic ****"


def test_test_credentials_create_but_cannot_read(sim: RunningSimulator) -> None:
    test_sid = "AC" + "7" * 32
    requests.post(
        sim.control_url + "twilio/accounts",
        json={"account_sid": test_sid, "auth_token": "test-token", "test": True},
        timeout=5,
    ).raise_for_status()
    test_client = Client(test_sid, "test-token")
    test_client.api.base_url = sim.url
    msg = test_client.messages.create(to="+14155550100", from_="+15005550006", body="test creds")
    assert msg.status == "queued"
    with pytest.raises(TwilioRestException) as err:
        test_client.messages.create(to="+14155550100", from_="+14155550111", body="not a magic From")
    assert err.value.code == 21606
    with pytest.raises(TwilioRestException) as err:
        test_client.messages(msg.sid).fetch()
    assert err.value.status == 403 and err.value.code == 20008


def test_valid_optional_parameters_are_accepted(sim: RunningSimulator) -> None:
    """The documented values of the optional parameters pass, and an empty value counts as absent."""
    params = {
        "To": "+14155550100", "From": FROM, "Body": "x", "ValidityPeriod": "36000", "RiskCheck": "disable",
        "SendAsMms": "True", "MaxPrice": "0.75", "Attempt": "2", "ContentRetention": "discard",
        "SendAt": "2030-01-01T10:00:00Z", "ScheduleType": "fixed", "StatusCallback": "",
    }  # fmt: skip
    assert api(sim, "POST", "/Messages.json", data=params).status_code == 201


@pytest.mark.parametrize(
    "query", [{"PageSize": "1001"}, {"PageSize": "0"}, {"PageSize": "x"}, {"Page": "-1"}]
)
def test_list_paging_outside_its_range_is_400(sim: RunningSimulator, query: dict[str, str]) -> None:
    """``PageSize`` is 1..1000 and ``Page`` >= 0 (the spec's bounds); outside them Twilio answers 400."""
    resp = api(sim, "GET", "/Messages.json", params=query)
    assert resp.status_code == 400 and resp.json()["code"] == 20001
    assert api(sim, "GET", "/Messages.json", params={"PageSize": "1000"}).status_code == 200
