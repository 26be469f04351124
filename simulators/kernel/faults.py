"""Fault rules: what to match, what to do, and when to fire (``/_sim/faults``).

A rule is created from JSON like ``{"match": {"method": "POST", "path": "/v1/payment_intents*"},
"action": {"type": "status", "status": 503}, "times": 2}`` and validated by :class:`FaultRuleSpec`
(bad rules are a 400 that names the field). Triggers combine: ``times`` (next N matching calls),
``probability`` + ``seed`` (seeded RNG, reproducible), ``window`` (``start_in``/``duration`` simulated
seconds from creation); with none of them the rule always fires. Each rule counts how often it
``fired``. :meth:`FaultRegistry.evaluate` returns the latency to add and at most one terminal action;
rules are considered in creation order, latency rules add up, and the first terminal rule wins.
"""

from __future__ import annotations

import fnmatch
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simulators.kernel.clock import SimClock
from simulators.kernel.ids import derive_seed


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FaultMatch(_Strict):
    """Which requests a rule applies to; every given field must match (none given = every request)."""

    method: str | None = Field(default=None, description="HTTP method, case-insensitive; '*' for any.")
    path: str | None = Field(default=None, description="Glob over the path, e.g. '/v1/payment_intents*'.")
    operation: str | None = Field(default=None, description="Provider operation name (glob).")
    account: str | None = Field(default=None, description="Only requests of this account.")

    @field_validator("method")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else None


class LatencyAction(_Strict):
    """Add ``ms`` milliseconds, then let the request through (or on to a terminal rule)."""

    type: Literal["latency"]
    ms: int = Field(ge=0, le=600_000)


class StatusAction(_Strict):
    """Answer ``status`` with ``body`` (default: the provider's own error body) and ``headers``."""

    type: Literal["status"]
    status: int = Field(ge=200, le=599)
    body: Any = None
    headers: dict[str, str] = Field(default_factory=dict)
    content_type: str | None = None


class RateLimitAction(_Strict):
    """Answer 429 with the provider's rate-limit body and ``Retry-After: retry_after``."""

    type: Literal["rate_limit"]
    retry_after: int = Field(default=1, ge=0, le=86_400)


class ResetAction(_Strict):
    """Drop the connection; with ``after_processing`` the provider handles the request first."""

    type: Literal["reset"]
    after_processing: bool = False


class MalformedAction(_Strict):
    """Let the request through and cut the response body (success status kept, body invalid)."""

    type: Literal["malformed"]
    keep_bytes: int | None = Field(default=None, ge=0, description="Bytes kept; default half the body.")


class HangAction(_Strict):
    """Hold the request until the client gives up (at most ``seconds``, capped by hang_max_s),
    then drop the connection."""

    type: Literal["hang"]
    seconds: float | None = Field(default=None, gt=0)
    after_processing: bool = False


FaultAction = Annotated[
    LatencyAction | StatusAction | RateLimitAction | ResetAction | MalformedAction | HangAction,
    Field(discriminator="type"),
]


class FaultWindow(_Strict):
    """Active from ``start_in`` to ``start_in + duration`` simulated seconds after creation."""

    start_in: float = Field(default=0, ge=0)
    duration: float = Field(gt=0)


class FaultRuleSpec(_Strict):
    """The body of ``POST /_sim/faults``."""

    match: FaultMatch = Field(default_factory=FaultMatch)
    action: FaultAction
    times: int | None = Field(default=None, ge=1)
    probability: float | None = Field(default=None, gt=0, le=1)
    seed: int | None = None
    window: FaultWindow | None = None
    description: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _seed_needs_probability(self) -> FaultRuleSpec:
        if self.seed is not None and self.probability is None:
            raise ValueError("'seed' only applies together with 'probability'")
        return self


def _glob(pattern: str | None) -> Callable[[str], bool] | None:
    if pattern is None or pattern == "*":
        return None
    regex = re.compile(fnmatch.translate(pattern))
    return lambda value: regex.match(value) is not None


