"""Kernel configuration: one immutable :class:`SimulatorConfig` per simulator.

Nothing is read at import time. Build a config with ``SimulatorConfig()`` (defaults),
``SimulatorConfig(seed=1, time_scale=3600)`` in tests, or ``SimulatorConfig.from_env(os.environ)`` in a
process entry point, where every field can be overridden by ``SIM_<FIELD>`` (for example ``SIM_SEED=7``,
``SIM_TIME_SCALE=3600``, ``SIM_JOURNAL_SIZE=5000``). Inspect the values a running simulator uses at
``GET /_sim/health``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ENV_PREFIX = "SIM_"


class SimulatorConfig(BaseModel):
    """Settings shared by every provider simulator.

    ``seed`` seeds ids and default fault/chaos RNGs (``None`` means a fresh random seed per start, so
    ids never repeat across runs of a long-lived lab). ``time_scale`` divides webhook retry delays, so
    ``3600`` turns one provider hour into one simulated second.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int | None = None
    time_scale: float = Field(default=1.0, gt=0)
    journal_size: int = Field(default=1000, ge=1, le=1_000_000)
    max_journal_body_bytes: int = Field(default=4096, ge=0)
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    webhook_workers: int = Field(default=4, ge=1, le=64)
    max_deliveries: int = Field(default=10_000, ge=1)
    hang_max_s: float = Field(default=30.0, gt=0)
    clock_wait_max_s: float = Field(default=30.0, gt=0)

    @classmethod
    def from_env(cls, env: Mapping[str, str], **overrides: Any) -> SimulatorConfig:
        """Build a config from ``SIM_*`` variables in ``env``; keyword ``overrides`` win over env."""
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = env.get(ENV_PREFIX + name.upper())
            if raw is not None and raw != "":
                values[name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)


def env_cap(env: Mapping[str, str], name: str, default: int) -> int:
    """A provider's state cap from ``env[name]`` (a whole number >= 1), else ``default``; anything else is a
    :class:`ValueError` naming the variable, so a simulator with a mistyped cap refuses to start. Each
    provider shows the caps it runs with at ``GET /_sim/health``."""
    raw = (env.get(name) or "").strip().replace("_", "")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {env.get(name)!r}")
    return int(raw)
