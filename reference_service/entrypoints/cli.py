"""The ``genai-demo`` command: ``up`` (the whole lab), ``service``, ``sim``, ``db``, ``config``, ``bench``.

Run ``genai-demo --help`` (and ``--help`` on any subcommand) for options.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from reference_service.config import Settings, SettingsError, load_settings


def _settings_or_exit(**overrides: Any) -> Settings:
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """genai-demo: the integration lab (reference service, provider simulators, harness)."""


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
    settings = _settings_or_exit()
    from reference_service.entrypoints.lab import port_free

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


@cli.command()
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="Service port (default SERVICE_PORT or 8000)."
)
@click.option(
    "--var-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("var"),
    show_default=True,
    help="Where logs and the SQLite database live.",
)
@click.option(
    "--ready-timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds to wait for each part's health check.",
)
@click.option(
    "--port-offset",
    type=click.IntRange(0, 50000),
    default=0,
    show_default=True,
    help="Add this to every default port (service and simulators), to run a second lab.",
)
def up(port: int | None, var_dir: Path, ready_timeout: float, port_offset: int) -> None:
    """Start the service and every simulator, wire webhooks, print URLs and secrets; Ctrl-C stops all."""
    from reference_service.entrypoints.lab import Lab, LabError
    from simulators.registry import PROVIDERS

    settings = _settings_or_exit()
    lab = Lab(
        settings,
        var_dir=var_dir,
        service_port=port or settings.service_port + port_offset,
        providers=PROVIDERS,
        ready_timeout=ready_timeout,
        port_offset=port_offset,
        echo=click.echo,
    )
    lab.install_signal_handlers()
    code = 1
    try:
        ready = lab.start()
        click.echo(lab.table(ready))
        code = lab.wait()
    except LabError as exc:
        click.echo(f"error: {exc}", err=True)
    finally:
        click.echo("stopping…")
        lab.stop()
        click.echo("stopped.")
    sys.exit(code)


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply Alembic migrations to DATABASE_URL."""
    from reference_service.adapters.database import create_engines, migrate

    settings = _settings_or_exit()
    engines = create_engines(settings.database_url)
    try:
        migrate(engines.write, revision)
    finally:
        engines.dispose()
    click.echo(f"database at {revision}: {settings.database_url}")


@cli.command()
def config() -> None:
    """Print the effective settings as JSON (secrets masked)."""
    click.echo(json.dumps(_settings_or_exit().masked(), indent=2, default=str))


@cli.command()
@click.argument("provider", type=click.Choice(["stripe"]))
@click.option(
    "--limit",
    type=click.IntRange(1, 10000),
    default=1000,
    show_default=True,
    help="At most this many events.",
)
def reconcile(provider: str, limit: int) -> None:
    """Apply provider events that were never delivered (Stripe: GET /v1/events?delivery_success=false)."""
    from reference_service.adapters.stripe_gateway import StripeGateway
    from reference_service.bootstrap import bootstrap
    from reference_service.bootstrap.payments import payment_gateways
    from reference_service.domain.payments import PaymentProvider
    from reference_service.entrypoints.reconcile import reconcile_stripe
    from reference_service.observability.logging import configure_logging

    settings = _settings_or_exit(outbox_relay_enabled=False)
    configure_logging("WARNING")
    container = bootstrap(settings)
    try:
        gateway = payment_gateways(container)[PaymentProvider.STRIPE]
        assert isinstance(gateway, StripeGateway)
        outcomes = reconcile_stripe(container, gateway, limit, click.echo)
    finally:
        container.close()
    click.echo("done: " + (", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())) or "nothing to do"))


@cli.group()
def bench() -> None:
    """Benchmarks that print their figures and their method (``make bench`` runs ``bench all``)."""


@bench.command("kernel")
@click.option("--seconds", type=float, default=5.0, show_default=True, help="Measured HTTP run per app.")
@click.option("--connections", type=int, default=16, show_default=True, help="Keep-alive client connections.")
@click.option("--no-http", is_flag=True, help="Only the in-process measurement.")
def bench_kernel_cmd(seconds: float, connections: int, no_http: bool) -> None:
    """The simulator kernel's per-request overhead (journal, faults), in-process and over HTTP."""
    from simulators.kernel.bench import bench_kernel

    bench_kernel(seconds=seconds, connections=connections, http=not no_http)


@bench.command("paypal")
@click.option(
    "--seconds", type=float, default=10.0, show_default=True, help="Measured run after a 1 s warm-up."
)
@click.option("--connections", type=int, default=16, show_default=True, help="Keep-alive client connections.")
def bench_paypal_cmd(seconds: float, connections: int) -> None:
    """The PayPal simulator's create-order throughput and latency under `genai-demo sim paypal`."""
    from simulators.paypal.bench import bench_paypal

    bench_paypal(seconds=seconds, connections=connections)


@bench.command("stripe")
@click.option(
    "--seconds", type=float, default=10.0, show_default=True, help="Measured run after the warm-up."
)
@click.option("--warmup", type=float, default=2.0, show_default=True, help="Warm-up seconds (not measured).")
@click.option("--connections", type=int, default=16, show_default=True, help="Keep-alive client connections.")
@click.option("--no-confirm", is_flag=True, help="Skip the create + confirm(pm_card_visa) run.")
def bench_stripe_cmd(seconds: float, warmup: float, connections: int, no_confirm: bool) -> None:
    """The Stripe simulator's create-PaymentIntent throughput and latency under `genai-demo sim stripe`."""
    from simulators.stripe.bench import bench_stripe

    bench_stripe(seconds=seconds, connections=connections, warmup=warmup, confirm=not no_confirm)


@bench.command("all")
@click.pass_context
def bench_all(ctx: click.Context) -> None:
    """Every benchmark, one after the other."""
    for name, command in sorted(bench.commands.items()):
        if name != "all":
            click.echo(f"== bench {name} ==")
            ctx.invoke(command)


def _attach_optional_commands() -> None:
    from simulators.cli import sim, trigger

    cli.add_command(sim)
    cli.add_command(trigger)


def main() -> None:
    _attach_optional_commands()
    cli()


if __name__ == "__main__":
    main()
