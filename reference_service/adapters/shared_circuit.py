"""A circuit breaker whose state lives in Redis, so every worker and instance of the service sees the same
circuit: when one process has opened SNS's circuit, the others stop calling SNS too, instead of each
paying its own five failures and timeouts.

The semantics are exactly ``CircuitBreaker``'s (closed → open after ``failure_threshold`` consecutive
failures → half-open after ``reset_seconds``, one probe at a time), shared:

- the state is one Redis hash per provider, ``<RATELIMIT_KEY_PREFIX>:circuit:<name>`` (by default
  ``genai-demo:circuit:sns``; ``HGETALL`` it to inspect):
  ``state``, ``failures``, ``opened_at``, ``probe_at``, ``opened``;
- every transition is one Lua script, so two processes can never both take the half-open probe, and
  times come from Redis's own clock (``TIME``), so hosts whose clocks differ still agree;
- a probe whose process died is not waited for forever: its lease ends after ``reset_seconds``.

When Redis fails, the breaker falls back to this process's own state (the base class) and logs one
warning; it returns to the shared state at the first call that reaches Redis again. Each process's
``sms_circuit_state`` gauge follows the transitions that process made or saw.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis

from reference_service.adapters.circuit_breaker import CLOSED, OPEN, CircuitBreaker

log = logging.getLogger(__name__)


# Shared prologue: read the hash and the time, and work out the state now (an open circuit whose
# cool-down has ended reads half_open; a probe older than its lease is forgotten).
_PROLOGUE = """
local key = KEYS[1]
local threshold = tonumber(ARGV[1])
local reset = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local h = redis.call('HMGET', key, 'state', 'failures', 'opened_at', 'probe_at', 'opened')
local state = h[1] or 'closed'
local failures = tonumber(h[2] or '0')
local opened_at = tonumber(h[3] or '0')
local probe_at = tonumber(h[4] or '0')
local opened = tonumber(h[5] or '0')
local probing = probe_at > 0 and now - probe_at < reset
local current = state
if state == 'open' and now - opened_at >= reset then current = 'half_open' end
"""
_EPILOGUE = """
redis.call('HSET', key, 'state', state, 'failures', failures, 'opened_at', opened_at,
           'probe_at', probe_at, 'opened', opened)
return {before, state, allowed, failures, tostring(reset - (now - opened_at)), opened}
"""

ALLOW = (
    _PROLOGUE
    + """
local before = current
local allowed = 0
if current == 'closed' then
  allowed = 1
elseif current == 'half_open' and not probing then
  state = 'half_open'
  probe_at = now
  allowed = 1
end
"""
    + _EPILOGUE
)
FAILURE = (
    _PROLOGUE
    + """
local before = current
local allowed = 0
local was_probe = probing or current == 'half_open'
probe_at = 0
failures = failures + 1
if was_probe or failures >= threshold then
  if state ~= 'open' or was_probe then opened = opened + 1 end
  opened_at = now
  state = 'open'
end
"""
    + _EPILOGUE
)
SUCCESS = (
    _PROLOGUE
    + """
local before = current
local allowed = 1
failures = 0
probe_at = 0
state = 'closed'
"""
    + _EPILOGUE
)
RELEASE = (
    _PROLOGUE
    + """
local before = current
local allowed = 0
probe_at = 0
"""
    + _EPILOGUE
)
READ = (
    _PROLOGUE
    + """
local before = current
local allowed = 0
if current == 'closed' or (current == 'half_open' and not probing) then allowed = 1 end
return {before, current, allowed, failures, tostring(reset - (now - opened_at)), opened}
"""
)


class RedisCircuitBreaker(CircuitBreaker):
    """``CircuitBreaker`` with its state in Redis (see the module docstring); the inherited in-process
    state is the fallback while Redis is unreachable."""

    def __init__(
        self,
        client: redis.Redis,
        namespace: str,
        *args: Any,
        shared_clock: Callable[[], float] | None = None,
        **kwargs: Any,
    ) -> None:
        """``args``/``kwargs`` as ``CircuitBreaker``'s (its ``clock`` drives the fallback state);
        ``shared_clock`` replaces Redis's ``TIME`` as the shared state's clock (tests drive it)."""
        super().__init__(*args, **kwargs)
        self._shared_clock = shared_clock
        self.key = f"{namespace}:circuit:{self.name}"
        self._client = client
        self._scripts = {
            name: client.register_script(source)
            for name, source in (
                ("allow", ALLOW),
                ("failure", FAILURE),
                ("success", SUCCESS),
                ("release", RELEASE),
                ("read", READ),
            )
        }
        self._degraded = False
        self._seen = CLOSED

    def _run(self, script: str) -> list[Any] | None:
        """Run one transition in Redis: ``[before, after, allowed, failures, open_left, opened]``, or None
        (and the caller uses the local state) when Redis fails."""
        try:
            now = "" if self._shared_clock is None else repr(self._shared_clock())
            raw = self._scripts[script](
                keys=[self.key], args=[self.failure_threshold, self.reset_seconds, now]
            )
        except redis.RedisError as error:
            if not self._degraded:
                log.warning(
                    "circuit %s: Redis unavailable (%s); using this process's own circuit state",
                    self.name,
                    type(error).__name__,
                )
            self._degraded = True
            return None
        if self._degraded:
            log.info("circuit %s: Redis is back; the circuit state is shared again", self.name)
            self._degraded = False
        result = [v.decode() if isinstance(v, bytes) else v for v in raw]
        self.opened_count = int(result[5])
        self._notice(str(result[1]))
        return result

    def _notice(self, state: str) -> None:
        """Report a state this process had not seen yet (its own transition or another process's)."""
        if state != self._seen:
            self._seen = state
            if self._on_change is not None:
                self._on_change(self.name, state)

    @property
    def state(self) -> str:
        result = self._run("read")
        return super().state if result is None else str(result[1])

    def allow(self) -> bool:
        result = self._run("allow")
        return super().allow() if result is None else bool(int(result[2]))

    def available(self) -> bool:
        result = self._run("read")
        return super().available() if result is None else bool(int(result[2]))

    def record_success(self) -> None:
        if self._run("success") is None:
            super().record_success()

    def record_failure(self) -> None:
        if self._run("failure") is None:
            super().record_failure()

    def release(self) -> None:
        if self._run("release") is None:
            super().release()

    def reset(self) -> None:
        try:
            self._client.delete(self.key)
        except redis.RedisError:
            log.warning("circuit %s: Redis unavailable; only this process's circuit was reset", self.name)
        super().reset()
        self._notice(CLOSED)

    def snapshot(self) -> dict[str, Any]:
        result = self._run("read")
        if result is None:
            return super().snapshot()
        state = str(result[1])
        left = max(0.0, float(result[4])) if state == OPEN else 0.0
        return {
            "state": state,
            "consecutive_failures": int(result[3]),
            "failure_threshold": self.failure_threshold,
            "reset_seconds": self.reset_seconds,
            "open_for_seconds": round(left, 3),
            "times_opened": int(result[5]),
            "shared": True,
        }


__all__ = ["RedisCircuitBreaker"]
