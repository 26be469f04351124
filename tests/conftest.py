"""Fixtures shared by every test folder.

- ``sqlite_url`` / ``postgres_url`` / ``database_url`` (parametrised over both backends);
- ``settings`` and ``container``/``app``/``client`` for in-process API tests (SQLite, relay not
  started: tests call ``container.relay.drain()``); the service trusts the test issuer of
  ``tests/auth.py`` and ``client`` sends an admin token (``client_as(role, sub)`` another caller's);
- ``live_service``: the service as a real process on a free port (session-wide);
- ``sim_config``: how the lab plugin's simulator fixtures (``stripe_sim``, ``aws_sim``...) start here:
  seeded, short webhook timeouts, whole request bodies in the journal (contracts are checked on them).

PostgreSQL is ``TEST_POSTGRES_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``);
each use gets its own schema, dropped afterwards. With ``CI=true`` a missing server fails the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from reference_service.bootstrap import Container, bootstrap
from reference_service.config import Settings, load_settings
from reference_service.domain.payments import PaymentProvider
from reference_service.entrypoints.app import create_app
from tests.auth import auth_issuer, authorized_client
from tests.fakes import FakeFileStorage, FakeLabelSource, FakeLogisticsProvider, FakePaymentGateway
from tests.support import LiveProcess, postgres_schema_url, run_service
from tests.support_notifications import NotificationsLab, run_notifications_lab

#: why a test marked ``xdist_group`` fails at once (set at collection when its group was lost)
UNGROUPED = pytest.StashKey[str]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the ``xdist_group`` tests of a ``--dist loadgroup`` run that lost their group, so that they fail
    instead of starting their module's lab once per worker. pytest-xdist keeps a group on one worker through
    a ``@<group>`` suffix of each node id; pytest-xdist 3.8 cannot add it under pytest 9.2."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
            item.stash[UNGROUPED] = (
                "--dist loadgroup could not group this test with its xdist_group (its node id has no "
                "@<group>): this pytest-xdist cannot tag node ids under this pytest; install the pinned "
                "versions (pyproject.toml)"
            )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Fail a test that lost its ``xdist_group`` (see above) before its fixtures start anything."""
    if (reason := item.stash.get(UNGROUPED, None)) is not None:
        pytest.fail(reason, pytrace=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A private schema in the PostgreSQL test database, as a URL whose search_path points at it."""
    with postgres_schema_url() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Both backends: repository and unit-of-work tests run once on each."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(name)
    return url


STRIPE_TEST_WEBHOOK_SECRET = "whsec_test_0123456789abcdef"


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    return load_settings(
        database_url=sqlite_url,
        outbox_relay_enabled=False,
        stripe_webhook_secret=STRIPE_TEST_WEBHOOK_SECRET,
        provider_retry_initial_seconds=0.0,
        provider_health_cache_seconds=0.0,
        **auth_issuer().settings(),
    )


@pytest.fixture
def fake_stripe() -> FakePaymentGateway:
    return FakePaymentGateway(PaymentProvider.STRIPE)


@pytest.fixture
def fake_carrier() -> FakeLogisticsProvider:
    return FakeLogisticsProvider()


@pytest.fixture
def container(
    settings: Settings, fake_stripe: FakePaymentGateway, fake_carrier: FakeLogisticsProvider
) -> Iterator[Container]:
    """The service's container on SQLite with a scriptable fake Stripe gateway and carrier (no sockets)."""
    c = bootstrap(settings, gateways={PaymentProvider.STRIPE: fake_stripe}, logistics=fake_carrier)
    # no S3 and no carrier host here: files go to in-memory fakes (the relay's producers use them too)
    c.files.storage = FakeFileStorage(c.clock)
    c.files.labels = FakeLabelSource()
    yield c
    c.close()


@pytest.fixture
def app(settings: Settings, container: Container) -> Flask:
    return create_app(settings, container, start_relay=False)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client that sends an admin token of the test issuer (``tests/auth.py``)."""
    return authorized_client(app, "admin")


@pytest.fixture
def client_as(app: Flask) -> Callable[..., FlaskClient]:
    """``client_as(role, sub=None)``: a test client sending a token for ``role`` (``None``: no roles);
    ``client_as(None, anonymous=True)`` sends no credential at all."""

    def make(role: str | None, sub: str | None = None, *, anonymous: bool = False) -> FlaskClient:
        return app.test_client() if anonymous else authorized_client(app, role, sub)

    return make


@pytest.fixture(scope="session")
def sim_config() -> dict[str, Any]:
    return {"seed": 7, "webhook_timeout_s": 2.0, "max_journal_body_bytes": 65536}


#: a service with no AWS simulator: no SES feedback wiring, no bucket, no invoices or labels to store
NO_AWS_ENV = {
    "AWS_PROVISION_ON_START": "false",
    "S3_PROVISION_ON_START": "false",
    "FILES_INVOICE_ON_PAID": "false",
    "FILES_LABEL_ON_DELIVERY": "false",
}


@pytest.fixture(scope="session")
def live_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveProcess]:
    """The reference service as a real process (granian) on a free port, for e2e, BDD and contracts."""
    # no AWS simulator here: don't let the service subscribe to whatever listens on the default AWS port
    with run_service(tmp_path_factory.mktemp("live-service"), env=NO_AWS_ENV) as live:
        yield live


@pytest.fixture(scope="session")
def notifications_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NotificationsLab]:
    """The service as a process wired to the AWS and Twilio simulators as processes (session-wide; each
    scenario calls ``reset()``); see ``tests/support_notifications.py``."""
    extra = {"SMS_RETRY_UNDELIVERED_ON_OTHER_PROVIDER": "true"}
    with run_notifications_lab(tmp_path_factory.mktemp("notifications-lab"), extra) as lab:
        yield lab
