"""The alert scenarios on a real Prometheus and Alertmanager (``load/alerts``), time-compressed so that
they fit the suite: the seed's StripeServiceDown, the SMS circuit (SNS down, every SMS still delivered)
and the carrier going down each fire within their bounds, notify the lab's receiver and resolve; and a
deliberately broken rule expression makes the scenario fail. ``make alerts`` runs them at full scale,
with PaymentProcessingDelayed (its 11 s latency cannot be compressed, so it stays out of the suite) and
KafkaConsumerLagHigh (a backlog of 1,000 events takes about 70 s to build at any time scale); here the
consumer is only shown to be scraped, its lag series present."""

from __future__ import annotations

import random
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from load.alerts.driver import LabUrls, ScenarioResult
from load.alerts.observe import Observer
from load.alerts.runner import alert_lab, run_all
from load.alerts.scenarios import scenario
from load.common.auth import bearer
from load.common.payloads import order_request
from simulators.lab.observability import (
    ALERTMANAGER_PORT,
    PROMETHEUS_PORT,
    RECEIVER_PORT,
    ObservabilityOptions,
)
from simulators.lab.rules import compressed_text
from simulators.lab.up import Lab
from tests.support import free_offset, require

# one worker runs the whole module, so its module-scoped lab starts once (make test: --dist loadgroup)
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("alert-lab")]

FACTOR = 30
IN_SUITE = ("stripe-down", "sms-sns-down", "carrier-down")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lab, LabUrls]]:
    for binary in ("prometheus", "prometheus-alertmanager"):
        if shutil.which(binary) is None:
            require(binary, "install Debian's prometheus and prometheus-alertmanager (make tools)")
    with alert_lab(
        tmp_path_factory.mktemp("alert-lab"),
        FACTOR,
        free_offset(PROMETHEUS_PORT, ALERTMANAGER_PORT, RECEIVER_PORT),
    ) as running:
        yield running


def _run(lab: tuple[Lab, LabUrls], names: tuple[str, ...], out: Path) -> list[ScenarioResult]:
    return run_all([scenario(n) for n in names], lab[1], FACTOR, ObservabilityOptions(FACTOR).interval_s, out)


@pytest.mark.timeout(240)
def test_each_compressed_alert_fires_notifies_and_resolves(lab: tuple[Lab, LabUrls], tmp_path: Path) -> None:
    results = _run(lab, IN_SUITE, tmp_path)
    for result in results:
        assert result.passed, f"{result.alert}: {result.failures}"
        assert result.pending_at is not None and result.firing_at is not None
        assert result.fault_started_at < result.pending_at <= result.firing_at < result.fault_ended_at
        assert result.firing_notified_at is not None and result.firing_notified_at >= result.firing_at
        assert result.resolved_notified_at is not None and result.resolved_notified_at > result.fault_ended_at
        assert result.requests > 0
        assert (Path(result.out_dir) / "report.html").stat().st_size > 10_000  # the embedded plot
        assert (Path(result.out_dir) / "locust.html").exists()
    sms = next(r for r in results if r.alert == "SmsProviderCircuitOpen")
    assert sms.sms_sent and sms.sms_delivered == sms.sms_sent  # failover kept delivery at 100 %


@pytest.mark.timeout(180)
def test_a_broken_rule_expression_fails_the_scenario(lab: tuple[Lab, LabUrls], tmp_path: Path) -> None:
    """The fixture: StripeServiceDown compares a series that does not exist (a typo in its label), so it
    can never fire; the same scenario that passes with the canonical rule must now fail."""
    running, urls = lab
    assert running.observability_paths is not None
    rule_file = running.observability_paths.root / "rules" / "external-services.yml"
    canonical = rule_file.read_text(encoding="utf-8")
    good = "expr: stripe_api_success_rate < 0.95"
    assert good in canonical and canonical == compressed_text(
        Path(__file__).resolve().parents[2] / "reference_service/observability/alerts/external-services.yml",
        FACTOR,
    )
    broken = canonical.replace(good, 'expr: stripe_api_success_rate{provider="strpie"} < 0.95')
    observer = Observer(urls.prometheus, urls.receiver)
    try:
        rule_file.write_text(broken, encoding="utf-8")
        observer.reload()
        [result] = _run(lab, ("stripe-down",), tmp_path)
    finally:
        rule_file.write_text(canonical, encoding="utf-8")
        observer.reload()
        observer.close()
    assert not result.passed
    assert any("never became pending or firing" in f for f in result.failures), result.failures
    assert result.firing_notified_at is None


def test_prometheus_scrapes_the_consumers_lag(
    lab: tuple[Lab, LabUrls], monkeypatch: pytest.MonkeyPatch
) -> None:
    """KafkaConsumerLagHigh reads ``kafka_consumer_lag`` from ``genai-demo consumer``'s own /metrics: with
    one order placed (its event creates the topic the consumer then holds), the lab's Prometheus has that
    target up and the lag series of the topic."""
    _, urls = lab
    monkeypatch.setenv("LOAD_ISSUER_URL", urls.simulators["identity"])
    customer = "cus_scrape_probe"
    placed = requests.post(
        f"{urls.service}/api/v1/orders",
        json=order_request(random.Random(7), customer, currency="USD"),
        headers=bearer(customer, "customer"),
        timeout=30,
        verify=False,
    )
    assert placed.status_code == 201, placed.text
    observer = Observer(urls.prometheus, urls.receiver)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            up = observer.range('up{job="genai-demo-consumer"}', time.time() - 5, time.time(), 1)
            lag = observer.range('kafka_consumer_lag{topic="order-events"}', time.time() - 5, time.time(), 1)
            if up and lag:
                break
            time.sleep(1)
    finally:
        observer.close()
    assert up and up[0][1][-1][1] == 1.0, up
    assert lag and lag[0][1][-1][1] >= 0, lag
