"""Data retention driven by a clock the test moves: every data class is cleaned once it is older than
its retention and not a second before; a dry run changes nothing; runs are idempotent, audited, counted
in metrics, and a second instance skips a class whose lease is held; a webhook replayed inside the inbox
window is still a duplicate. On SQLite and PostgreSQL (batches are picked ``FOR UPDATE SKIP LOCKED``
there)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from reference_service.adapters.orm import (
    AuditEventRow,
    ConsumerInboxRow,
    FileRow,
    IdempotencyRow,
    NotificationEventRow,
    NotificationRow,
    OrderRow,
    OutboxRow,
    ReservationRow,
    WebhookEventRow,
)
from reference_service.adapters.retention import RetentionRunner
from reference_service.bootstrap import Container, bootstrap
from reference_service.config import load_settings
from reference_service.domain.payments import PaymentProvider
from reference_service.entrypoints.app import create_app
from tests.auth import auth_issuer, authorized_client
from tests.conftest import STRIPE_TEST_WEBHOOK_SECRET as SECRET
from tests.fakes import FakeFileStorage, FakePaymentGateway, FixedClock
from tests.support_stripe import intent, sign, stripe_event

DAY = 86400.0


@dataclass
class Timed:
    container: Container
    clock: FixedClock
    storage: FakeFileStorage
    client: FlaskClient

    def session(self) -> Session:
        return self.container.write_sessions()

    def count(self, model: Any, **where: Any) -> int:
        with self.container.read_sessions() as session:
            return int(session.query(model).filter_by(**where).count())


@pytest.fixture
def timed(database_url: str) -> Iterator[Timed]:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    settings = load_settings(
        database_url=database_url,
        outbox_relay_enabled=False,
        stripe_webhook_secret=SECRET,
        provider_retry_initial_seconds=0.0,
        retention_batch_size=2,  # several batches per class
        **auth_issuer().settings(),
    )
    container = bootstrap(settings, clock=clock, gateways={PaymentProvider.STRIPE: FakePaymentGateway()})
    storage = FakeFileStorage(clock)
    container.files.storage = storage
    try:
        client = authorized_client(create_app(settings, container, start_relay=False), "admin")
        yield Timed(container, clock, storage, client)
    finally:
        container.close()


# -- one row of each class, aged from the clock's now ----------------------------------------------------


def add_order(t: Timed, n: int) -> Callable[[], int]:
    now = t.clock.now()
    with t.session() as s, s.begin():
        s.add(
            OrderRow(
                id=f"ord_RET{n}",
                customer_ref="cus_ret",
                currency="EUR",
                total_amount=100,
                status="DELIVERED",
                metadata_={},
                customer_contact="token-contact",
                shipping_address="token-address",
                created_at=now,
                updated_at=now,
                version=1,
            )
        )
    return lambda: t.count(OrderRow, id=f"ord_RET{n}", customer_contact=None, shipping_address=None)


def add_notification(t: Timed, n: int) -> Callable[[], int]:
    now = t.clock.now()
    with t.session() as s, s.begin():
        s.add(
            NotificationRow(
                id=f"ntf_RET{n}",
                channel="EMAIL",
                kind="ORDER_CONFIRMATION",
                recipient="token",
                status="SENT",
                tried=[],
                created_at=now,
                updated_at=now,
                version=1,
            )
        )
        s.flush()
        s.add(
            NotificationEventRow(
                notification_id=f"ntf_RET{n}",
                status="DELIVERED",
                provider_status="delivered",
                source="webhook",
                applied=True,
                at=now,
            )
        )
    return lambda: 1 - t.count(NotificationRow, id=f"ntf_RET{n}")


def add_inbox(t: Timed, n: int) -> Callable[[], int]:
    with t.session() as s, s.begin():
        s.add(
            WebhookEventRow(
                provider="stripe",
                event_id=f"evt_{n}",
                event_type="x",
                outcome="applied",
                received_at=t.clock.now(),
            )
        )
    return lambda: 1 - t.count(WebhookEventRow, event_id=f"evt_{n}")


def add_idempotency(t: Timed, n: int) -> Callable[[], int]:
    with t.session() as s, s.begin():
        s.add(
            IdempotencyRow(
                scope="orders",
                key=f"k{n}",
                request_fingerprint="f",
                status_code=201,
                body={},
                created_at=t.clock.now(),
            )
        )
    return lambda: 1 - t.count(IdempotencyRow, key=f"k{n}")


def add_outbox(t: Timed, n: int) -> Callable[[], int]:
    now = t.clock.now()
    with t.session() as s, s.begin():
        for sent, suffix in ((True, "sent"), (False, "pending")):
            s.add(
                OutboxRow(
                    event_id=f"ev_{n}_{suffix}",
                    event_type="order.created",
                    aggregate_type="order",
                    aggregate_id="o",
                    payload={},
                    occurred_at=now,
                    created_at=now,
                    next_attempt_at=now,
                    dispatched_at=now if sent else None,
                    attempts=0,
                    dead=False,
                    handled_by=[],
                )
            )
    # the pending one is never cleaned: it is still to be published
    return lambda: (
        (1 - t.count(OutboxRow, event_id=f"ev_{n}_sent")) * t.count(OutboxRow, event_id=f"ev_{n}_pending")
    )


def add_audit(t: Timed, n: int) -> Callable[[], int]:
    with t.session() as s, s.begin():
        s.add(
            AuditEventRow(
                occurred_at=t.clock.now(),
                actor_kind="token",
                actor_id="a",
                roles=[],
                method="GET",
                route="/x",
                action=f"test.{n}",
                status=200,
                outcome="success",
                request_id="r",
            )
        )
    return lambda: 1 - t.count(AuditEventRow, action=f"test.{n}")


def add_consumer_inbox(t: Timed, n: int) -> Callable[[], int]:
    with t.session() as s, s.begin():
        s.add(
            ConsumerInboxRow(
                consumer="inventory",
                event_id=f"ev_{n}",
                event_type="order.created",
                processed_at=t.clock.now(),
            )
        )
    return lambda: 1 - t.count(ConsumerInboxRow, event_id=f"ev_{n}")


def add_reservations(t: Timed, n: int) -> Callable[[], int]:
    now = t.clock.now()
    with t.session() as s, s.begin():
        for status in ("RELEASED", "RESERVED"):
            s.add(
                ReservationRow(
                    order_id=f"ord_{n}_{status}",
                    sku="SKU",
                    quantity=1,
                    status=status,
                    created_at=now,
                    updated_at=now,
                )
            )
    # a reservation still held is never cleaned: its order is not over
    return lambda: (
        (1 - t.count(ReservationRow, order_id=f"ord_{n}_RELEASED"))
        * t.count(ReservationRow, order_id=f"ord_{n}_RESERVED")
    )


def add_invoice(t: Timed, n: int) -> Callable[[], int]:
    now = t.clock.now()
    key = f"invoices/RET{n}.pdf"
    t.storage.objects[key] = b"%PDF-1.4"
    t.storage.meta[key], t.storage.modified[key] = {"content_type": "application/pdf"}, now
    with t.session() as s, s.begin():
        s.add(
            FileRow(
                id=f"file_RET{n}",
                key=key,
                category="invoices",
                content_type="application/pdf",
                status="STORED",
                size=8,
                sha256="0" * 64,
                created_at=now,
                stored_at=now,
            )
        )
    return lambda: int(t.count(FileRow, id=f"file_RET{n}") == 0 and key not in t.storage.objects)


#: data class -> (make one aged row, returning "is it cleaned?"; its retention in seconds by default)
CLASSES: dict[str, tuple[Callable[[Timed, int], Callable[[], int]], float]] = {
    "order_pii": (add_order, 365 * DAY),
    "notifications": (add_notification, 180 * DAY),
    "webhook_inbox": (add_inbox, 30 * DAY),
    "idempotency_keys": (add_idempotency, 24 * 3600.0),
    "outbox_sent": (add_outbox, 7 * DAY),
    "audit_trail": (add_audit, 400 * DAY),
    "consumer_inbox": (add_consumer_inbox, 14 * DAY),
    "inventory_reservations": (add_reservations, 90 * DAY),
    "files_invoices": (add_invoice, 3650 * DAY),
}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_each_class_is_cleaned_at_its_age_and_not_a_second_before(timed: Timed, name: str) -> None:
    make, keep = CLASSES[name]
    cleaned = [make(timed, n) for n in range(3)]  # 3 rows, batches of 2
    timed.clock.advance(keep - 1)
    report = timed.container.retention.runner.run(only=name)
    assert report.counts() == {name: 0} and not any(c() for c in cleaned)
    timed.clock.advance(2)
    report = timed.container.retention.runner.run(only=name)
    assert report.counts() == {name: 3} and all(c() for c in cleaned)
    assert timed.container.retention.runner.run(only=name).counts() == {name: 0}  # idempotent


def test_a_dry_run_counts_and_changes_nothing_and_every_run_is_audited(timed: Timed) -> None:
    add_inbox(timed, 1)
    add_idempotency(timed, 1)
    timed.clock.advance(31 * DAY)
    runner = timed.container.retention.runner
    dry = runner.run(dry_run=True).counts()
    assert dry["webhook_inbox"] == 1 and dry["idempotency_keys"] == 1
    assert timed.count(WebhookEventRow) == 1 and timed.count(IdempotencyRow) == 1
    done = runner.run().counts()
    assert done["webhook_inbox"] == 1 and timed.count(WebhookEventRow) == 0
    audits = timed.count(AuditEventRow, action="retention.run") + timed.count(
        AuditEventRow, action="retention.dry_run"
    )
    assert audits == 2
    registry = timed.container.metrics.registry
    labels = {"data_class": "webhook_inbox", "action": "delete"}
    assert registry.get_sample_value("retention_rows_total", labels) == 1.0
    assert (registry.get_sample_value("retention_last_run_timestamp_seconds") or 0) > 0


def test_a_second_instance_skips_a_class_whose_lease_is_held(timed: Timed) -> None:
    add_inbox(timed, 1)
    timed.clock.advance(31 * DAY)
    first = timed.container.retention.runner
    second = RetentionRunner(
        timed.container.settings,
        timed.container.write_sessions,
        timed.container.read_sessions,
        timed.container.engines.write_gate,
        timed.clock,
        lambda: timed.storage,
        timed.container.files.categories,
        timed.container.security.audit,
        first.metrics,
    )
    assert first.lease("webhook_inbox")  # first is mid-run
    assert second.run(only="webhook_inbox").classes[0].state == "busy"
    first.release("webhook_inbox")
    assert second.run(only="webhook_inbox").counts() == {"webhook_inbox": 1}


def test_a_webhook_replayed_inside_the_inbox_window_is_still_a_duplicate(timed: Timed) -> None:
    order = timed.client.post(
        "/api/v1/orders",
        json={
            "customer_ref": "cus_1",
            "currency": "USD",
            "items": [{"sku": "T", "name": "T", "quantity": 2, "unit_amount": 1999}],
        },
    ).json["id"]
    payment = timed.client.post(f"/api/v1/orders/{order}/payments", json={"provider": "stripe"}).json["id"]
    succeeded = intent("pi_fake1", "succeeded", payment)
    payload = stripe_event("payment_intent.succeeded", succeeded, "evt_replayed")

    def deliver() -> str:
        headers = {"Content-Type": "application/json", "Stripe-Signature": sign(payload, SECRET)}
        resp = timed.client.post("/api/v1/webhooks/stripe", data=payload, headers=headers)
        assert resp.status_code == 200, resp.json
        outcome: str = resp.json["outcome"]
        return outcome

    assert deliver() == "applied"
    timed.clock.advance(3 * DAY + 3600)  # Stripe's last retry comes within 3 days
    timed.container.retention.runner.run()
    assert deliver() == "duplicate"
