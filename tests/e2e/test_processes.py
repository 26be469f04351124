"""The service and the lab as a user runs them: real processes, signals, logs and the CLI."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from simulators.lab import cli as cli_module
from simulators.testing import free_port
from tests.support import REPO, descendants, genai_demo_argv, part_leader, run_service

pytestmark = pytest.mark.e2e


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split()[2] == "Z")


@pytest.mark.parametrize(
    "args",
    [[], ["service"], ["up"], ["sim"], ["db"], ["db", "upgrade"], ["config"], ["bench"], ["trigger"]],
    ids=" ".join,
)
def test_help_works_at_every_level(args: list[str]) -> None:
    result = CliRunner().invoke(cli_module.cli, [*args, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "genai-demo"
    out = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "up" in out.stdout and "service" in out.stdout and "sim" in out.stdout


def test_bad_configuration_fails_fast_naming_the_variable(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": "mysql://root@localhost/shop", "SERVICE_PORT": str(free_port())}
    out = subprocess.run(
        genai_demo_argv("service"), env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert out.returncode != 0
    assert "DATABASE_URL" in out.stderr and "unsupported database 'mysql'" in out.stderr
    assert "Traceback" not in out.stderr


def test_service_process_serves_logs_json_and_stops_cleanly(tmp_path: Path) -> None:
    with run_service(tmp_path) as live:
        created = live.http.post(
            live.url + "/api/v1/orders",
            json={
                "customer_ref": "cus_9",
                "currency": "EUR",
                "items": [{"sku": "A", "name": "a", "quantity": 1, "unit_amount": 100}],
            },
            headers={"X-Request-Id": "e2e-req-1"},
            timeout=10,
        )
        assert created.status_code == 201 and created.headers["X-Request-Id"] == "e2e-req-1"
        health = requests.get(live.url + "/health", timeout=10).json()  # providers are not running here
        assert health["checks"]["database"]["status"] == "UP"
        workers = descendants(live.proc.pid)
        assert workers, "granian should run at least one worker process"
        deadline = time.monotonic() + 5
        while '"request_id": "e2e-req-1"' not in live.output() and time.monotonic() < deadline:
            time.sleep(0.05)
        [line] = [ln for ln in live.output().splitlines() if '"request_id": "e2e-req-1"' in ln]
        record = json.loads(line)
        assert record["logger"] == "genai_demo.access"
        assert {k: record[k] for k in ("method", "route", "status")} == {
            "method": "POST",
            "route": "/api/v1/orders",
            "status": 201,
        }
        assert "cus_9" not in live.output()
        code = live.stop(signal.SIGTERM)
    assert code == 0
    assert not [p for p in workers if alive(p)]


def wait_for(log: Path, text: str, after: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text()[after:]:
        assert time.monotonic() < deadline, log.read_text()[after:]
        time.sleep(0.1)


def supervised_restarts(lab_pid: int, log: Path, service_url: str, offset: int) -> None:
    """SIGKILL the service, then the Stripe simulator: ``up`` reports each death, restarts the part and
    keeps the others (the Twilio simulator keeps its pid and its journal)."""
    twilio_url = f"http://127.0.0.1:{12113 + offset}"
    twilio = part_leader(lab_pid, "sim", "twilio")
    journal_before = len(requests.get(twilio_url + "/_sim/journal", timeout=5).json()["data"])
    for argv, name in ((("service",), "service"), (("sim", "stripe"), "stripe")):
        mark = len(log.read_text())
        os.killpg(part_leader(lab_pid, *argv), signal.SIGKILL)
        wait_for(log, f"{name} exited unexpectedly", mark)
        wait_for(log, f"{name} restarted", mark)
    assert requests.get(service_url + "/health", timeout=5).json()["status"] == "UP"
    stripe = requests.get(f"http://127.0.0.1:{12111 + offset}/_sim/webhooks/endpoints", timeout=5).json()
    assert [e["url"] for e in stripe["data"]] == [f"{service_url}/api/v1/webhooks/stripe"]  # wired again
    assert part_leader(lab_pid, "sim", "twilio") == twilio
    assert len(requests.get(twilio_url + "/_sim/journal", timeout=5).json()["data"]) >= journal_before


def test_up_starts_the_lab_prints_the_table_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    # service on 20000-20999, simulators on 24111-25115: below the ephemeral range (32768-60999), so an
    # outgoing connection of another process cannot be holding one of these ports
    offset = free_port() % 1000 + 20000 - 8000
    log = tmp_path / "up.log"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'lab.db'}"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            genai_demo_argv("up", "--port-offset", str(offset), "--var-dir", str(tmp_path / "var")),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    try:
        deadline = time.monotonic() + 90
        while "lab is up" not in log.read_text() and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.1)
        text = log.read_text()
        assert "lab is up" in text, text
        service_url = f"http://127.0.0.1:{8000 + offset}"
        assert service_url in text and "STRIPE_SECRET_KEY" in text
        health = requests.get(service_url + "/health", timeout=5).json()
        assert health["status"] == "UP"
        # up wired SES feedback once the service was healthy, and the service confirmed the subscription
        assert "wired aws: SES_FEEDBACK_SUBSCRIPTION_ARN, SES_FEEDBACK_TOPIC_ARN" in text
        assert health["checks"]["ses_feedback"]["details"]["state"] == "confirmed"
        # Kafka: up started the mock cluster and one consumer, and wired the service to the cluster
        kafka = requests.get(f"http://127.0.0.1:{12117 + offset}/_sim/health", timeout=5).json()
        assert re.search(rf"MSK_BOOTSTRAP_SERVERS\s+{re.escape(kafka['bootstrap_servers'])}\n", text)
        assert health["checks"]["kafka"]["status"] == "UP"
        consumer_metrics = requests.get(f"http://127.0.0.1:{12118 + offset}/metrics", timeout=5).text
        assert "kafka_consumer_lag" in consumer_metrics
        from simulators.registry import PROVIDERS

        for name, spec in PROVIDERS.items():
            url = f"http://127.0.0.1:{spec.default_port + offset}"
            assert url in text, name
            assert requests.get(url + "/_sim/health", timeout=5).status_code == 200, name
        supervised_restarts(proc.pid, log, service_url, offset)
        children = descendants(proc.pid)
        assert len(children) >= 2 * (1 + len(PROVIDERS)) - 1  # each part: a server plus its worker
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
        assert "stopped." in log.read_text()
        time.sleep(0.2)
        assert not [p for p in children if alive(p)], "a child process outlived the lab"
    finally:
        if proc.poll() is None:  # the test failed with the lab running: stop it, and leave no orphan
            leftovers = descendants(proc.pid)
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            for pid in leftovers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
