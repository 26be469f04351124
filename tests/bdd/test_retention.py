"""Binds ``features/files/retention.feature``: the service in-process (SQLite, a ``FixedClock`` the steps
move, the in-memory file store and email sender), so days of retention pass in a step. The retention
runner and the erasure are the real ones; ``tests/integration/test_retention.py`` and
``test_erasure.py`` cover every class and the column scan in detail."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from pytest_bdd import given, parsers, scenarios, then, when

from reference_service.adapters.orm import AuditEventRow, IdempotencyRow, OutboxRow, WebhookEventRow
from reference_service.adapters.retention import RetentionReport
from reference_service.bootstrap import Container, bootstrap
from reference_service.config import load_settings
from reference_service.domain.payments import PaymentProvider
from reference_service.entrypoints.app import create_app
from tests.auth import auth_issuer, authorized_client
from tests.fakes import FakeEmailSender, FakeFileStorage, FakePaymentGateway, FixedClock
from tests.integration.test_erasure import ADA, ADA_STREET, everything_stored, order_for

pytestmark = [pytest.mark.files]
HOUR, DAY = 3600.0, 86400.0


@dataclass
class Scene:
    container: Container
    clock: FixedClock
    storage: FakeFileStorage
    app: Any
    reports: list[RetentionReport] = field(default_factory=list)
    saved: dict[str, Any] = field(default_factory=dict)

    def client(self, role: str = "admin", sub: str | None = None) -> FlaskClient:
        return authorized_client(self.app, role, sub)


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    settings = load_settings(
        database_url=f"sqlite:///{tmp_path / 'retention.db'}",
        outbox_relay_enabled=False,
        provider_retry_initial_seconds=0.0,
        **auth_issuer().settings(),
    )
    container = bootstrap(settings, clock=clock, gateways={PaymentProvider.STRIPE: FakePaymentGateway()})
    storage = FakeFileStorage(clock)
    container.files.storage = storage
    container.notifications.sender = FakeEmailSender()
    try:
        yield Scene(container, clock, storage, create_app(settings, container, start_relay=False))
    finally:
        container.close()


@given("the service runs on a clock the scenario moves")
def running(scene: Scene) -> None:
    assert scene.client().get("/health/live").status_code == 200


@given("a webhook id, an idempotency key and a published event recorded now")
def recorded(scene: Scene) -> None:
    now = scene.clock.now()
    with scene.container.write_sessions() as s, s.begin():
        s.add(
            WebhookEventRow(
                provider="stripe", event_id="evt_bdd", event_type="x", outcome="applied", received_at=now
            )
        )
        s.add(
            IdempotencyRow(
                scope="orders", key="k-bdd", request_fingerprint="f", status_code=201, body={}, created_at=now
            )
        )
        s.add(
            OutboxRow(
                event_id="ev_bdd",
                event_type="order.created",
                aggregate_type="order",
                aggregate_id="o",
                payload={},
                occurred_at=now,
                created_at=now,
                next_attempt_at=now,
                dispatched_at=now,
                attempts=1,
                dead=False,
                handled_by=[],
            )
        )


@when(parsers.parse("the clock moves on {n:d} hours"))
def hours(scene: Scene, n: int) -> None:
    scene.clock.advance(n * HOUR)


@when(parsers.parse("the clock moves on {n:d} days"))
def days(scene: Scene, n: int) -> None:
    scene.clock.advance(n * DAY)


@when("retention runs")
def run(scene: Scene) -> None:
    scene.reports.append(scene.container.retention.run())


@then(parsers.parse('retention cleaned {n:d} "{name}" rows'))
def cleaned(scene: Scene, n: int, name: str) -> None:
    assert scene.reports[-1].counts()[name] == n, scene.reports[-1].as_dict()


@then("the webhook id is still known")
def still_known(scene: Scene) -> None:
    with scene.container.read_sessions() as s:
        assert s.get(WebhookEventRow, ("stripe", "evt_bdd")) is not None


@then("every run was audited")
def audited(scene: Scene) -> None:
    with scene.container.read_sessions() as s:
        runs = s.query(AuditEventRow).filter_by(action="retention.run").count()
    assert runs == len(scene.reports)


@given(
    parsers.parse(
        'customer "{ref}" paid an order with her contact and address and uploaded a return document'
    )
)
def ada_orders(scene: Scene, ref: str) -> None:
    customer = scene.client("customer", ref)
    scene.saved["order_id"] = order_for(customer, ref, ADA, ADA_STREET)
    body = {"category": "return_documents", "file": (io.BytesIO(b"%PDF-1.7\n% receipt\n"), "ada.pdf")}
    assert customer.post("/api/v1/files", data=body, content_type="multipart/form-data").status_code == 201
    scene.container.relay.drain()  # her invoice
    assert len(scene.storage.objects) == 2


@when(parsers.parse('customer "{ref}" asks to erase her personal data'))
def erase(scene: Scene, ref: str) -> None:
    resp = scene.client("customer", ref).delete(f"/api/v1/customers/{ref}/personal-data")
    assert resp.status_code == 200, resp.json
    scene.saved["erasure"] = resp.json


@then(parsers.parse("the erasure reports {orders:d} order anonymised and {files:d} files deleted"))
def reports(scene: Scene, orders: int, files: int) -> None:
    erasure = scene.saved["erasure"]
    assert (erasure["orders_anonymised"], erasure["files_deleted"]) == (orders, files)


@then("no table holds her name, email, phone or street, even encrypted")
def no_pii(scene: Scene) -> None:
    stored = everything_stored(scene.container)
    for pii in (*ADA.values(), ADA_STREET):
        assert pii not in stored, pii


@then("the store holds no object of hers")
def no_objects(scene: Scene) -> None:
    assert scene.storage.objects == {}


@then("her order still shows its amount")
def order_kept(scene: Scene) -> None:
    order = scene.client().get(f"/api/v1/orders/{scene.saved['order_id']}").json
    assert order["total_amount"] == 850 and order["customer"] is None and order["status"] == "PAID"


scenarios("files/retention.feature")
