"""``genai-demo up`` wiring: register the service's webhook on the PayPal simulator, as a user would.

:func:`wire` gets a token with the env's ``PAYPAL_CLIENT_ID`` / ``PAYPAL_CLIENT_SECRET`` (the lab defaults
when unset), registers ``{service_url}/api/v1/webhooks/paypal`` through PayPal's own Webhooks API for the
checkout and capture events, and returns ``{"PAYPAL_WEBHOOK_ID": id}`` for the service's environment. A
webhook already registered for that URL (PayPal refuses duplicates) is reused, so wiring twice is safe.
"""

from __future__ import annotations

from collections.abc import Mapping

import requests

from simulators.paypal.auth import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

WEBHOOK_PATH = "/api/v1/webhooks/paypal"
EVENTS = (
    "CHECKOUT.ORDER.APPROVED",
    "PAYMENT.CAPTURE.COMPLETED",
    "PAYMENT.CAPTURE.DENIED",
    "PAYMENT.CAPTURE.PENDING",
    "PAYMENT.CAPTURE.REFUNDED",
)


class WiringError(RuntimeError):
    """The simulator refused a wiring call (message carries PayPal's answer)."""


def _check(resp: requests.Response, what: str) -> None:
    if resp.status_code >= 300:
        raise WiringError(f"PayPal simulator refused {what}: HTTP {resp.status_code} {resp.text[:300]}")


def wire(sim_url: str, service_url: str, env: Mapping[str, str], timeout: float = 10.0) -> dict[str, str]:
    """Register the service's PayPal webhook; returns ``{"PAYPAL_WEBHOOK_ID": id}``."""
    base = sim_url.rstrip("/")
    client_id = env.get("PAYPAL_CLIENT_ID") or DEFAULT_CLIENT_ID
    secret = env.get("PAYPAL_CLIENT_SECRET") or DEFAULT_CLIENT_SECRET
    with requests.Session() as session:
        resp = session.post(
            f"{base}/v1/oauth2/token",
            auth=(client_id, secret),
            data={"grant_type": "client_credentials"},
            timeout=timeout,
        )
        _check(resp, "the token request")
        session.headers["Authorization"] = f"Bearer {resp.json()['access_token']}"
        url = service_url.rstrip("/") + WEBHOOK_PATH
        listed = session.get(f"{base}/v1/notifications/webhooks", timeout=timeout)
        _check(listed, "listing webhooks")
        for hook in listed.json().get("webhooks", []):
            if hook.get("url") == url:
                return {"PAYPAL_WEBHOOK_ID": str(hook["id"])}
        created = session.post(
            f"{base}/v1/notifications/webhooks",
            json={"url": url, "event_types": [{"name": name} for name in EVENTS]},
            timeout=timeout,
        )
        _check(created, "the webhook registration")
        return {"PAYPAL_WEBHOOK_ID": str(created.json()["id"])}
