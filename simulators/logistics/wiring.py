"""``wire()``: what a user does in EasyPost's dashboard, done by ``genai-demo up`` once the simulator is
healthy.

It registers the service's tracking webhook with the official SDK (``POST /v2/webhooks`` with the service's
own ``LOGISTICS_API_KEY``, so the webhook belongs to the service's account) and a fresh ``webhook_secret``,
and returns that secret as ``LOGISTICS_WEBHOOK_SECRET`` for the service's environment. Earlier webhooks for
the same URL are deleted first, so re-wiring never delivers twice. Webhooks survive ``POST /_sim/reset``.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

DEFAULT_API_KEY = "EZTK_genaidemo"
WEBHOOK_PATH = "/api/v1/webhooks/logistics"


def wire(sim_url: str, service_url: str, env: Mapping[str, str]) -> dict[str, str]:
    """Create the service's webhook; returns ``LOGISTICS_WEBHOOK_SECRET`` and ``LOGISTICS_WEBHOOK_ID``."""
    from easypost.easypost_client import EasyPostClient

    api_base = sim_url.rstrip("/")
    if not api_base.endswith("/v2"):
        api_base += "/v2"
    client = EasyPostClient(env.get("LOGISTICS_API_KEY") or DEFAULT_API_KEY, api_base=api_base)
    url = service_url.rstrip("/") + WEBHOOK_PATH
    for webhook in client.webhook.all()["webhooks"]:
        if webhook.url == url:
            client.webhook.delete(webhook.id)
    secret = "whsec_" + secrets.token_hex(16)
    created = client.webhook.create(url=url, webhook_secret=secret)
    return {"LOGISTICS_WEBHOOK_SECRET": secret, "LOGISTICS_WEBHOOK_ID": created.id}
