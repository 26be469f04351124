"""Pure pieces of the Twilio simulator: segment counting, the signature, number validation."""

from __future__ import annotations

from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from simulators.kernel.webhooks import Delivery, WebhookTarget
from simulators.twilio.models_segments import count_segments
from simulators.twilio.validation import is_valid_from, is_valid_to
from simulators.twilio.webhooks import TwilioSigner, compute_signature, form_params


def test_gsm7_segments_never_split_an_extension_character() -> None:
    assert count_segments("").segments == 1
    info = count_segments("a" * 152 + "€")  # 154 septets fit one 160-septet SMS
    assert (info.encoding, info.segments, info.units) == ("GSM-7", 1, 154)
    assert count_segments("a" * 159 + "€").segments == 2  # 161 septets; the € moves to part two
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3


def test_ucs2_counts_utf16_units_and_keeps_pairs_together() -> None:
    info = count_segments("Привет")
    assert (info.encoding, info.segments, info.units) == ("UCS-2", 1, 6)
    assert count_segments("a" * 66 + "👍").segments == 1  # 68 units fit the 70 of a single SMS
    assert count_segments("a" * 70 + "👍").segments == 2
    assert count_segments("a" * 132 + "👍").segments == 2  # 67 + (65 + 2)
    assert count_segments("a" * 133 + "👍").segments == 3  # 67 + 66, and the pair does not fit the 67th unit


def test_signer_is_the_inverse_of_request_validator_including_repeated_keys() -> None:
    url = "https://example.com/status?x=1&y=a+b"
    pairs = [("MessageSid", "SM1"), ("MessageStatus", "sent"), ("Tag", "b"), ("Tag", "a"), ("Empty", "")]
    signature = compute_signature("token-1", url, form_params(pairs))
    validator = RequestValidator("token-1")
    assert validator.validate(url, MultiDict(pairs), signature)
    assert signature == validator.compute_signature(url, MultiDict(pairs))
    assert not RequestValidator("other-token").validate(url, MultiDict(pairs), signature)
    assert not validator.validate(url, MultiDict([*pairs, ("Tag", "c")]), signature)


def test_kernel_signer_signs_the_target_url_with_its_secret() -> None:
    body = b"MessageSid=SM1&MessageStatus=delivered&To=%2B14155550100"
    target = WebhookTarget("http://127.0.0.1:9/cb?q=1", secret="tok")
    delivery = Delivery(
        "dlv_1", target, "e", "message.delivered", body, "application/x-www-form-urlencoded", 0.0
    )
    headers = TwilioSigner().sign(target, body, 0.0, delivery)
    params = {"MessageSid": "SM1", "MessageStatus": "delivered", "To": "+14155550100"}
    assert RequestValidator("tok").validate(target.url, params, headers["X-Twilio-Signature"])


def test_address_validation() -> None:
    assert is_valid_to("+14155550100") and is_valid_to("whatsapp:+14155550100")
    assert not is_valid_to("4155550100") and not is_valid_to("+0123") and not is_valid_to("whatsapp:bob")
    assert is_valid_from("+15005550006") and is_valid_from("12345") and is_valid_from("GenAI Demo")
    assert (
        not is_valid_from("123456789012")
        and not is_valid_from("Way Too Long Sender")
        and not is_valid_from("!")
    )
