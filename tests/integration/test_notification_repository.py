"""Notifications, their history and the suppression list on a real database (SQLite and PostgreSQL):
PII encrypted at rest, history appended across units of work, the dedupe key, events to the outbox."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from reference_service.adapters.orm import (
    EmailSuppressionRow,
    NotificationEventRow,
    NotificationRow,
    OutboxRow,
)
from reference_service.bootstrap import Container, bootstrap
from reference_service.config import load_settings
from reference_service.domain.notifications import Channel, Notification, NotificationStatus
from reference_service.service_layer.errors import ConcurrencyConflict
from tests.fakes import FixedClock

N = NotificationStatus
PHONE = "+14155550100"


@pytest.fixture
def c(database_url: str) -> Iterator[Container]:
    container = bootstrap(
        load_settings(database_url=database_url, outbox_relay_enabled=False), clock=FixedClock()
    )
    yield container
    container.close()


def sms(nid: str = "ntf_1", dedupe_key: str | None = None) -> Notification:
    n = Notification.create(
        nid, Channel.SMS, "SMS", PHONE, FixedClock().now(), body="secret text", dedupe_key=dedupe_key
    )
    n.accepted("twilio", f"SM{nid[-1]:0>32}", "queued", FixedClock().now(), "api", tried=("sns", "twilio"))
    return n


def test_round_trip_with_pii_encrypted_at_rest(c: Container) -> None:
    with c.uow() as uow:
        uow.notifications.add(sms())
        uow.commit()
    with c.read_uow() as uow:
        loaded = uow.notifications.get("ntf_1")
        by_ref = uow.notifications.get_by_provider_ref("twilio", f"SM{'1':0>32}")
    assert loaded is not None and by_ref is loaded
    assert (loaded.recipient, loaded.body, loaded.tried) == (PHONE, "secret text", ("sns", "twilio"))
    assert loaded.status == N.ACCEPTED and [h.provider_status for h in loaded.history] == ["queued"]
    with c.write_sessions() as s:
        row = s.get(NotificationRow, "ntf_1")
        assert row is not None
        assert PHONE not in row.recipient and "secret" not in (row.body or "")


def test_history_is_appended_across_units_of_work_and_events_reach_the_outbox(c: Container) -> None:
    with c.uow() as uow:
        uow.notifications.add(sms())
        uow.commit()
    for status, word, code in [
        (N.SENT, "sent", None),
        (N.UNDELIVERED, "undelivered", "30003"),
        (N.SENT, "sent", None),
    ]:
        with c.uow() as uow:
            n = uow.notifications.get("ntf_1")
            assert n is not None
            n.record(status, word, FixedClock().now(), "twilio", code)
            uow.commit()
    with c.read_uow() as uow:
        loaded = uow.notifications.get("ntf_1")
    assert loaded is not None and loaded.status == N.UNDELIVERED and loaded.error_code == "30003"
    assert [(h.provider_status, h.applied) for h in loaded.history] == [
        ("queued", True),
        ("sent", True),
        ("undelivered", True),
        ("sent", False),
    ]
    with c.write_sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(NotificationEventRow)) == 4
        events = list(s.scalars(sa.select(OutboxRow.event_type).where(OutboxRow.aggregate_id == "ntf_1")))
    assert events == ["notification.sms_delivery_failed"]


def test_a_dedupe_key_is_unique(c: Container) -> None:
    with c.uow() as uow:
        uow.notifications.add(sms("ntf_1", dedupe_key="order-confirmation:ord_1"))
        uow.commit()
    with pytest.raises(ConcurrencyConflict), c.uow() as uow:
        uow.notifications.add(sms("ntf_2", dedupe_key="order-confirmation:ord_1"))
        uow.commit()
    with c.read_uow() as uow:
        found = uow.notifications.get_by_dedupe_key("order-confirmation:ord_1")
    assert found is not None and found.id == "ntf_1"


def test_the_suppression_list_is_keyed_by_the_normalised_address(c: Container) -> None:
    with c.uow() as uow:
        assert uow.suppressions.add(" Ada@Example.com ", "bounce", "Permanent/General") is True
        uow.commit()
    with c.uow() as uow:
        assert uow.suppressions.add("ada@example.com", "complaint", "abuse") is False
        found = uow.suppressions.get("ADA@EXAMPLE.COM")
        assert found is not None and (found.reason, found.detail) == ("bounce", "Permanent/General")
        assert uow.suppressions.get("bob@example.com") is None
    with c.write_sessions() as s:
        [row] = s.scalars(sa.select(EmailSuppressionRow))
        assert "@" not in row.address and len(row.address_hash) == 64  # a Fernet token, a SHA-256
    with c.uow() as uow:
        assert uow.suppressions.remove("ada@example.com") is True
        uow.commit()
    with c.read_uow() as uow:
        assert uow.suppressions.get("ada@example.com") is None
