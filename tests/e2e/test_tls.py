"""TLS 1.3 in transit: the service and the simulators served by granian with the lab's CA
(``simulators/lab/tls.py``) refuse a TLS 1.2-only client in the handshake, speak TLS 1.3 to a current one,
add HSTS, and the official SDKs (stripe, twilio, boto3) work against them given the CA bundle."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import boto3
import pytest
import requests
import stripe
from twilio.rest import Client as TwilioClient

from simulators.lab.tls import LabCertificates, make_certificates
from tests.support import LiveProcess, run_service, run_simulator

# one worker runs the whole module, so its module-scoped lab starts once (make test: --dist loadgroup)
pytestmark = [pytest.mark.e2e, pytest.mark.security, pytest.mark.xdist_group("tls-lab")]


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> LabCertificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_service(
    tmp_path_factory: pytest.TempPathFactory, certificates: LabCertificates
) -> Iterator[LiveProcess]:
    with run_service(tmp_path_factory.mktemp("tls-service"), tls=certificates) as live:
        yield live


def handshake(url: str, ca: Path, maximum: ssl.TLSVersion | None = None) -> str:
    """The TLS version negotiated with ``url``'s server (``ssl.SSLError`` when the handshake fails)."""
    parsed = urlparse(url)
    context = ssl.create_default_context(cafile=str(ca))
    if maximum is not None:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.maximum_version = maximum
    with socket.create_connection((parsed.hostname, parsed.port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname=parsed.hostname) as tls:
            version = tls.version()
            assert version is not None
            return version


def test_the_certificates_name_localhost_and_chain_to_the_ca(certificates: LabCertificates) -> None:
    assert certificates.key.stat().st_mode & 0o077 == 0  # the key is the owner's alone
    again = make_certificates(certificates.ca.parent)  # fresh files are reused, not remade
    assert again.cert.read_bytes() == certificates.cert.read_bytes()


def test_a_tls12_only_client_is_refused_and_tls13_is_spoken(
    tls_service: LiveProcess, certificates: LabCertificates
) -> None:
    with pytest.raises(ssl.SSLError):
        handshake(tls_service.url, certificates.ca, maximum=ssl.TLSVersion.TLSv1_2)
    assert handshake(tls_service.url, certificates.ca) == "TLSv1.3"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(tls_service.url + "/health/live", timeout=5)  # a client that does not trust the lab CA


def test_https_answers_carry_hsts(tls_service: LiveProcess) -> None:
    resp = tls_service.http.get(tls_service.url + "/api/v1/orders", timeout=5)
    assert resp.status_code == 200
    assert resp.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_the_official_sdks_work_against_simulators_over_tls13(
    tmp_path: Path, certificates: LabCertificates, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = str(certificates.ca)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca)  # requests (the Twilio SDK, PayPal's REST calls)
    monkeypatch.setattr(stripe, "ca_bundle_path", ca)  # the Stripe SDK's own CA option
    with (
        run_simulator("stripe", tmp_path, tls=certificates) as stripe_sim,
        run_simulator("twilio", tmp_path, tls=certificates) as twilio_sim,
        run_simulator("aws", tmp_path, tls=certificates) as aws_sim,
    ):
        for sim in (stripe_sim, twilio_sim, aws_sim):
            with pytest.raises(ssl.SSLError):
                handshake(sim.url, certificates.ca, maximum=ssl.TLSVersion.TLSv1_2)
        client = stripe.StripeClient(
            "sk_test_genaidemo0000000000000000",
            base_addresses={"api": stripe_sim.url},
            http_client=stripe.RequestsClient(),
        )
        intent = client.v1.payment_intents.create(params={"amount": 1999, "currency": "usd"})
        assert intent.status == "requires_payment_method"
        twilio = TwilioClient("AC00000000000000000000000000000000", "genai-demo-twilio-token")
        twilio.api.base_url = twilio_sim.url
        message = twilio.messages.create(to="+14155550100", from_="+15005550006", body="over TLS 1.3")
        assert message.sid.startswith("SM")
        s3 = boto3.client("s3", endpoint_url=aws_sim.url, region_name="us-east-1", verify=ca,
                          aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
        s3.create_bucket(Bucket="tls-check")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["tls-check"]
