"""Settings of the Stripe simulator: from ``STRIPE_SIM_*`` variables at start, changed at
``/_sim/stripe/config``.

``POST /_sim/reset`` puts them back to the start values. Read them at ``GET /_sim/stripe/config`` (also in
``GET /_sim/health`` under ``stripe``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ENV_PREFIX = "STRIPE_SIM_"


class StripeSettings(BaseModel):
    """Tunables. Caps are per account and per object family (memory stays flat under load).

    ``request_delay_ms``: time the simulated card network takes inside every API POST (after the
    idempotency key is claimed), for latency-sensitive tests; 0 by default. ``async_card_confirm``: card
    payments go through ``processing`` (charge ``pending``) instead of settling at once; they settle after
    ``processing_settle_s`` simulated seconds, or when ``POST /_sim/stripe/payment_intents/{id}/settle`` says.
    ``v0_signature``: add the fake ``v0`` scheme test-mode deliveries carry.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    max_objects: int = Field(default=10_000, ge=10, le=10_000_000)
    max_events: int = Field(default=10_000, ge=10, le=10_000_000)
    max_idempotency_keys: int = Field(default=10_000, ge=10, le=10_000_000)
    idempotency_ttl_s: float = Field(default=86_400.0, gt=0)
    request_delay_ms: int = Field(default=0, ge=0, le=60_000)
    async_card_confirm: bool = False
    processing_settle_s: float | None = Field(default=None, ge=0)
    v0_signature: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StripeSettings:
        """Defaults overridden by ``STRIPE_SIM_<FIELD>`` (e.g. ``STRIPE_SIM_MAX_OBJECTS=50000``)."""
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = env.get(ENV_PREFIX + name.upper())
            if raw:
                values[name] = raw
        return cls.model_validate(values)


class SettingsPatch(BaseModel):
    """Body of ``POST /_sim/stripe/config``: any subset of :class:`StripeSettings`."""

    model_config = ConfigDict(extra="forbid")

    max_objects: int | None = Field(default=None, ge=10, le=10_000_000)
    max_events: int | None = Field(default=None, ge=10, le=10_000_000)
    max_idempotency_keys: int | None = Field(default=None, ge=10, le=10_000_000)
    idempotency_ttl_s: float | None = Field(default=None, gt=0)
    request_delay_ms: int | None = Field(default=None, ge=0, le=60_000)
    async_card_confirm: bool | None = None
    processing_settle_s: float | None = Field(default=None, ge=0)
    v0_signature: bool | None = None
