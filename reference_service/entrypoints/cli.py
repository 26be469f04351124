"""The reference service's own commands: ``service``, ``reconcile``, ``db upgrade``, ``config`` and
``api-key`` (create, list, rotate, revoke).

The ``genai-demo`` console script (``simulators.lab.cli``) adds these to the lab's commands (``up``, ``sim``,
``trigger``, ``bench``); the service package knows nothing of the lab. Alone they run as
``python -m reference_service.entrypoints.cli <command>``. ``--help`` works at every level.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from reference_service.config import Settings, SettingsError, load_settings
from reference_service.entrypoints.ports import port_free


def settings_or_exit(**overrides: Any) -> Settings:
    """The settings from the environment (plus ``overrides``); a bad value exits naming the variable."""
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """The reference service: serve it, reconcile provider events, migrate its database, show its config."""


@cli.command()
@click.option("--host", default=None, help="Bind address (default SERVICE_HOST or 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Port (default SERVICE_PORT or 8000)."
)
@click.option(
    "--threads",
    type=click.IntRange(1, 256),
    default=32,
    show_default=True,
    help="Worker threads serving requests.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Worker processes; above 1 the metrics of every worker are merged (PROMETHEUS_MULTIPROC_DIR, "
    "default var/prometheus-multiproc).",
)
@click.option(
    "--tls-cert", type=click.Path(dir_okay=False, exists=True), default=None, help="Serve HTTPS (TLS 1.3+)."
)
@click.option(
    "--tls-key", type=click.Path(dir_okay=False, exists=True), default=None, help="PKCS#8 key of --tls-cert."
)
def service(
    host: str | None,
    port: int | None,
    threads: int,
    workers: int,
    tls_cert: str | None,
    tls_key: str | None,
) -> None:
    """Run the reference service alone (granian, ``--workers`` processes of ``--threads`` threads); HTTPS
    with TLS 1.3 as the minimum when given a certificate and key."""
    from granian.constants import Interfaces
    from granian.http import HTTP1Settings
    from granian.server import Server

    from reference_service.adapters.database import create_engines, migrate
    from reference_service.observability.logging import configure_logging

    if host:
        os.environ["SERVICE_HOST"] = host
    if port:
        os.environ["SERVICE_PORT"] = str(port)
    settings = settings_or_exit()
    if not port_free(settings.service_port, settings.service_host):
        raise click.ClickException(
            f"port {settings.service_port} on {settings.service_host} is already in use "
            "(another service or lab?); choose one with --port or SERVICE_PORT"
        )
    configure_logging(settings.log_level.value)
    _multiprocess_metrics(workers)
    engines = create_engines(settings.database_url)
    try:
        migrate(engines.write)
    finally:
        engines.dispose()
    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    tls: dict[str, Any] = {}
    if tls_cert and tls_key:
        from granian.constants import SSLProtocols

        tls = {"ssl_cert": Path(tls_cert), "ssl_key": Path(tls_key), "ssl_protocol_min": SSLProtocols.tls13}
    scheme = "https" if tls else "http"
    click.echo(
        f"reference service on {scheme}://{settings.service_host}:{settings.service_port} "
        f"(docs /docs, health /health, metrics /metrics)"
    )
    Server(
        "reference_service.entrypoints.wsgi:app_factory",
        address=settings.service_host,
        port=settings.service_port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        # connections, not requests, hold granian's permits: an idle or slow one keeps its permit until
        # its headers arrive or header_read_timeout closes it, so the default (1024) let 2,048 idle sockets
        # lock out everyone; Python concurrency stays bounded by the thread pool
        backlog=settings.service_backlog,
        backpressure=settings.service_max_connections,
        http1_settings=HTTP1Settings(
            header_read_timeout=int(settings.service_header_read_timeout_seconds * 1000)
        ),
        factory=True,
        log_access=False,
        **tls,
    ).serve()


def _multiprocess_metrics(workers: int) -> None:
    """With several workers (or ``PROMETHEUS_MULTIPROC_DIR`` given), turn on prometheus-client's
    multiprocess mode before the workers fork: an empty directory named in the environment, which the
    workers inherit (see ``reference_service.observability.multiprocess``)."""
    import sys

    from reference_service.observability.multiprocess import ENV, prepare_directory

    given = os.environ.get(ENV, "").strip()
    if workers == 1 and not given:
        return
    if not given and "prometheus_client" in sys.modules:  # it picks its value class at import: too late
        raise click.ClickException(f"{ENV} must be set before prometheus_client is imported")
    directory = Path(given or "var/prometheus-multiproc").resolve()
    prepare_directory(directory)
    os.environ[ENV] = str(directory)
    click.echo(f"metrics of {workers} workers merged through {directory}")


@cli.command()
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Serve this consumer's Prometheus metrics (lag, DLQ) on this port; 0: none.",
)
def consumer(metrics_port: int) -> None:
    """Run one Kafka consumer of the group (MSK_BOOTSTRAP_SERVERS); start several to scale out.

    It runs the seed's order-event handlers (reserve, release, refund, consume on ship) with an inbox,
    commits each offset after the handler's transaction, parks poison messages in <topic>.DLQ, and on
    SIGTERM finishes the current message, commits and leaves the group."""
    import signal
    import threading

    from prometheus_client import start_http_server

    from reference_service.adapters.kafka_config import TOPICS, consumer_config, producer_config
    from reference_service.adapters.kafka_consumer import ConsumerMetrics, EventConsumer
    from reference_service.bootstrap import bootstrap
    from reference_service.observability.logging import configure_logging

    settings = settings_or_exit()
    if not settings.msk_bootstrap_servers:
        raise click.ClickException(
            "MSK_BOOTSTRAP_SERVERS is not set: without Kafka the service handles events"
        )
    configure_logging(settings.log_level.value)
    container = bootstrap(settings)
    metrics = ConsumerMetrics()
    if metrics_port:
        start_http_server(metrics_port, addr="127.0.0.1", registry=metrics.registry)
    topics = sorted({TOPICS[cls.aggregate_type] for cls in container.consumer_bus.event_types()})
    worker = EventConsumer(
        consumer_config(settings, stats_cb=metrics.on_stats),
        producer_config(settings),
        container.consumer_bus,
        topics,
        attempts=settings.kafka_handler_attempts,
        backoff_seconds=settings.kafka_retry_backoff_seconds,
        metrics=metrics,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # events the handlers record (an order REJECTED) leave through this process's relay too (leases)
    if settings.outbox_relay_enabled:
        container.relay.start()
    click.echo(f"consumer of {','.join(topics)} in group {settings.kafka_consumer_group}", err=True)
    try:
        worker.run(stop)
    finally:
        container.close()


@cli.command("kafka-topics")
def kafka_topics() -> None:
    """Create the Kafka topics and their .DLQ topics (KAFKA_TOPIC_PARTITIONS, KAFKA_REPLICATION_FACTOR)."""
    from reference_service.adapters.kafka_topics import ensure_topics

    settings = settings_or_exit()
    if not settings.msk_bootstrap_servers:
        raise click.ClickException("MSK_BOOTSTRAP_SERVERS is not set")
    outcome = ensure_topics(settings)
    for topic, state in sorted(outcome.items()):
        click.echo(f"{topic}\t{state}")
    if any(state.startswith("error") for state in outcome.values()):
        raise SystemExit(1)


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply Alembic migrations to DATABASE_URL."""
    from reference_service.adapters.database import create_engines, migrate

    settings = settings_or_exit()
    engines = create_engines(settings.database_url)
    try:
        migrate(engines.write, revision)
    finally:
        engines.dispose()
    click.echo(f"database at {revision}: {settings.database_url}")


