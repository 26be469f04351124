"""``genai-demo up --profile``: which workers, consumers, database and Redis each profile chooses, what it
gives the service, and the one-line refusal when PostgreSQL or Redis does not answer (nothing started)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from simulators.lab.up import (
    DEFAULT_POSTGRES_URL,
    DEFAULT_REDIS_URL,
    UNREACHABLE_EXIT_CODE,
    Scale,
    UnreachableError,
    check_reachable,
    consumer_name,
    mask_url,
    scale_for,
)
from simulators.testing import free_port
from tests.support import REPO, genai_demo_argv


def test_the_default_profile_is_todays_lab() -> None:
    scale = scale_for("default", env={"DATABASE_URL": "postgresql+psycopg://x@db/app"})
    assert scale == Scale("default", workers=1, consumers=1, database_url=None, redis_url=None)
    assert scale.service_env(Path("var")) == {}  # the service keeps the environment's settings


def test_the_scaled_profile_defaults_to_the_machines_postgresql_and_redis(tmp_path: Path) -> None:
    scale = scale_for(
        "scaled", env={"DATABASE_URL": "sqlite:///var/lab.db", "RATELIMIT_STORAGE_URI": "memory://"}
    )
    assert scale == Scale("scaled", 2, 2, DEFAULT_POSTGRES_URL, DEFAULT_REDIS_URL)
    assert scale.service_env(tmp_path) == {
        "DATABASE_URL": DEFAULT_POSTGRES_URL,
        "RATELIMIT_STORAGE_URI": DEFAULT_REDIS_URL,
        "CIRCUIT_BREAKER_STORAGE_URI": DEFAULT_REDIS_URL,
        "PROMETHEUS_MULTIPROC_DIR": str((tmp_path / "prometheus-multiproc").resolve()),
    }


def test_the_scaled_profile_takes_options_then_the_environments_servers() -> None:
    env = {
        "DATABASE_URL": "postgresql+psycopg://u:pw@db/app",
        "RATELIMIT_STORAGE_URI": "rediss://cache:6380/2",
    }
    from_env = scale_for("scaled", env=env)
    assert (from_env.database_url, from_env.redis_url) == (env["DATABASE_URL"], env["RATELIMIT_STORAGE_URI"])
    given = scale_for("scaled", workers=4, database_url="postgresql://a/b", redis_url="redis://c/3", env=env)
    assert (given.workers, given.database_url, given.redis_url) == (4, "postgresql://a/b", "redis://c/3")
    with pytest.raises(ValueError, match="unknown profile"):
        scale_for("huge")


def test_consumers_are_named_and_passwords_masked() -> None:
    assert [consumer_name(n) for n in range(3)] == ["consumer", "consumer-2", "consumer-3"]
    assert (
        mask_url("postgresql+psycopg://app:s3cr%40t@db:5432/shop")
        == "postgresql+psycopg://app:***@db:5432/shop"
    )
    assert mask_url("rediss://:token@cache:6380/0") == "rediss://:***@cache:6380/0"
    assert mask_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert mask_url("postgresql+psycopg://postgres@127.0.0.1:5432/test") == DEFAULT_POSTGRES_URL


def test_the_scaled_profile_refuses_sqlite() -> None:
    with pytest.raises(UnreachableError, match="needs PostgreSQL"):
        check_reachable(Scale("scaled", 2, 2, "sqlite:///var/lab.db", None))


def test_unreachable_servers_are_named_with_what_to_do() -> None:
    dead = free_port()
    with pytest.raises(
        UnreachableError, match=r"^Redis at redis://:\*\*\*@127\.0\.0\.1:\d+/0 did not answer"
    ) as exc:
        check_reachable(Scale("scaled", 2, 2, None, f"redis://:hunter2@127.0.0.1:{dead}/0"), timeout=1)
    assert "--redis-url" in str(exc.value) and "hunter2" not in str(exc.value)
    url = f"postgresql+psycopg://postgres:hunter2@127.0.0.1:{dead}/test"
    with pytest.raises(
        UnreachableError, match=r"^PostgreSQL at postgresql\+psycopg://postgres:\*\*\*@"
    ) as exc:
        check_reachable(Scale("scaled", 2, 2, url, None), timeout=1)
    assert "--database-url" in str(exc.value) and "hunter2" not in str(exc.value)


@pytest.mark.slow
def test_up_exits_before_starting_anything_when_postgresql_is_down(tmp_path: Path) -> None:
    dead = free_port()
    argv = genai_demo_argv(
        "up", "--profile", "scaled", "--var-dir", str(tmp_path / "var"),
        "--database-url", f"postgresql+psycopg://postgres@127.0.0.1:{dead}/test",
    )  # fmt: skip
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == UNREACHABLE_EXIT_CODE, proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith(
        f"error: PostgreSQL at postgresql+psycopg://postgres@127.0.0.1:{dead}/test did not answer"
    )
    assert line.endswith("start it, or point --database-url at a running server and an existing database")
    assert not (tmp_path / "var").exists(), "nothing started"
