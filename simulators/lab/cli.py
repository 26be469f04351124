"""The ``genai-demo`` console script: the lab's commands plus the reference service's own.

Lab: ``up`` (the whole lab), ``sim <provider>`` (one simulator), ``trigger`` (make a simulator emit an
event), ``token`` (an access token from the lab's issuer), ``bench`` (benchmarks). Service (from
``reference_service.entrypoints.cli``): ``service``, ``reconcile``, ``db upgrade``, ``config``,
``api-key``. Run ``genai-demo --help`` (and ``--help`` on any command) for options;
``python -m simulators.lab.cli`` is the same program without the script on ``PATH``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from simulators.cli import sim, trigger


class LabGroup(click.Group):
    """The lab's commands, then the reference service's (``reference_service.entrypoints.cli``), which are
    imported only when one of them runs or the commands are listed: a simulator's or the console's process
    never loads the service's settings, SQLAlchemy or pydantic-settings (each lab part is such a process)."""

    @staticmethod
    def service_commands() -> dict[str, click.Command]:
        """The reference service's commands by name."""
        from reference_service.entrypoints import cli as service_cli

        return dict(service_cli.cli.commands)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.service_commands()})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or self.service_commands().get(cmd_name)


@click.group(cls=LabGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """genai-demo: the integration lab (reference service, provider simulators, harness)."""


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
@click.option(
    "--tls",
    is_flag=True,
    help="Serve the service and every simulator over HTTPS (TLS 1.3 minimum), local CA in VAR_DIR/tls.",
)
@click.option(
    "--observability",
    is_flag=True,
    help="Also run Prometheus (scraping the service, loading the alert rules), Alertmanager and the lab's "
    "alert receiver (Debian's prometheus and prometheus-alertmanager; `make tools`).",
)
@click.option(
    "--alert-time-factor",
    type=click.FloatRange(1, 120),
    default=1.0,
    show_default=True,
    help="With --observability: divide every rule's for/window and the scrape interval by this.",
)
@click.option(
    "--no-restart",
    is_flag=True,
    help="Stop the whole lab when a part dies (by default it is restarted and the others keep running).",
)
@click.option(
    "--no-kafka",
    is_flag=True,
    help="No Kafka mock cluster and no consumer: the service relays events and runs their handlers itself.",
)
@click.option(
    "--profile",
    type=click.Choice(["default", "scaled"]),
    default="default",
    show_default=True,
    help="scaled: the service as several workers on PostgreSQL, Redis for the rate limit and circuit "
    "breakers, two Kafka consumers (docs/deploy.md). Exits 3 when PostgreSQL or Redis does not answer.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=None,
    help="Service worker processes (default 1; 2 with --profile scaled).",
)
@click.option(
    "--database-url",
    default=None,
    help="The service's database (default DATABASE_URL; with --profile scaled a PostgreSQL DATABASE_URL, "
    "else postgresql+psycopg://postgres@127.0.0.1:5432/test).",
)
@click.option(
    "--redis-url",
    default=None,
    help="Redis for the rate limit and circuit breakers (default RATELIMIT_STORAGE_URI; with --profile "
    "scaled a Redis RATELIMIT_STORAGE_URI, else redis://127.0.0.1:6379/0).",
)
def up(
    port: int | None,
    var_dir: Path,
    ready_timeout: float,
    port_offset: int,
    tls: bool,
    observability: bool,
    alert_time_factor: float,
    no_restart: bool,
    no_kafka: bool,
    profile: str,
    workers: int | None,
    database_url: str | None,
    redis_url: str | None,
) -> None:
    """Start the service and every simulator, wire them, print URLs, secrets, demo tokens and an API key;
    supervise them (a part that dies is restarted); Ctrl-C stops all."""
    from simulators.lab.observability import ObservabilityOptions
    from simulators.lab.tls import client_env, make_certificates
    from simulators.lab.up import (
        UNREACHABLE_EXIT_CODE,
        Lab,
        LabError,
        UnreachableError,
        check_reachable,
        scale_for,
    )
    from simulators.registry import PROVIDERS

    scale = scale_for(profile, workers=workers, database_url=database_url, redis_url=redis_url)
    try:  # before anything starts
        check_reachable(scale)
    except UnreachableError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(UNREACHABLE_EXIT_CODE)
    certificates = make_certificates(var_dir / "tls") if tls else None
    if certificates is not None:  # the service's own clients (Stripe) read their CA from its settings
        os.environ.update(client_env(certificates.ca))
    from reference_service.entrypoints.cli import settings_or_exit

    settings = settings_or_exit()
    lab = Lab(
        settings,
        var_dir=var_dir,
        service_port=port or settings.service_port + port_offset,
        providers=PROVIDERS,
        ready_timeout=ready_timeout,
        port_offset=port_offset,
        echo=click.echo,
        tls=certificates,
        restart=not no_restart,
        observability=ObservabilityOptions(alert_time_factor) if observability else None,
        kafka=not no_kafka,
        scale=scale,
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


@cli.command("alert-receiver")
@click.option("--port", type=click.IntRange(1, 65535), default=12195, show_default=True)
@click.option(
    "--record",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also append every notification to this JSON-lines file.",
)
def alert_receiver(port: int, record: Path | None) -> None:
    """Record Alertmanager's webhook notifications (POST /alertmanager; read GET /notifications)."""
    from simulators.lab.alert_receiver import serve

    click.echo(f"alert receiver on http://127.0.0.1:{port} (POST /alertmanager, GET /notifications)")
    serve(port, record)


@cli.command("console")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Default: 12180 + --port-offset.")
@click.option(
    "--port-offset",
    type=click.IntRange(0, 50000),
    default=0,
    show_default=True,
    help="The lab's --port-offset (used when CONSOLE_LAB is not set, i.e. outside `genai-demo up`).",
)
def console(port: int | None, port_offset: int) -> None:
    """The lab console (web page): overview, order timeline, webhooks, faults, clock, alerts.

    `genai-demo up` starts it; run it alone for a lab already up (default ports + --port-offset)."""
    from simulators.lab.console import CONSOLE_PORT, ConsoleConfig, serve
    from simulators.lab.console.config import LAB_ENV

    config = ConsoleConfig.from_env() if os.environ.get(LAB_ENV) else ConsoleConfig.for_offset(port_offset)
    port = port or CONSOLE_PORT + port_offset
    click.echo(f"lab console on http://127.0.0.1:{port}")
    serve(config, port)


@cli.command()
@click.option(
    "--role",
    type=click.Choice(["customer", "customer2", "support", "admin", "service"]),
    default="admin",
    show_default=True,
    help="Whose token: a demo user's (password grant) or the service client's (client credentials).",
)
@click.option("--sub", default=None, help="Mint for this subject instead (the simulator's control API).")
@click.option(
    "--issuer",
    default=None,
    help="The identity simulator's URL (default: AUTH_ISSUER, else http://127.0.0.1:12116 + --port-offset).",
)
@click.option("--port-offset", type=click.IntRange(0, 50000), default=0, help="The lab's --port-offset.")
def token(role: str, sub: str | None, issuer: str | None, port_offset: int) -> None:
    """Print a fresh access token from the lab's issuer: TOKEN=$(genai-demo token --role admin)."""
    import requests

    from simulators.identity.wiring import TokenError, demo_token

    url = issuer or os.environ.get("AUTH_ISSUER") or f"http://127.0.0.1:{12116 + port_offset}"
    try:
        if sub is not None:
            roles = ["customer"] if role == "customer2" else [role]
            resp = requests.post(f"{url.rstrip('/')}/_sim/identity/tokens", json={"sub": sub, "roles": roles},
                                 timeout=10)  # fmt: skip
            resp.raise_for_status()
            click.echo(resp.json()["access_token"])
        else:
            click.echo(demo_token(url, role))
    except (requests.RequestException, TokenError) as exc:
        raise click.ClickException(f"no token from {url} ({exc}); is the lab up (genai-demo up)?") from None


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


@bench.command("logistics")
@click.option(
    "--seconds", type=float, default=10.0, show_default=True, help="Measured run after the warm-up."
)
@click.option("--warmup", type=float, default=2.0, show_default=True, help="Warm-up seconds (not measured).")
@click.option("--connections", type=int, default=16, show_default=True, help="Keep-alive client connections.")
@click.option("--no-buy", is_flag=True, help="Skip the create + buy run.")
def bench_logistics_cmd(seconds: float, warmup: float, connections: int, no_buy: bool) -> None:
    """The EasyPost simulator's create-shipment throughput and latency under `genai-demo sim logistics`."""
    from simulators.logistics.bench import bench_logistics

    bench_logistics(seconds=seconds, connections=connections, warmup=warmup, buy=not no_buy)


@bench.command("auth")
@click.option("--requests", type=click.IntRange(100, 1_000_000), default=3000, show_default=True,
              help="Requests per variant.")  # fmt: skip
@click.option(
    "--rounds", type=click.IntRange(1, 100), default=10, show_default=True, help="Interleaved rounds."
)
def bench_auth_cmd(requests: int, rounds: int) -> None:
    """The per-request cost of authentication and rate limiting on GET /api/v1/orders/{id}."""
    from simulators.lab.bench_auth import bench_auth

    bench_auth(requests=requests, rounds=rounds)


@bench.command("checkout")
@click.option("--workers", default="1,2,4", show_default=True, help="Service worker counts, one run each.")
@click.option("--rate", type=click.FloatRange(1, 1000), default=50.0, show_default=True,
              help="Checkouts started per second (open loop).")  # fmt: skip
@click.option("--seconds", type=click.FloatRange(1, 3600), default=15.0, show_default=True,
              help="Measured seconds per worker count.")  # fmt: skip
@click.option("--warmup", type=click.FloatRange(0, 600), default=3.0, show_default=True,
              help="Warm-up seconds before them (not measured).")  # fmt: skip
@click.option("--database-url", default=None,
              help="PostgreSQL database the bench drops and creates for each run "
              "(default postgresql+psycopg://postgres@127.0.0.1:5432/bench_checkout).")  # fmt: skip
@click.option("--sqlite", is_flag=True, help="Run on the embedded default (SQLite) instead.")
def bench_checkout_cmd(
    workers: str, rate: float, seconds: float, warmup: float, database_url: str | None, sqlite: bool
) -> None:
    """The service's Stripe checkout path (order, payment, confirm, PAID webhook) at a fixed arrival rate."""
    from simulators.lab.bench_checkout import DEFAULT_DATABASE_URL, bench_checkout

    try:
        counts = [int(w) for w in workers.split(",") if w.strip()]
    except ValueError:
        raise click.BadParameter("a comma-separated list of worker counts", param_hint="--workers") from None
    bench_checkout(counts, rate=rate, seconds=seconds, warmup=warmup, sqlite=sqlite,
                   database_url=database_url or DEFAULT_DATABASE_URL, echo=click.echo)  # fmt: skip


@bench.command("files")
@click.option("--small", type=click.IntRange(1, 10000), default=50, show_default=True, help="100 KB uploads.")
@click.option("--large", type=click.IntRange(1, 1000), default=10, show_default=True, help="10 MB uploads.")
@click.option("--huge-mb", type=click.IntRange(20, 5000), default=200, show_default=True,
              help="Size of the one upload during which the service's RSS is sampled.")  # fmt: skip
def bench_files_cmd(small: int, large: int, huge_mb: int) -> None:
    """Upload throughput of POST /api/v1/files (100 KB, 10 MB) and the service's RSS during a huge upload."""
    from simulators.lab.bench_files import bench_files

    bench_files(small=small, large=large, huge_mb=huge_mb)


@bench.command("kafka")
@click.option("--events", type=click.IntRange(100, 1_000_000), default=20_000, show_default=True,
              help="Outbox rows the relay publishes in the throughput run.")  # fmt: skip
@click.option("--rate", type=click.FloatRange(1, 10_000), default=500.0, show_default=True,
              help="Orders per second in the latency run.")  # fmt: skip
@click.option("--seconds", type=float, default=10.0, show_default=True, help="Length of the latency run.")
@click.option(
    "--database-url",
    default=None,
    help="Latency run's database (an empty PostgreSQL schema); default: SQLite.",
)
def bench_kafka_cmd(events: int, rate: float, seconds: float, database_url: str | None) -> None:
    """The outbox relay's events/s to Kafka and publish->handled latency through a consumer (mock cluster)."""
    from simulators.kafka.bench import bench_kafka

    bench_kafka(events=events, rate=rate, seconds=seconds, database_url=database_url)


@bench.command("soak")
@click.option("--requests", type=click.IntRange(1000, 100_000_000), default=1_000_000, show_default=True,
              help="Requests per simulator.")  # fmt: skip
@click.option(
    "--provider",
    "providers",
    type=click.Choice(["stripe", "paypal", "twilio", "logistics"]),
    multiple=True,
    help="Soak only these simulators (repeatable; default all four).",
)
@click.option("--connections", type=click.IntRange(1, 256), default=8, show_default=True)
@click.option("--clients", type=click.IntRange(1, 16), default=2, show_default=True, help="Client processes.")
@click.option(
    "--warmup", type=click.FloatRange(0.0, 0.9), default=0.2, show_default=True,
    help="Fraction of the requests that is warm-up (caps fill, RSS not judged).",
)  # fmt: skip
@click.option("--small-caps", is_flag=True, help="Start the simulators with small state caps (fill fast).")
@click.option(
    "--service", "service", is_flag=True,
    help="Soak the service instead: --checkouts checkouts through it and the Stripe simulator.",
)  # fmt: skip
@click.option(
    "--checkouts", type=click.IntRange(100, 100_000_000), default=100_000, show_default=True,
    help="Checkouts of the service soak (order, Stripe payment, confirm as Stripe.js, PAID webhook).",
)  # fmt: skip
def bench_soak_cmd(
    requests: int,
    providers: tuple[str, ...],
    connections: int,
    clients: int,
    warmup: float,
    small_caps: bool,
    service: bool,
    checkouts: int,
) -> None:
    """Memory over a long run of mixed requests per simulator: RSS after warm-up, growth, MB per 100k.

    With --service, the service's own memory over --checkouts checkouts: RSS/PSS growth, MB per 10k."""
    from simulators.lab.bench_soak import PROVIDERS, bench_soak, bench_soak_service

    if service:
        result = bench_soak_service(
            checkouts, connections=connections, clients=clients, warmup=warmup, echo=click.echo
        )
        if result.errors or result.not_paid:
            raise SystemExit(1)
        return
    results = bench_soak(
        requests,
        providers or PROVIDERS,
        small_caps=small_caps,
        connections=connections,
        clients=clients,
        warmup=warmup,
        echo=click.echo,
    )
    if any(r.errors for r in results):
        raise SystemExit(1)


@bench.command("all")
@click.pass_context
def bench_all(ctx: click.Context) -> None:
    """Every benchmark, one after the other, but the soak (an hour and more: ``make soak``) and the checkout
    (three service starts and a minute of load each: ``genai-demo bench checkout``)."""
    for name, command in sorted(bench.commands.items()):
        if name not in ("all", "soak", "checkout"):
            click.echo(f"== bench {name} ==")
            ctx.invoke(command)


cli.add_command(sim)
cli.add_command(trigger)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