@dataclass
class FaultRule:
    """A live rule: its spec plus trigger state (fired count, remaining times, RNG)."""

    id: str
    spec: FaultRuleSpec
    created: float
    rng: random.Random | None
    effective_seed: int | None
    fired: int = 0
    _path: Callable[[str], bool] | None = field(default=None, repr=False)
    _operation: Callable[[str], bool] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._path = _glob(self.spec.match.path)
        self._operation = _glob(self.spec.match.operation)

    @property
    def needs_operation(self) -> bool:
        """True if matching needs the provider's operation name."""
        return self.spec.match.operation is not None

    @property
    def remaining(self) -> int | None:
        """Firings left under ``times`` (``None`` = unlimited)."""
        return None if self.spec.times is None else max(0, self.spec.times - self.fired)

    def window_bounds(self) -> tuple[float, float] | None:
        """``(starts_at, ends_at)`` in simulated epoch seconds, if the rule has a window."""
        w = self.spec.window
        if w is None:
            return None
        start = self.created + w.start_in
        return start, start + w.duration

    def is_active(self, now: float) -> bool:
        """Not exhausted and inside its window (if any)."""
        if self.spec.times is not None and self.fired >= self.spec.times:
            return False
        bounds = self.window_bounds()
        return bounds is None or bounds[0] <= now < bounds[1]

    def matches(self, method: str, path: str, operation: str | None, account: str | None) -> bool:
        """Whether the request is one this rule applies to (ignores triggers)."""
        m = self.spec.match
        if m.method is not None and m.method != "*" and m.method != method:
            return False
        if self._path is not None and not self._path(path):
            return False
        if m.operation is not None and (
            operation is None or (self._operation and not self._operation(operation))
        ):
            return False
        return m.account is None or m.account == account

    def to_json(self, now: float) -> dict[str, Any]:
        """JSON view served by ``/_sim/faults``."""
        data = self.spec.model_dump(mode="json", exclude_none=True)
        data.update(
            id=self.id,
            fired=self.fired,
            remaining=self.remaining,
            active=self.is_active(now),
            created=self.created,
            effective_seed=self.effective_seed,
        )
        bounds = self.window_bounds()
        if bounds is not None:
            data["window"].update(starts_at=bounds[0], ends_at=bounds[1])
        return data


@dataclass
class FaultDecision:
    """What the middleware must do: sleep ``latency_ms``, then ``action`` (``None`` = pass through)."""

    latency_ms: int = 0
    action: StatusAction | RateLimitAction | ResetAction | MalformedAction | HangAction | None = None
    fired: list[str] = field(default_factory=list)

    @property
    def action_name(self) -> str | None:
        """Name of the terminal action, ``latency`` if only latency fired, else ``None``."""
        if self.action is not None:
            return self.action.type
        return "latency" if self.fired else None


class FaultRegistry:
    """Thread-safe set of rules with fired counts. Ids are ``flt_<n>``."""

    def __init__(self, clock: SimClock, base_seed: Callable[[], int]) -> None:
        self._clock = clock
        self._base_seed = base_seed
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._next = 1
        self.needs_operation = False

    def add(self, spec: FaultRuleSpec) -> FaultRule:
        """Create a rule from a validated spec."""
        with self._lock:
            rule_id = f"flt_{self._next}"
            self._next += 1
            rng = None
            seed = None
            if spec.probability is not None:
                seed = spec.seed if spec.seed is not None else derive_seed(self._base_seed(), rule_id)
                rng = random.Random(seed)
            rule = FaultRule(rule_id, spec, self._clock.now(), rng, seed)
            self._rules = [*self._rules, rule]
            self.needs_operation = any(r.needs_operation for r in self._rules)
            return rule

    def rules(self) -> list[FaultRule]:
        """Rules in creation order."""
        return list(self._rules)

    def get(self, rule_id: str) -> FaultRule | None:
        """One rule by id."""
        return next((r for r in self._rules if r.id == rule_id), None)

    def delete(self, rule_id: str) -> bool:
        """Remove one rule; False if it did not exist."""
        with self._lock:
            kept = [r for r in self._rules if r.id != rule_id]
            found = len(kept) != len(self._rules)
            self._rules = kept
            self.needs_operation = any(r.needs_operation for r in kept)
            return found

    def clear(self) -> int:
        """Remove every rule; returns how many there were."""
        with self._lock:
            count = len(self._rules)
            self._rules = []
            self.needs_operation = False
            return count

    def reset(self) -> None:
        """Remove every rule and restart ids at ``flt_1``."""
        with self._lock:
            self._rules = []
            self._next = 1
            self.needs_operation = False

    def __bool__(self) -> bool:
        return bool(self._rules)

    def evaluate(
        self, method: str, path: str, operation: str | None, account: str | None
    ) -> FaultDecision | None:
        """Fire the rules that apply to this request and say what to do (``None``: nothing fired)."""
        rules = self._rules
        if not rules:
            return None
        decision: FaultDecision | None = None
        now = self._clock.now()
        with self._lock:
            for rule in rules:
                if not rule.matches(method, path, operation, account) or not rule.is_active(now):
                    continue
                if rule.rng is not None and rule.spec.probability is not None:
                    if rule.rng.random() >= rule.spec.probability:
                        continue
                rule.fired += 1
                if decision is None:
                    decision = FaultDecision()
                decision.fired.append(rule.id)
                action = rule.spec.action
                if isinstance(action, LatencyAction):
                    decision.latency_ms += action.ms
                    continue
                decision.action = action
                break
        return decision
