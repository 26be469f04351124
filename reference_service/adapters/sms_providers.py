"""What the SMS providers share: the region filter and the circuit-breaker bookkeeping around ``send``.

A provider's ``is_available()`` asks its circuit breaker (which, half-open, admits one probe: the router
calls ``send`` right after). ``send`` then reports the outcome: a success or a refused recipient is the
provider working; any other error counts against it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from reference_service.adapters.circuit_breaker import CircuitBreaker
from reference_service.service_layer.errors import ProviderError
from reference_service.service_layer.notification_errors import SmsRecipientRejected

T = TypeVar("T")
ANY_REGION = "*"


class RegionFilter:
    """The regions a provider sends to: ``*`` (any) or ISO 3166 codes such as ``US,CA,GB``."""

    def __init__(self, spec: str) -> None:
        codes = {c.strip().upper() for c in spec.split(",") if c.strip()}
        self.any = ANY_REGION in codes or not codes
        self.codes = frozenset(codes - {ANY_REGION})

    def __contains__(self, region: object) -> bool:
        return self.any or (isinstance(region, str) and region.upper() in self.codes)

    def describe(self) -> list[str]:
        return [ANY_REGION] if self.any else sorted(self.codes)


class GuardedProvider:
    """Base of ``AwsSnsProvider`` and ``TwilioProvider``: region filter plus circuit breaker."""

    name: str

    def __init__(self, breaker: CircuitBreaker, regions: RegionFilter) -> None:
        self.breaker = breaker
        self.regions = regions

    def is_available(self) -> bool:
        """Whether the circuit lets a call through (half-open: this admits the probe)."""
        return self.breaker.allow()

    def supports_region(self, region: str) -> bool:
        return region in self.regions

    def guarded(self, call: Callable[[], T]) -> T:
        """Run ``call`` (which raises service errors only) and tell the breaker how it went."""
        try:
            result = call()
        except SmsRecipientRejected:
            self.breaker.record_success()  # the provider answered, correctly
            raise
        except ProviderError:
            self.breaker.record_failure()
            raise
        except BaseException:
            self.breaker.release()
            raise
        self.breaker.record_success()
        return result
