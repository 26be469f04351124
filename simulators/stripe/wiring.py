"""``wire()``: what a user does in Stripe's dashboard, done by ``genai-demo up`` once the simulator is
healthy.

It registers the service's webhook URL with the official SDK (``POST /v1/webhook_endpoints`` with the
service's own ``STRIPE_SECRET_KEY``, so the endpoint belongs to the service's account) and returns the
signing secret for the service's environment. Endpoints survive ``POST /_sim/reset`` (kernel design), so the
wiring holds for the whole lab session. Earlier endpoints for the same URL are deleted first (their secret
cannot be read back, as in Stripe), so re-wiring never leaves two endpoints delivering twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_SECRET_KEY = "sk_test_genaidemo0000000000000000"
WEBHOOK_PATH = "/api/v1/webhooks/stripe"

# The events the reference service handles (payments, refunds, disputes) plus the ones that tell it about
# the same payments' other steps (3DS pending, async processing, manual-capture authorisations, dispute
# outcomes); the service acknowledges types it does not act on.
ENABLED_EVENTS: tuple[str, ...] = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.requires_action",
    "payment_intent.canceled",
    "payment_intent.processing",
    "payment_intent.amount_capturable_updated",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
)


def wire(sim_url: str, service_url: str, env: Mapping[str, str]) -> dict[str, str]:
    """Create the service's webhook endpoint; returns ``STRIPE_WEBHOOK_SECRET`` and
    ``STRIPE_WEBHOOK_ENDPOINT_ID``."""
    import stripe

    if env.get("STRIPE_CA_BUNDLE"):  # genai-demo up --tls: trust the lab's CA (the SDK's CA option)
        stripe.ca_bundle_path = env["STRIPE_CA_BUNDLE"]
    client = stripe.StripeClient(
        env.get("STRIPE_SECRET_KEY") or DEFAULT_SECRET_KEY,
        base_addresses={"api": sim_url},
        stripe_version="2023-10-16",
        max_network_retries=2,
    )
    url = service_url.rstrip("/") + WEBHOOK_PATH
    for endpoint in client.v1.webhook_endpoints.list(params={"limit": 100}).auto_paging_iter():
        if endpoint.url == url:
            client.v1.webhook_endpoints.delete(endpoint.id)
    params: Any = {
        "url": url,
        "enabled_events": list(ENABLED_EVENTS),
        "description": "genai-demo reference service (wired by genai-demo up)",
        "api_version": "2023-10-16",
    }
    created = client.v1.webhook_endpoints.create(params=params)
    secret = created.secret
    if not secret:
        raise RuntimeError("the Stripe simulator returned no webhook signing secret")
    return {"STRIPE_WEBHOOK_SECRET": secret, "STRIPE_WEBHOOK_ENDPOINT_ID": created.id}
