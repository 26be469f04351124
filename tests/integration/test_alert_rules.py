"""The Prometheus rules: valid syntax and passing unit tests under the real ``promtool``, and no drift
between the series they use and the series the service exports."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml
from flask.testing import FlaskClient
from prometheus_client import generate_latest

from reference_service.adapters.kafka_consumer import ConsumerMetrics
from tests.support import require

ALERTS = Path(__file__).resolve().parents[2] / "reference_service" / "observability" / "alerts"
RULES = sorted(ALERTS.glob("*.yml"))
#: series the rules build themselves (recording rules) or that Prometheus adds
DERIVED = {
    "external_api_success_rate",
    "stripe_api_success_rate",
    "paypal_api_success_rate",
    "payment_processing_duration_p95",
}


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        require("promtool", "install Debian's prometheus package (make test does this as root)")
    assert path is not None
    return path


def test_rule_files_pass_promtool_check() -> None:
    assert RULES, "no rule files found"
    out = subprocess.run(
        [promtool(), "check", "rules", *map(str, RULES)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout


def test_rule_unit_tests_pass_under_promtool() -> None:
    tests = sorted((ALERTS / "tests").glob("*.test.yml"))
    assert tests
    out = subprocess.run(
        [promtool(), "test", "rules", *map(str, tests)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ALERTS / "tests",
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_seed_alerts_are_present_verbatim() -> None:
    rules = {
        r.get("alert"): r for f in RULES for g in yaml.safe_load(f.read_text())["groups"] for r in g["rules"]
    }
    assert rules["StripeServiceDown"]["expr"] == "stripe_api_success_rate < 0.95"
    assert rules["StripeServiceDown"]["for"] == "2m"
    assert rules["PaymentProcessingDelayed"]["expr"] == "payment_processing_duration_p95 > 10"
    assert rules["PaymentProcessingDelayed"]["for"] == "5m"


def test_every_series_the_rules_use_is_exported_by_the_service(client: FlaskClient) -> None:
    exported = set(re.findall(r"^# TYPE (\w+) ", client.get("/metrics").get_data(as_text=True), re.M))
    # the Kafka consumer's series come from genai-demo consumer's own registry
    consumer = generate_latest(ConsumerMetrics().registry).decode()
    exported |= set(re.findall(r"^# TYPE (\w+) ", consumer, re.M))
    used: set[str] = set()
    for f in RULES:
        for group in yaml.safe_load(f.read_text())["groups"]:
            for rule in group["rules"]:
                used |= set(re.findall(r"\b([a-z_][a-z0-9_]*)\s*[{\[]", rule["expr"]))
                used |= set(re.findall(r"\b([a-z_][a-z0-9_]*_(?:rate|p95|events))\b", rule["expr"]))
    used -= DERIVED | {"by", "rate", "sum", "histogram_quantile", "round"}
    # histogram and counter samples carry suffixes that the TYPE line does not
    base = {re.sub(r"_(bucket|count|sum|total)$", "", n) for n in used}
    missing = {n for n in base if n not in exported and f"{n}_total" not in exported}
    assert not missing, f"rules use series the service does not export: {sorted(missing)}"
