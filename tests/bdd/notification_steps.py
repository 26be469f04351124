"""Steps about notifications (``features/notifications/``), run against ``notifications_lab``: the service
as a process wired to the AWS and Twilio simulators (``tests/support_notifications.py``). They drive the
simulators through their control API (faults, clock) and read back what each provider received.

Remembered values: ``email_to`` (the last email's recipient), ``phone`` (a fresh valid US number per
scenario), ``notification_id`` and ``message_id`` (the last notification the service returned), ``batch``
(the responses of ``I send <n> SMS``).

Vocabulary::

    Given the notifications lab is running                  (faults cleared, circuits closed)
    Given the service is subscribed to SES feedback
    Given a fresh phone number
    Given SNS is down | Twilio is down | SNS is back up
    Given SNS refuses every number as an invalid parameter
    Given the circuit's cool-down has passed
    When I send a "<TEMPLATE>" email to "<address>"            (default variables of the template)
    When I send a "<TEMPLATE>" email to "<address>" with the variables:    (doc string, JSON)
    When I send the SMS "<text>" to the phone number | to "<number>"
    When I send <n> SMS to the phone number
    When the Twilio simulator's clock moves on <n> seconds
    When a forger posts an SNS bounce for "<address>" signed with their own key
    When a forger posts a "<status>" status callback for the SMS with a wrong signature
    When a forger posts a "<status>" status callback for the SMS signed for "<url>"
    Then the AWS simulator sent <n> email(s) to "<address>"
    Then that email came from "<sender>" with the subject "<subject>"
    Then its text part contains "<text>" / its HTML part contains "<text>"
    Then its SES message id is the response field "message_id"
    Then the notification becomes "<STATUS>"
    Then the notification's history is "<provider status>, ..."          (applied reports, in order)
    Then the notification's reports include "<provider status>, ..."    (applied or stale, any order)
    Then the notification's field "<path>" is <JSON>
    Then the notification satisfies the contract "<name>"
    Then the SMS was taken by "<provider>" after trying "<provider>, ..."
    Then each was taken by "<provider>" after trying "<provider>, ..."
    Then the "<provider>" circuit is "<state>"
    Then the AWS simulator took an SMS to the phone number of type "<SMSType>"
    Then SNS received <n> publishes for the phone number
    Then SNS took a resend to "<number>"
    Then the Twilio simulator holds a message to the phone number | holds no message to the phone number
    Then no provider was called for "<number>"
"""

from __future__ import annotations

import json
import random
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

import phonenumbers
import requests
from pytest_bdd import given, parsers, then, when

import contracts
from tests.bdd.common_steps import json_literal, p, wait_until
from tests.bdd.world import ApiWorld, get_path
from tests.support_notifications import TWILIO_ACCOUNT, TWILIO_TOKEN, NotificationsLab, twilio_signature
from tests.support_sns import SnsSigner, ses_feedback

EMAIL = "/api/v1/notifications/email"
SMS = "/api/v1/notifications/sms"
STATUS_PATH = "/api/v1/webhooks/twilio/status"
DEFAULT_VARIABLES: dict[str, dict[str, Any]] = {
    "PASSWORD_RESET": {
        "customerName": "Ada",
        "resetLink": "https://shop.example/r/x",
        "expiryTime": "in 1 hour",
    },
    "ORDER_CONFIRMATION": {
        "customerName": "Ada",
        "orderNumber": "ord-1",
        "orderItems": [{"name": "Mug", "quantity": 1, "price": "8.50 USD"}],
    },
}
INVALID_PARAMETER = (
    '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>'
    "<Code>InvalidParameter</Code><Message>Invalid parameter: PhoneNumber Reason: not a valid number"
    "</Message></Error><RequestId>bdd</RequestId></ErrorResponse>"
)


def fill(world: ApiWorld, text: str) -> str:
    """``{name}`` placeholders filled from ``world.saved``; JSON braces are left alone."""
    return re.sub(r"\{(\w+)\}", lambda m: str(world.saved[m.group(1)]), text)


def providers(names: str) -> list[str]:
    return [n.strip() for n in names.split(",") if n.strip()]


def _remember_notification(world: ApiWorld) -> None:
    if world.response.status_code == 201:
        body = world.json("api/notifications/notification")
        world.saved["notification_id"] = body["id"]
        world.saved["message_id"] = body["message_id"]


