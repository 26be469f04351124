"""The database goes away under the service: requests fail cleanly with 503 problem+json (never a 500),
and the pool recovers by itself once the database is back (pre-ping), on PostgreSQL for real."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from reference_service.bootstrap import bootstrap
from reference_service.config import Settings
from reference_service.entrypoints.app import create_app
from tests.auth import authorized_client
from tests.support import POSTGRES_URL, postgres_schema_url

ORDER = {
    "customer_ref": "cus_1",
    "currency": "USD",
    "items": [{"sku": "A", "name": "a", "quantity": 1, "unit_amount": 1999}],
}


def test_an_unreachable_database_is_a_503_problem_with_retry_after(settings: Settings) -> None:
    down = settings.model_copy(update={"database_url": "postgresql+psycopg://postgres@127.0.0.1:1/test"})
    container = bootstrap(down, run_migrations=False)
    try:
        client = authorized_client(create_app(down, container, start_relay=False), "admin")
        for resp in (client.get("/api/v1/orders"), client.post("/api/v1/orders", json=ORDER)):
            assert resp.status_code == 503, resp.get_data(as_text=True)
            assert resp.mimetype == "application/problem+json"
            assert resp.json["type"] == "/problems/database-unavailable"
            assert resp.headers["Retry-After"] == "2"
    finally:
        container.close()


@pytest.fixture
def pg_app(settings: Settings) -> Iterator[tuple[Flask, str]]:
    """The service on a private PostgreSQL schema, its connections tagged with a unique application_name
    (so the test terminates only them)."""
    name = f"outage-{uuid.uuid4().hex[:10]}"
    with postgres_schema_url() as url:
        on_pg = settings.model_copy(update={"database_url": f"{url}&application_name={name}"})
        container = bootstrap(on_pg)
        try:
            yield create_app(on_pg, container, start_relay=False), name
        finally:
            container.close()


@pytest.mark.postgres
def test_the_pool_recovers_after_every_connection_is_terminated(pg_app: tuple[Flask, str]) -> None:
    app, name = pg_app
    client = authorized_client(app, "admin")
    created = client.post("/api/v1/orders", json=ORDER)
    assert created.status_code == 201
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with admin.connect() as conn:
            killed = conn.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = :n"
                ),
                {"n": name},
            ).scalar_one()
    finally:
        admin.dispose()
    assert killed >= 1  # the pool held live connections, now all dead
    answers = [client.get(f"/api/v1/orders/{created.json['id']}").status_code for _ in range(5)]
    assert answers == [200] * 5  # pre-ping replaced every dead connection: no 500, no 503
    assert client.post("/api/v1/orders", json=ORDER).status_code == 201
