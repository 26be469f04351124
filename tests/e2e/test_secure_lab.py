"""A whole checkout through a real ``genai-demo up --tls`` lab, then every log file of that lab is scanned
for every configured secret, key and token and for the test customer's personal data: none may appear.

The lab runs as a user runs it (its own processes, TLS 1.3 with the lab's CA, the identity simulator as the
issuer). The customer signs in with the demo token ``up`` printed, orders with contact details, pays with
Stripe (server-side confirmation, webhook back to the service over TLS) and sees the order PAID; the second
demo customer cannot see it; the printed API key and a token from ``genai-demo token`` work; the audit trail
shows the calls. Then the lab is stopped and ``<var-dir>/log/*`` is read.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reference_service.config import Settings
from simulators.identity.magic import DEMO_USERS, SERVICE_CLIENT_SECRET
from tests.support import REPO, UpLab, free_offset, genai_demo_argv, running_up, start_up

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.security]
CUSTOMER = {"name": "Ada Lovelace Esq", "email": "ada.lovelace.e2e@example.com", "phone": "+14155550199"}


def start_lab(tmp: Path) -> UpLab | None:
    """``genai-demo up --tls`` until it is up; ``None`` when a port was taken meanwhile (try again)."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'lab.db'}"}
    return start_up(tmp, free_offset(), "--tls", env=env, timeout=120, poll=0.2)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpLab]:
    with running_up(lambda n: start_lab(tmp_path_factory.mktemp(f"secure-lab-{n}"))) as started:
        yield started


def test_a_checkout_through_the_secure_lab_leaves_no_secret_in_its_logs(lab: UpLab) -> None:
    api = lab.url + "/api/v1"
    ada = lab.session(Authorization=f"Bearer {lab.values['TOKEN_CUSTOMER']}")
    body = {"customer_ref": "cus_ada", "currency": "USD", "customer": CUSTOMER,
            "items": [{"sku": "LAB", "name": "lab", "quantity": 2, "unit_amount": 1250}]}  # fmt: skip
    order = ada.post(api + "/orders", json=body, timeout=10)
    assert order.status_code == 201, order.text
    order_id = order.json()["id"]
    card = {"provider": "stripe", "payment_method": "pm_card_visa"}
    paid = ada.post(f"{api}/orders/{order_id}/payments", json=card, timeout=20)
    assert paid.status_code == 201, paid.text
    deadline = time.monotonic() + 20
    while ada.get(f"{api}/orders/{order_id}", timeout=10).json()["status"] != "PAID":
        assert time.monotonic() < deadline, "the Stripe webhook did not mark the order PAID"
        time.sleep(0.1)
    grace = lab.session(Authorization=f"Bearer {lab.values['TOKEN_CUSTOMER2']}")
    assert grace.get(f"{api}/orders/{order_id}", timeout=10).status_code == 404
    robot = lab.session(**{"X-API-Key": lab.values["API_KEY_SERVICE"]})
    assert robot.get(f"{api}/orders/{order_id}", timeout=10).status_code == 200
    minted = subprocess.run(
        genai_demo_argv("token", "--role", "support", "--issuer", lab.sim("identity")),
        env={**os.environ, "REQUESTS_CA_BUNDLE": lab.ca},
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert minted.returncode == 0, minted.stderr
    support_token = minted.stdout.strip()
    support = lab.session(Authorization=f"Bearer {support_token}")
    assert support.get(f"{api}/orders/{order_id}", timeout=10).status_code == 200
    admin = lab.session(Authorization=f"Bearer {lab.values['TOKEN_ADMIN']}")
    trail = admin.get(f"{api}/admin/audit", params={"actor_id": "cus_ada"}, timeout=10).json()["data"]
    assert {(e["action"], e["status"]) for e in trail} >= {("createOrder", 201), ("startPayment", 201)}

    os.killpg(lab.proc.pid, signal.SIGINT)  # stop the lab: every log is complete
    lab.proc.wait(30)
    logs = sorted((lab.var / "log").glob("*"))
    assert {p.name for p in logs} >= {"service.log", "stripe.log", "identity.log"}
    secret_names = ("TOKEN_", "API_KEY_")
    secrets = {name: value for name, value in lab.values.items()
               if name.startswith(secret_names) or "SECRET" in name or name.endswith("_TOKEN")}  # fmt: skip
    for name in list(secrets):
        if name.startswith("TOKEN_"):  # nor a token's signature alone
            secrets[f"{name} (signature)"] = secrets[name].rsplit(".", 1)[1]
    secrets |= {"support token": support_token, "service client secret": SERVICE_CLIENT_SECRET,
                "PII_ENCRYPTION_KEY": Settings().pii_encryption_key.get_secret_value()}  # fmt: skip
    secrets |= {f"password of {u.username}": u.password for u in DEMO_USERS}
    secrets |= {f"customer {field}": value for field, value in CUSTOMER.items()}
    assert {"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "PAYPAL_CLIENT_SECRET", "TWILIO_AUTH_TOKEN",
            "API_KEY_SERVICE", "TOKEN_ADMIN"} <= set(secrets)  # fmt: skip
    hits = [f"{path.name}: {name}" for path in logs for name, value in secrets.items()
            if value in path.read_text(errors="replace")]  # fmt: skip
    assert not hits, "secrets or personal data in the lab's logs:\n  " + "\n  ".join(hits)