def _notification(world: ApiWorld) -> dict[str, Any]:
    resp = world.session.get(
        world.base_url + "/api/v1/notifications/" + world.saved["notification_id"], timeout=10
    )
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


# ------------------------------------------------------------------------------------------- given


@given("the notifications lab is running")
def lab_running(world: ApiWorld, notifications_lab: NotificationsLab) -> None:
    resp = world.session.get(world.base_url + "/health/live", timeout=5)
    assert resp.status_code == 200, resp.text
    notifications_lab.reset()


@given("the service is subscribed to SES feedback")
def subscribed(notifications_lab: NotificationsLab) -> None:
    notifications_lab.wait_feedback_confirmed()


@given("a fresh phone number")
def fresh_phone(world: ApiWorld) -> None:
    rng = random.Random(world.nonce)
    while True:
        number = f"+1415{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number)):
            world.saved["phone"] = number
            return


@given("SNS is down")
def sns_down(notifications_lab: NotificationsLab) -> None:
    notifications_lab.aws_sim().fault({"operation": "Publish"}, {"type": "status", "status": 503})


@given("Twilio is down")
def twilio_down(notifications_lab: NotificationsLab) -> None:
    notifications_lab.twilio_sim().fault(
        {"method": "POST", "path": "*/Messages.json"}, {"type": "status", "status": 500}
    )


@given("SNS is back up")
@when("SNS is back up")
def sns_up(notifications_lab: NotificationsLab) -> None:
    notifications_lab.aws_sim().clear_faults()


@given("SNS refuses every number as an invalid parameter")
def sns_invalid(notifications_lab: NotificationsLab) -> None:
    action = {"type": "status", "status": 400, "body": INVALID_PARAMETER, "content_type": "text/xml"}
    notifications_lab.aws_sim().fault({"operation": "Publish"}, action)


@given("the circuit's cool-down has passed")
def cool_down(world: ApiWorld) -> None:
    def half_open() -> bool:
        listing = world.session.get(world.base_url + "/api/v1/admin/sms/providers", timeout=5).json()
        return any(p["name"] == "sns" and p["circuit"]["state"] == "half_open" for p in listing["data"])

    wait_until(half_open, "the sns circuit to half-open", timeout=5)


# -------------------------------------------------------------------------------------------- when


def _send_email(world: ApiWorld, template: str, to: str, variables: Any) -> None:
    body = {"type": template, "to": world.expand(to), "variables": variables}
    contracts.validate("api/notifications/send-email-request", body)
    world.saved["email_to"] = body["to"]
    world.send("POST", EMAIL, json=body)
    _remember_notification(world)


@when(p('I send a "{template:Q}" email to "{to:Q}"'))
def send_email(world: ApiWorld, template: str, to: str) -> None:
    _send_email(world, template, to, DEFAULT_VARIABLES.get(template, {}))


@when(p('I send a "{template:Q}" email to "{to:Q}" with the variables:'))
def send_email_with(world: ApiWorld, template: str, to: str, docstring: str) -> None:
    _send_email(world, template, to, json_literal(fill(world, docstring)))


def _send_sms(world: ApiWorld, text: str, phone: str) -> None:
    body = {"phone": phone, "message": text}
    world.send("POST", SMS, json=body)
    _remember_notification(world)


@when(p('I send the SMS "{text:Q}" to the phone number'))
def send_sms(world: ApiWorld, text: str) -> None:
    _send_sms(world, text, world.saved["phone"])


@when(p('I send the SMS "{text:Q}" to "{phone:Q}"'))
def send_sms_to(world: ApiWorld, text: str, phone: str) -> None:
    _send_sms(world, text, phone)


@when(p("I send {count:d} SMS to the phone number"))
def send_many(world: ApiWorld, count: int) -> None:
    batch = []
    for n in range(count):
        _send_sms(world, f"message {n + 1}", world.saved["phone"])
        assert world.response.status_code == 201, world.response.text
        batch.append(world.json())
    world.saved["batch"] = batch


@when(p("the Twilio simulator's clock moves on {seconds:d} seconds"))
def advance_twilio(notifications_lab: NotificationsLab, seconds: int) -> None:
    notifications_lab.twilio_sim().advance(seconds)


