"""The rate limit: ``RATELIMIT_DEFAULT`` (1000/minute) per client over every route together, with
flask-limiter on ``RATELIMIT_STORAGE_URI`` (Redis, so every worker and instance shares one count).

* **Who is a client.** The API key's id, else the token's subject, else the IP address
  (:func:`client_key`). Authentication runs first, so a request with a bad credential counts against its
  IP: guessing keys is limited too.
* **Window.** ``RATELIMIT_STRATEGY``: ``moving-window`` by default, so there is no burst at a window edge:
  at most 1000 requests in any 60 seconds. (``fixed-window`` allows up to 2x the limit across the edge of
  two windows; ``sliding-window-counter`` approximates the moving window with two counters.)
* **Webhooks.** The providers' webhook routes have their own budget, ``RATELIMIT_WEBHOOKS`` per sending
  IP, shared by the webhook routes and not counted in anyone's default limit, so a provider's retry storm
  cannot lock customers out (nor customers the providers).
* **Probes.** ``/health``, ``/health/live`` and ``/metrics`` are not limited (monitoring must keep
  seeing the service, and the storage-error metric, while Redis is down).
* **Answers.** A 429 is problem+json ``rate-limited`` with ``Retry-After``, the limit it hit, and
  ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset`` (seconds until the window frees a
  request; IETF httpapi-ratelimit-headers). ``RATELIMIT_HEADERS_ALWAYS=true`` sends those three on every
  limited answer too; it is off by default because reading them is a second round trip to Redis per
  request, which doubled the limiter's cost (``genai-demo bench auth``). ``ratelimit_rejections_total``
  counts them.
* **Storage down.** ``RATELIMIT_ON_STORAGE_ERROR=open`` (default) serves the request, counts
  ``ratelimit_storage_errors_total{policy="open"}`` (alert ``RateLimitStorageDown``) and logs a warning at
  most once a minute; ``closed`` answers 503 ``rate-limit-unavailable``. ``memory://`` (the lab default)
  counts per process only and logs a warning at start-up; ``DEPLOYMENT=production`` refuses it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from flask import Blueprint, Flask, Response, g, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse

from reference_service.config import Settings
from reference_service.domain.access import Principal
from reference_service.entrypoints.errors import Problem
from reference_service.observability.metrics import ServiceMetrics

logger = logging.getLogger(__name__)
WEBHOOK_SCOPE = "webhooks"
#: health and metrics probes are never limited: monitoring must see the service, and the storage-error
#: metric, even while the limiter's storage is down
PROBES = frozenset({"health", "live", "metrics"})
_WARN_EVERY = 60.0


def client_key() -> str:
    """The bucket of the current request: ``api_key:<id>``, ``token:<sub>`` or ``ip:<address>``."""
    principal = g.get("principal")
    if isinstance(principal, Principal):
        return principal.label
    return f"ip:{request.remote_addr or 'unknown'}"


def ip_key() -> str:
    return f"ip:{request.remote_addr or 'unknown'}"


class ServiceLimiter(Limiter):
    """flask-limiter's ``Limiter`` with the storage-error policy of the module docstring (flask-limiter
    itself can only swallow such errors, logging a traceback per request)."""

    def __init__(self, settings: Settings, metrics: ServiceMetrics, webhook_blueprints: set[str]) -> None:
        self.policy = settings.ratelimit_on_storage_error
        self.metrics = metrics
        self._last_warning = 0.0
        webhooks = frozenset(webhook_blueprints)
        super().__init__(
            client_key,
            application_limits=[settings.ratelimit_default],
            application_limits_exempt_when=lambda: (
                request.blueprint in webhooks or request.endpoint in PROBES
            ),
            storage_uri=settings.ratelimit_storage_uri,
            strategy=settings.ratelimit_strategy,
            key_prefix=settings.ratelimit_key_prefix,
            headers_enabled=False,  # set by add_headers: the IETF names, and Retry-After on 429s only
            swallow_errors=False,
        )

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        try:
            super()._check_request_limit(callable_name, in_middleware)
        except RateLimitExceeded:
            raise
        except Exception as exc:  # the storage (Redis) failed: the configured policy decides
            self.metrics.ratelimit_storage_errors.labels(self.policy).inc()
            now = time.monotonic()
            if now - self._last_warning >= _WARN_EVERY:
                self._last_warning = now
                logger.warning("rate-limit storage failed (%s); policy %s", type(exc).__name__, self.policy)
            if self.policy == "closed":
                raise Problem("rate-limit-unavailable", "The rate limiter cannot count requests now.",
                              headers={"Retry-After": "5"}) from None  # fmt: skip


def add_headers(limiter: Limiter, response: Response, always: bool) -> Response:
    """``RateLimit-Limit``/``-Remaining``/``-Reset`` for the limit the request counted against: on a 429,
    or on every limited answer when ``always`` (reading them is a second storage round trip)."""
    current = limiter.current_limit
    if current is None or (response.status_code != 429 and not always):
        return response
    try:
        reset_in = max(0, int(current.reset_at - time.time()))
        remaining = current.remaining
    except Exception:  # the storage failed between the check and now: no headers rather than a 500
        return response
    response.headers["RateLimit-Limit"] = str(current.limit.amount)
    response.headers["RateLimit-Remaining"] = str(remaining)
    response.headers["RateLimit-Reset"] = str(reset_in)
    if response.status_code == 429:
        response.headers["Retry-After"] = str(max(1, reset_in))
    return response


def rate_limited(exc: RateLimitExceeded, metrics: ServiceMetrics) -> Problem:
    """The 429 problem for a breached limit."""
    scope = "webhooks" if request.blueprint and request.blueprint.endswith("webhooks") else "default"
    metrics.ratelimit_rejections.labels(scope).inc()
    limit = str(exc.limit.limit)
    return Problem(
        "rate-limited",
        f"Rate limit exceeded: {limit} for this client. Retry after the Retry-After seconds.",
        extra={"limit": limit},
    )


def install_rate_limit(
    app: Flask, settings: Settings, metrics: ServiceMetrics, webhook_blueprints: Iterable[Blueprint]
) -> ServiceLimiter:
    """The limiter on ``app``: the default per-client limit, and the webhooks' shared per-IP limit."""
    parse(settings.ratelimit_default)  # a bad value fails at start-up, naming itself
    parse(settings.ratelimit_webhooks)
    blueprints = list(webhook_blueprints)
    limiter = ServiceLimiter(settings, metrics, {bp.name for bp in blueprints})
    for bp in blueprints:
        limiter.shared_limit(settings.ratelimit_webhooks, scope=WEBHOOK_SCOPE, key_func=ip_key)(bp)
    limiter.init_app(app)
    always = settings.ratelimit_headers_always
    app.after_request(lambda response: add_headers(limiter, response, always))
    if settings.ratelimit_storage_uri.startswith("memory://"):
        logger.warning(
            "rate limits are counted in this process only (RATELIMIT_STORAGE_URI=memory://); "
            "set RATELIMIT_STORAGE_URI=redis://... to share them between workers and instances"
        )
    return limiter
