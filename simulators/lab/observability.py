"""The lab's observability stack: Debian's ``prometheus`` and ``prometheus-alertmanager`` on the lab's own
ports with configs generated under ``<var>/observability/``, and the lab's alert receiver.

- **Prometheus** scrapes the service's ``/metrics``, each ``genai-demo consumer``'s ``/metrics`` (plain
  HTTP on its metrics port: ``kafka_consumer_lag``, ``kafka_consumer_messages_total``), every
  simulator's ``/_sim/metrics``
  (``sim_requests_total{provider,method,operation,status,fault}``), itself and Alertmanager, loads the
  rule files of ``reference_service/observability/alerts/`` (copied byte for byte, or time-compressed
  by ``factor``, see :mod:`simulators.lab.rules`) and sends alerts to Alertmanager. Inspect: ``<url>/alerts``,
  ``<url>/api/v1/alerts``, ``<url>/api/v1/rules``.
- **Alertmanager** (clustering off) routes every alert, one group per label set, to the receiver, and
  sends "resolved" too. Inspect: ``<url>/#/alerts``, ``<url>/api/v2/alerts``.
- **The receiver** (:mod:`simulators.lab.alert_receiver`) records every notification (labels, status,
  time): ``<url>/notifications``, and ``<var>/observability/notifications.jsonl``.

At ``factor`` 1 the scrape and evaluation interval is 15 s and Alertmanager waits 10 s before a first
notification (30 s between updates of a group); at ``factor`` f each is divided by f (at least 1 s scrape
and evaluation, 500 ms for Alertmanager), so a compressed run keeps the same proportions.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from simulators.lab.rules import format_ms, write_rule_files

PROMETHEUS_PORT = 12190
ALERTMANAGER_PORT = 12193
RECEIVER_PORT = 12195
CANONICAL_INTERVAL_S = 15.0


class ObservabilityError(RuntimeError):
    """A binary is missing or a config cannot be written (the message says which and how to fix it)."""


@dataclass(frozen=True)
class ObservabilityOptions:
    """How to run the stack: ``factor`` compresses the rules' time (1 = canonical)."""

    factor: float = 1.0

    @property
    def interval_ms(self) -> int:
        """Scrape and rule-evaluation interval."""
        return max(1000, round(CANONICAL_INTERVAL_S * 1000 / self.factor))

    @property
    def interval_s(self) -> float:
        return self.interval_ms / 1000

    def scaled_ms(self, canonical_s: float, floor_ms: int = 500) -> int:
        return max(floor_ms, round(canonical_s * 1000 / self.factor))


@dataclass(frozen=True)
class StackPaths:
    root: Path
    prometheus_config: Path
    alertmanager_config: Path
    rules: list[Path]
    prometheus_data: Path
    alertmanager_data: Path
    notifications: Path


def binaries() -> dict[str, str]:
    """``prometheus`` and ``prometheus-alertmanager`` on PATH; ``ObservabilityError`` names the missing."""
    found = {name: shutil.which(name) for name in ("prometheus", "prometheus-alertmanager")}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise ObservabilityError(
            f"{' and '.join(missing)} not found: install Debian's prometheus and prometheus-alertmanager "
            "packages (`make tools` as root)"
        )
    return {name: str(path) for name, path in found.items()}


def write_configs(
    var_dir: Path,
    options: ObservabilityOptions,
    *,
    service_target: str,
    service_scheme: str,
    ca_file: Path | None,
    alertmanager_port: int,
    receiver_url: str,
    prometheus_port: int,
    simulator_targets: Sequence[str] = (),
    consumer_targets: Sequence[str] = (),
    rule_sources: Sequence[Path] | None = None,
) -> StackPaths:
    """Write ``prometheus.yml``, ``alertmanager.yml`` and the rule files under ``<var_dir>/observability``
    (an earlier run's data is removed: every lab starts with an empty TSDB). Returns where they are."""
    root = var_dir / "observability"
    for stale in ("prometheus-data", "alertmanager-data", "rules"):
        shutil.rmtree(root / stale, ignore_errors=True)
    root.mkdir(parents=True, exist_ok=True)
    rules = write_rule_files(root / "rules", options.factor, rule_sources)
    interval = format_ms(options.interval_ms)
    service_job: dict[str, object] = {
        "job_name": "genai-demo-service",
        "metrics_path": "/metrics",
        "scheme": service_scheme,
        "static_configs": [{"targets": [service_target]}],
    }
    simulators_job: dict[str, object] = {
        "job_name": "simulators",
        "metrics_path": "/_sim/metrics",
        "scheme": service_scheme,
        "static_configs": [{"targets": list(simulator_targets)}],
    }
    if ca_file is not None:
        service_job["tls_config"] = {"ca_file": str(ca_file)}
        simulators_job["tls_config"] = {"ca_file": str(ca_file)}
    prometheus = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval, "scrape_timeout": interval},
        "rule_files": [str(path) for path in rules],
        "alerting": {
            "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]
        },
        "scrape_configs": [
            service_job,
            *([simulators_job] if simulator_targets else []),
            *(
                [
                    {
                        "job_name": "genai-demo-consumer",
                        "metrics_path": "/metrics",
                        "static_configs": [{"targets": list(consumer_targets)}],
                    }
                ]
                if consumer_targets
                else []
            ),
            {"job_name": "prometheus", "static_configs": [{"targets": [f"127.0.0.1:{prometheus_port}"]}]},
            {"job_name": "alertmanager", "static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]},
        ],
    }
    alertmanager = {
        "route": {
            "receiver": "lab",
            "group_by": ["..."],  # every label set is its own group: one notification per alert
            "group_wait": format_ms(options.scaled_ms(10)),
            "group_interval": format_ms(options.scaled_ms(30)),
            "repeat_interval": "4h",
        },
        "receivers": [
            {
                "name": "lab",
                "webhook_configs": [{"url": receiver_url, "send_resolved": True, "max_alerts": 0}],
            }
        ],
    }
    paths = StackPaths(
        root=root,
        prometheus_config=root / "prometheus.yml",
        alertmanager_config=root / "alertmanager.yml",
        rules=rules,
        prometheus_data=root / "prometheus-data",
        alertmanager_data=root / "alertmanager-data",
        notifications=root / "notifications.jsonl",
    )
    paths.prometheus_config.write_text(yaml.safe_dump(prometheus, sort_keys=False), encoding="utf-8")
    paths.alertmanager_config.write_text(yaml.safe_dump(alertmanager, sort_keys=False), encoding="utf-8")
    paths.notifications.unlink(missing_ok=True)
    return paths


def prometheus_argv(binary: str, paths: StackPaths, port: int, options: ObservabilityOptions) -> list[str]:
    """The command line of the lab's Prometheus."""
    return [
        binary,
        f"--config.file={paths.prometheus_config}",
        f"--storage.tsdb.path={paths.prometheus_data}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--storage.tsdb.retention.time=2d",
        "--web.enable-lifecycle",  # POST /-/reload re-reads the config and rule files
        # a firing alert is re-sent to Alertmanager at most this often (default 1m), scaled like the rules
        f"--rules.alert.resend-delay={format_ms(options.scaled_ms(60))}",
        "--log.level=warn",
    ]


def alertmanager_argv(binary: str, paths: StackPaths, port: int) -> list[str]:
    """The command line of the lab's Alertmanager (no cluster: ``--cluster.listen-address=``)."""
    return [
        binary,
        f"--config.file={paths.alertmanager_config}",
        f"--storage.path={paths.alertmanager_data}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=warn",
    ]
