"""A notifications lab for tests: the AWS (moto) and Twilio simulators as real processes, and the service
as a real process wired to them (``run_notifications_lab``), plus small clients for what the tests read
back from the simulators (``SimClient``) and the signing helpers of the callbacks they forge.

The simulators run as processes (``genai-demo sim aws|twilio``), not in-process: moto's state is
process-wide, and the simulator tests reset it at will. The service gets short timeouts, a small circuit
breaker (``SMS_CIRCUIT_FAILURE_THRESHOLD=3``, ``SMS_CIRCUIT_RESET_SECONDS=1``), ``SERVICE_PUBLIC_URL``
pointing at itself (so Twilio's signed callbacks and SNS's deliveries reach it); once it is up, its SES
feedback is wired the way ``genai-demo up`` wires it (``simulators.lab.wiring.wire_ses_feedback``).

Use it from pytest through the ``notifications_lab`` fixture (``tests/conftest.py``), or by hand::

    python -c "from tests.support_notifications import demo; demo()"
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from simulators.kernel.client import SimClient
from simulators.lab.wiring import wire_ses_feedback
from simulators.testing import free_port, poll
from tests import support
from tests.support import LiveProcess, run_service

TWILIO_ACCOUNT = "AC00000000000000000000000000000000"
TWILIO_TOKEN = "genai-demo-twilio-token"
SES_SENDER = "no-reply@genai-demo.example"
SES_FEEDBACK_TOPIC = "genai-demo-ses-feedback"
TIMEOUT = 10.0

#: the service settings the lab runs with (plus the URLs of the simulators and of the service itself)
LAB_ENV = {
    "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT,
    "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
    "SES_SENDER": SES_SENDER,
    "SES_FEEDBACK_TOPIC": SES_FEEDBACK_TOPIC,
    "AWS_PROVISION_ON_START": "true",
    "SMS_CIRCUIT_FAILURE_THRESHOLD": "3",
    "SMS_CIRCUIT_RESET_SECONDS": "1",
    "SMS_PROVIDER_TIMEOUT_SECONDS": "3",
    "PROVIDER_RETRY_INITIAL_SECONDS": "0.05",
    "PROVIDER_RETRY_MAX_SECONDS": "0.2",
    "PROVIDER_TIMEOUT_SECONDS": "5",
    "OUTBOX_POLL_SECONDS": "0.2",
    "LOG_LEVEL": "INFO",
}


@contextlib.contextmanager
def run_simulator(name: str, tmp: Path, env: Mapping[str, str] | None = None) -> Iterator[LiveProcess]:
    """``genai-demo sim <name>`` on a free port: SNS's 20 s redelivery delay becomes 1 s (time scale 20),
    and the journal keeps whole bodies so tests can read what the service sent."""
    with support.run_simulator(
        name,
        tmp,
        "--seed",
        "11",
        "--time-scale",
        "20",
        env={"SIM_MAX_JOURNAL_BODY_BYTES": "65536", **(env or {})},
    ) as live:
        yield live


@dataclass
class NotificationsLab:
    """The running lab: the service, the AWS and Twilio simulators, and clients for each."""

    service: LiveProcess
    aws: LiveProcess
    twilio: LiveProcess
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.service.url

    @property
    def http(self) -> requests.Session:
        """A session to the service with an admin token (``tests/auth.py``)."""
        return self.service.http

    def aws_sim(self) -> SimClient:
        """The AWS simulator's control API."""
        return SimClient(self.aws.url, timeout=TIMEOUT)

    def twilio_sim(self) -> SimClient:
        """The Twilio simulator's control API."""
        return SimClient(self.twilio.url, timeout=TIMEOUT)

    def reset(self) -> None:
        """Between scenarios: no faults on either simulator, every SMS circuit closed."""
        self.aws_sim().clear_faults()
        self.twilio_sim().clear_faults()
        self.http.post(self.url + "/api/v1/admin/sms/providers/reset", timeout=TIMEOUT).raise_for_status()

    def wait_feedback_confirmed(self, timeout: float = 20.0) -> dict[str, Any]:
        """Until the service's SES feedback subscription is confirmed (``/health`` check ``ses_feedback``)."""

        def confirmed() -> dict[str, Any] | None:
            health = requests.get(self.url + "/health", timeout=TIMEOUT).json()
            details: dict[str, Any] = health["checks"]["ses_feedback"]["details"]
            return details if details["state"] == "confirmed" else None

        return poll(confirmed, timeout=timeout, interval=0.1, what="SES feedback confirmed")


@contextlib.contextmanager
def run_notifications_lab(
    tmp: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[NotificationsLab]:
    """Start both simulators, then the service pointed at them (see the module docstring)."""
    sim_env = {"TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN}
    with run_simulator("aws", tmp) as aws, run_simulator("twilio", tmp, sim_env) as twilio:
        port = free_port()
        env = {
            **LAB_ENV,
            "AWS_ENDPOINT_URL": aws.url,
            "TWILIO_BASE_URL": twilio.url,
            "SERVICE_PUBLIC_URL": f"http://127.0.0.1:{port}",
            **(extra_env or {}),
        }
        with run_service(tmp, env=env, port=port) as service:
            wire_ses_feedback(aws.url, service.url, env)
            yield NotificationsLab(service, aws, twilio, env)


def twilio_signature(token: str, url: str, form: Mapping[str, str]) -> str:
    """``X-Twilio-Signature`` for a form POST to ``url`` (Twilio's algorithm; for forging in tests)."""
    data = url + "".join(f"{k}{form[k]}" for k in sorted(form))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def demo() -> None:  # pragma: no cover - a manual aid
    """Start a lab under ./var/notifications-lab and print its URLs until Ctrl-C."""
    tmp = Path("var/notifications-lab")
    tmp.mkdir(parents=True, exist_ok=True)
    with run_notifications_lab(tmp) as lab:
        print(f"service {lab.url}\naws {lab.aws.url}\ntwilio {lab.twilio.url}")
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(1)
