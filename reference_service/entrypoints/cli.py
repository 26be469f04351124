"""The reference service's own commands: ``service``, ``reconcile``, ``db upgrade`` and ``config``.

The ``genai-demo`` console script (``simulators.lab.cli``) adds these to the lab's commands (``up``, ``sim``,
``trigger``, ``bench``); the service package knows nothing of the lab. Alone they run as
``python -m reference_service.entrypoints.cli <command>``. ``--help`` works at every level.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

import click

from reference_service.config import Settings, SettingsError, load_settings


def settings_or_exit(**overrides: Any) -> Settings:
    """The settings from the environment (plus ``overrides``); a bad value exits naming the variable."""
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether ``host:port`` can be bound right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


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
def service(host: str | None, port: int | None, threads: int) -> None:
    """Run the reference service alone (granian, one worker process)."""
    from granian.constants import Interfaces
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
    engines = create_engines(settings.database_url)
    try:
        migrate(engines.write)
    finally:
        engines.dispose()
    click.echo(
        f"reference service on http://{settings.service_host}:{settings.service_port} "
        f"(docs /docs, health /health, metrics /metrics)"
    )
    Server(
        "reference_service.entrypoints.wsgi:app_factory",
        address=settings.service_host,
        port=settings.service_port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=threads,
        factory=True,
        log_access=False,
    ).serve()


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
@click.argument("provider", type=click.Choice(["stripe", "logistics"]))
@click.option(
    "--limit",
    type=click.IntRange(1, 10000),
    default=1000,
    show_default=True,
    help="At most this many events.",
)
def reconcile(provider: str, limit: int) -> None:
    """Apply provider events that were never delivered (Stripe: GET /v1/events?delivery_success=false;
    logistics: the carrier's current status of every open delivery)."""
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
        if provider == "logistics":
            outcomes = reconcile_logistics(container, limit, click.echo)
        else:
            gateway = payment_gateways(container)[PaymentProvider.STRIPE]
            assert isinstance(gateway, StripeGateway)
            outcomes = reconcile_stripe(container, gateway, limit, click.echo)
    finally:
        container.close()
    click.echo("done: " + (", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())) or "nothing to do"))


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