@cli.command()
def config() -> None:
    """Print the effective settings as JSON (secrets masked)."""
    click.echo(json.dumps(settings_or_exit().masked(), indent=2, default=str))


@cli.command()
@click.argument("provider", type=click.Choice(["stripe", "logistics", "files"]))
@click.option(
    "--limit",
    type=click.IntRange(1, 10000),
    default=1000,
    show_default=True,
    help="At most this many events.",
)
@click.option("--dry-run", is_flag=True, help="files: count what would be removed, remove nothing.")
def reconcile(provider: str, limit: int, dry_run: bool) -> None:
    """Apply provider events that were never delivered (Stripe: GET /v1/events?delivery_success=false;
    logistics: the carrier's current status of every open delivery); files: remove abandoned PENDING
    uploads with their objects, and objects no file row names (older than FILES_ORPHAN_GRACE_SECONDS)."""
    from reference_service.adapters.stripe_gateway import StripeGateway
    from reference_service.bootstrap import bootstrap
    from reference_service.bootstrap.payments import payment_gateways
    from reference_service.domain.payments import PaymentProvider
    from reference_service.entrypoints.reconcile import reconcile_logistics, reconcile_stripe
    from reference_service.observability.logging import configure_logging

    settings = settings_or_exit(outbox_relay_enabled=False)
    configure_logging("WARNING")
    container = bootstrap(settings)
    try:
        if provider == "files":
            from reference_service.service_layer.handlers.files import reconcile_files

            report = reconcile_files(container.files.deps(), dry_run=dry_run, batch=limit)
            outcomes = {k: int(v) for k, v in report.as_dict().items() if k != "dry_run"}
        elif provider == "logistics":
            outcomes = reconcile_logistics(container, limit, click.echo)
        else:
            gateway = payment_gateways(container)[PaymentProvider.STRIPE]
            assert isinstance(gateway, StripeGateway)
            outcomes = reconcile_stripe(container, gateway, limit, click.echo)
    finally:
        container.close()
    click.echo("done: " + (", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())) or "nothing to do"))


@cli.group()
def retention() -> None:
    """Data retention (docs/retention.md): clean each data class at its age."""


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Count what a run would delete or anonymise; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def retention_run(dry_run: bool, as_json: bool) -> None:
    """Run retention once over every data class, in batches; safe beside the service's own schedule."""
    from reference_service.bootstrap import bootstrap
    from reference_service.observability.logging import configure_logging

    settings = settings_or_exit(outbox_relay_enabled=False)
    configure_logging("WARNING")
    container = bootstrap(settings)
    try:
        report = container.retention.run(dry_run=dry_run)
    finally:
        container.close()
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
        return
    verb = "would change" if dry_run else "changed"
    for item in report.classes:
        cutoff = f"older than {item.cutoff:%Y-%m-%d %H:%M}Z" if item.cutoff else "kept forever"
        click.echo(f"{item.name:<26} {item.action:<9} {item.state:<5} {verb} {item.rows:>7}  ({cutoff})")


@cli.group("api-key")
def api_key() -> None:
    """API keys in DATABASE_URL (the same store as /api/v1/admin/api-keys); secrets are shown once."""


def _key_store() -> Any:
    from sqlalchemy.orm import sessionmaker

    from reference_service.adapters.api_keys import ApiKeyStore
    from reference_service.adapters.database import create_engines, migrate
    from reference_service.adapters.system import SystemClock, UlidIdGenerator

    settings = settings_or_exit()
    engines = create_engines(settings.database_url)
    migrate(engines.write)
    sessions = sessionmaker(engines.write, expire_on_commit=False)
    reads = sessionmaker(engines.read, expire_on_commit=False)
    return ApiKeyStore(sessions, reads, SystemClock(), UlidIdGenerator(), engines.write_gate)


def _echo_key(key: Any, secret: str | None = None) -> None:
    from datetime import UTC, datetime

    fields = {
        "id": key.id,
        "prefix": key.prefix,
        "name": key.name,
        "roles": list(key.roles),
        "status": key.status(datetime.now(UTC)),
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
    }
    if secret is not None:
        fields["key"] = secret
    click.echo(json.dumps(fields))


@api_key.command("create")
@click.option("--name", required=True, help="What the key is for.")
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice(["service", "support", "admin"])
)
@click.option("--expires-in-days", type=click.IntRange(1, 3650), default=None)
def api_key_create(name: str, roles: tuple[str, ...], expires_in_days: int | None) -> None:
    """Create a key and print it (JSON, with the whole key: the only time it is shown)."""
    from datetime import UTC, datetime, timedelta

    expires = datetime.now(UTC) + timedelta(days=expires_in_days) if expires_in_days else None
    key, secret = _key_store().create(name, roles, "cli", expires)
    _echo_key(key, secret)


@api_key.command("list")
@click.option("--all", "include_revoked", is_flag=True, help="Include revoked keys.")
def api_key_list(include_revoked: bool) -> None:
    """One JSON line per key (never the secret)."""
    for key in _key_store().list(include_revoked):
        _echo_key(key)


@api_key.command("rotate")
@click.argument("key_id")
def api_key_rotate(key_id: str) -> None:
    """Replace a key with a new one (printed once); the old one is revoked."""
    rotated = _key_store().rotate(key_id, "cli")
    if rotated is None:
        raise click.ClickException(f"no active key {key_id}")
    _echo_key(*rotated)


@api_key.command("revoke")
@click.argument("key_id")
def api_key_revoke(key_id: str) -> None:
    """Revoke a key at once."""
    key = _key_store().revoke(key_id)
    if key is None:
        raise click.ClickException(f"no key {key_id}")
    _echo_key(key)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
