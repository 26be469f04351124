"""The ``rate_limit`` Locust scenario against a service process whose count lives in Redis: 429s begin
exactly at the limit (the measured threshold equals ``RATELIMIT_DEFAULT``) and never before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis

from tests.auth import auth_issuer
from tests.conftest import NO_AWS_ENV
from tests.support import REPO, require, run_service

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.security, pytest.mark.redis]
REDIS_URL = "redis://127.0.0.1:6379"


def test_429s_begin_at_the_threshold(tmp_path: Path) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=1).ping()
    except redis.RedisError as exc:
        require("Redis", f"{REDIS_URL}: {type(exc).__name__}")
    env = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": f"load-{uuid.uuid4().hex[:12]}",
           **NO_AWS_ENV}  # fmt: skip
    out = tmp_path / "reports"
    with run_service(tmp_path, env=env) as live:
        command = [sys.executable, "-m", "load.run", "rate_limit", "--host", live.url, "--users", "4",
                   "--spawn-rate", "4", "--run-time", "50s", "--out", str(out)]  # fmt: skip
        proc = subprocess.run(command, cwd=REPO, env={**os.environ, **auth_issuer().load_env()},
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [report] = out.glob("*/rate_limit.json")
    figures = json.loads(report.read_text())
    assert figures["measured_threshold"] == figures["limit"] == 1000
    assert figures["rejected_429"] > 0 and figures["ok_when_first_429"] >= 1000 - 4
