"""Prometheus metrics of the deliveries area, registered on the service's registry.

Series (scrape ``GET /metrics``; every carrier call is also in ``external_api_requests_total{provider=
"easypost"}``, which the carrier-availability alert of ``alerts/logistics.yml`` reads):

- ``logistics_labels_total{outcome}``: label purchases: ``created``, ``replayed`` (the order's delivery for
  that quote again), ``invalid_quote``, ``failed`` (the carrier was unavailable after retries).
- ``logistics_cancellations_total{outcome}``: ``cancelled``, ``refused`` (the carrier has the parcel).
- ``logistics_tracking_updates_total{source,outcome}``: tracking updates from ``webhook`` or ``reconcile``:
  ``applied``, ``stale``, ``duplicate``, ``duplicate-state``, ``unmatched``, ``ignored``.
- ``logistics_delivery_status_total{status}``: deliveries reaching each status (applied updates).
- ``logistics_carrier_up``: 1 when the last carrier health check answered, 0 when it failed.
- ``logistics_open_deliveries``: deliveries still on their way (read from the database at scrape time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from reference_service.service_layer.delivery_errors import DeliveryNotCancellable, ShippingQuoteInvalid
from reference_service.service_layer.outcomes import Created


class _OpenDeliveries(Collector):
    def __init__(self, count: Callable[[], int]) -> None:
        self._count = count

    def collect(self) -> Iterator[Metric]:
        try:
            value = self._count()
        except Exception:  # a scrape must not fail because the database is down; /health reports that
            return
        yield GaugeMetricFamily("logistics_open_deliveries", "Deliveries still on their way", value=value)


class LogisticsMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.labels = Counter(
            "logistics_labels_total", "Label purchases by outcome", ["outcome"], registry=registry
        )
        self.cancellations = Counter(
            "logistics_cancellations_total",
            "Delivery cancellations by outcome",
            ["outcome"],
            registry=registry,
        )
        self.tracking_updates = Counter(
            "logistics_tracking_updates_total",
            "Carrier tracking updates by source (webhook, reconcile) and outcome",
            ["source", "outcome"],
            registry=registry,
        )
        self.delivery_status = Counter(
            "logistics_delivery_status_total",
            "Deliveries reaching each status",
            ["status"],
            registry=registry,
        )
        self.carrier_up = Gauge(
            "logistics_carrier_up",
            "1 when the last carrier health check answered",
            registry=registry,
            multiprocess_mode="livemostrecent",  # the latest verdict of any live worker
        )

    def watch_open(self, count: Callable[[], int]) -> None:
        """Export ``logistics_open_deliveries`` computed by ``count`` at each scrape."""
        self.registry.register(_OpenDeliveries(count))

    def count_labels(self, handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Decorate the CreateDelivery handler."""

        def wrapper(cmd: Any) -> Any:
            try:
                result = handler(cmd)
            except ShippingQuoteInvalid:
                self.labels.labels("invalid_quote").inc()
                raise
            except Exception:
                self.labels.labels("failed").inc()
                raise
            self.labels.labels("created" if isinstance(result, Created) else "replayed").inc()
            return result

        return wrapper

    def count_cancellations(self, handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Decorate the CancelDelivery handler."""

        def wrapper(cmd: Any) -> Any:
            try:
                result = handler(cmd)
            except DeliveryNotCancellable:
                self.cancellations.labels("refused").inc()
                raise
            self.cancellations.labels("cancelled").inc()
            return result

        return wrapper

    def count_tracking(self, handler: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """Decorate the ApplyTrackingUpdate handler."""

        def wrapper(cmd: Any) -> Any:
            receipt = handler(cmd)
            self.tracking_updates.labels(cmd.source, receipt.outcome).inc()
            if receipt.outcome == "applied" and receipt.status:
                self.delivery_status.labels(receipt.status).inc()
            return receipt

        return wrapper