@when(p('a forger posts an SNS bounce for "{address:Q}" signed with their own key'))
def forged_bounce(world: ApiWorld, notifications_lab: NotificationsLab, address: str) -> None:
    feedback = notifications_lab.wait_feedback_confirmed()
    real_cert = notifications_lab.aws_sim().get("aws/sns/certificate")["url"]
    forger = SnsSigner(cert_url=real_cert)  # the real certificate's URL, the forger's key
    message = forger.notification(
        ses_feedback("Bounce", "forged-message", [world.expand(address)]), topic_arn=feedback["topic_arn"]
    )
    headers = {"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "Notification"}
    world.send("POST", "/api/v1/webhooks/ses", data=json.dumps(message), headers=headers)


def _callback_form(world: ApiWorld, status: str) -> dict[str, str]:
    sid = world.saved["message_id"]
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": TWILIO_ACCOUNT,
        "From": "+15005550006",
        "To": world.saved["phone"],
        "MessageStatus": status,
        "SmsStatus": status,
        "ApiVersion": "2010-04-01",
    }


@when(p('a forger posts a "{status:Q}" status callback for the SMS with a wrong signature'))
def forged_callback(world: ApiWorld, status: str) -> None:
    headers = {
        "X-Twilio-Signature": "bm90IHRoZSByaWdodCBzaWduYXR1cmU=",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    world.send("POST", STATUS_PATH, data=urlencode(_callback_form(world, status)), headers=headers)


@when(p('a forger posts a "{status:Q}" status callback for the SMS signed for "{url:Q}"'))
def misdirected_callback(world: ApiWorld, status: str, url: str) -> None:
    form = _callback_form(world, status)
    resp = world.session.post(
        world.base_url + STATUS_PATH,
        data=form,
        headers={"X-Twilio-Signature": twilio_signature(TWILIO_TOKEN, url, form)},
        timeout=10,
    )
    world.history.append(resp)


# -------------------------------------------------------------------------------------------- then


def _emails_to(lab: NotificationsLab, address: str) -> list[dict[str, Any]]:
    data = lab.aws_sim().get("aws/sent-emails", to=address)["data"]
    return [m for m in data if address in m["recipients"]]


@then(parsers.re(r'the AWS simulator sent (?P<count>\d+) emails? to "(?P<address>[^"]*)"'))
def emails_sent(world: ApiWorld, notifications_lab: NotificationsLab, count: str, address: str) -> None:
    emails = _emails_to(notifications_lab, world.expand(address))
    assert len(emails) == int(count), [m["subject"] for m in emails]


def _that_email(world: ApiWorld, lab: NotificationsLab) -> dict[str, Any]:
    emails = wait_until(lambda: _emails_to(lab, world.saved["email_to"]), "the email in the AWS simulator")
    email: dict[str, Any] = emails[-1]
    return email


@then(p('that email came from "{sender:Q}" with the subject "{subject:Q}"'))
def email_from(world: ApiWorld, notifications_lab: NotificationsLab, sender: str, subject: str) -> None:
    email = _that_email(world, notifications_lab)
    assert (email["source"], email["subject"]) == (sender, world.expand(subject)), email


@then(p('its text part contains "{text:Q}"'))
def text_part(world: ApiWorld, notifications_lab: NotificationsLab, text: str) -> None:
    email = _that_email(world, notifications_lab)
    assert world.expand(text) in email["text"], email["text"]


@then(parsers.re(r'its HTML part contains "(?P<text>.*)"$'))
def html_part(world: ApiWorld, notifications_lab: NotificationsLab, text: str) -> None:
    email = _that_email(world, notifications_lab)
    expected = world.expand(text.replace('\\"', '"'))
    assert expected in email["html"], email["html"]
    assert email["html"].startswith("<!doctype html>")


@then('its SES message id is the response field "message_id"')
def ses_message_id(world: ApiWorld, notifications_lab: NotificationsLab) -> None:
    assert _that_email(world, notifications_lab)["id"] == world.json()["message_id"]


@then(p('the notification becomes "{status:Q}"'))
def notification_becomes(world: ApiWorld, status: str) -> None:
    wait_until(lambda: _notification(world)["status"] == status, f"the notification to become {status}")


@then(p('the notification\'s history is "{statuses:Q}"'))
def notification_history(world: ApiWorld, statuses: str) -> None:
    applied = [h["provider_status"] for h in _notification(world)["history"] if h["applied"]]
    assert applied == providers(statuses), applied


@then(p('the notification\'s reports include "{statuses:Q}"'))
def notification_reports(world: ApiWorld, statuses: str) -> None:
    """Every report, applied or stale: SNS may deliver a Complaint before the Delivery it follows."""
    wanted = set(providers(statuses))

    def reported() -> bool:
        return wanted <= {h["provider_status"] for h in _notification(world)["history"]}

    wait_until(reported, f"reports {sorted(wanted)}")


@then(p('the notification\'s field "{path:Q}" is {value:Json}'))
def notification_field(world: ApiWorld, path: str, value: str) -> None:
    actual = get_path(_notification(world), path)
    assert actual == json_literal(value), actual


@then(p('the notification satisfies the contract "{name:Q}"'))
def notification_contract(world: ApiWorld, name: str) -> None:
    contracts.validate(name, _notification(world))


@then(p('the SMS was taken by "{provider:Q}" after trying "{tried:Q}"'))
def sms_taken_by(world: ApiWorld, provider: str, tried: str) -> None:
    body = world.json("api/notifications/notification")
    assert (body["provider"], body["tried"]) == (provider, providers(tried)), body


@then(p('each was taken by "{provider:Q}" after trying "{tried:Q}"'))
def each_taken_by(world: ApiWorld, provider: str, tried: str) -> None:
    for body in world.saved["batch"]:
        assert (body["provider"], body["tried"]) == (provider, providers(tried)), body


@then(p('the "{name:Q}" circuit is "{state:Q}"'))
def circuit_state(world: ApiWorld, name: str, state: str) -> None:
    listing = world.session.get(world.base_url + "/api/v1/admin/sms/providers", timeout=5).json()
    contracts.validate("api/notifications/sms-provider-list", listing)
    [found] = [p["circuit"]["state"] for p in listing["data"] if p["name"] == name]
    assert found == state, listing


def _publishes(lab: NotificationsLab, phone: str) -> list[dict[str, str]]:
    forms = [dict(parse_qsl(e["body"])) for e in lab.aws_sim().journal(operation="Publish", limit=1000)]
    return [f for f in forms if f.get("PhoneNumber") == phone]


@then(p('the AWS simulator took an SMS to the phone number of type "{sms_type:Q}"'))
def sns_took(world: ApiWorld, notifications_lab: NotificationsLab, sms_type: str) -> None:
    phone = world.saved["phone"]
    [sms] = notifications_lab.aws_sim().get("aws/sms", phone_number=phone)["data"]
    assert sms["sms_type"] == sms_type and sms["message_id"] == world.json()["message_id"]
    [publish] = _publishes(notifications_lab, phone)
    contracts.validate("providers/sns/requests/publish-sms", publish)


@then(p("SNS received {count:d} publishes for the phone number"))
def sns_publishes(world: ApiWorld, notifications_lab: NotificationsLab, count: int) -> None:
    assert len(_publishes(notifications_lab, world.saved["phone"])) == count


@then(p('SNS took a resend to "{phone:Q}"'))
def sns_resend(notifications_lab: NotificationsLab, phone: str) -> None:
    def accepted() -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = notifications_lab.aws_sim().get("aws/sms", phone_number=phone)["data"]
        return data

    wait_until(accepted, f"a resend to {phone} through SNS")


def _twilio_messages(lab: NotificationsLab, phone: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = lab.twilio_sim().get("twilio/messages", to=phone)["data"]
    return data


@then("the Twilio simulator holds a message to the phone number")
def twilio_holds(world: ApiWorld, notifications_lab: NotificationsLab) -> None:
    [message] = _twilio_messages(notifications_lab, world.saved["phone"])
    assert message["sid"] == world.json()["message_id"]
    assert message["sim"]["status_callback"].endswith(STATUS_PATH)


@then("the Twilio simulator holds no message to the phone number")
def twilio_holds_none(world: ApiWorld, notifications_lab: NotificationsLab) -> None:
    assert _twilio_messages(notifications_lab, world.saved["phone"]) == []


@then(p('no provider was called for "{phone:Q}"'))
def no_provider_called(notifications_lab: NotificationsLab, phone: str) -> None:
    assert _publishes(notifications_lab, phone) == []
    assert _twilio_messages(notifications_lab, phone) == []
    assert requests.utils.quote(phone) not in json.dumps(notifications_lab.twilio_sim().journal())
