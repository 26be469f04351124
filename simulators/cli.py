"""``genai-demo sim <provider>``: serve one provider simulator under granian.

The click command :func:`sim` is attached to the ``genai-demo`` group (``simulators.lab.cli``); it also
runs alone as ``python -m simulators.cli <provider> --port N``. ``<provider>`` is a registered name (see
``simulators.registry.PROVIDERS``) or a ``module:Class`` plugin path.
"""

from __future__ import annotations

import os
import sys

import click

from reference_service.entrypoints.ports import port_free
from simulators.kernel.serve import ENV_APP_DIR, serve
from simulators.registry import resolve_spec

#: the Kafka mock cluster's control API (its brokers take ephemeral ports, printed at start)
KAFKA_CONTROL_PORT = 12117


@click.command("sim")
@click.argument("provider")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", type=int, default=None, help="Port (default: the provider's; 0 picks a free one).")
@click.option("--seed", type=int, default=None, help="Seed ids and fault/chaos RNGs (default: random).")
@click.option("--time-scale", type=float, default=None, help="Divide webhook retry delays by this factor.")
@click.option("--threads", type=int, default=64, show_default=True, help="granian blocking threads.")
@click.option("--log-level", default="warning", show_default=True, help="granian log level.")
@click.option(
    "--tls-cert", type=click.Path(dir_okay=False, exists=True), default=None, help="Serve HTTPS (TLS 1.3+)."
)
@click.option(
    "--tls-key", type=click.Path(dir_okay=False, exists=True), default=None, help="PKCS#8 key of --tls-cert."
)
@click.option(
    "--app-dir",
    default=".",
    show_default=True,
    help="Directory put on sys.path first, so a module:Class plugin path can be imported from it.",
)
def sim(
    provider: str,
    host: str,
    port: int | None,
    seed: int | None,
    time_scale: float | None,
    threads: int,
    log_level: str,
    app_dir: str,
    tls_cert: str | None,
    tls_key: str | None,
) -> None:
    """Serve the PROVIDER simulator (a registered name or a module:Class path) with its /_sim/ control API.

    ``kafka`` is librdkafka's mock cluster (real Kafka protocol): it prints MSK_BOOTSTRAP_SERVERS, and its
    control API (health, broker down/up) listens on --port (default 12117)."""
    if provider == "kafka":
        from simulators.kafka.server import serve as serve_kafka
        from simulators.testing import free_port

        serve_kafka(KAFKA_CONTROL_PORT if port is None else (port or free_port(host)), host=host)
        return
    app_dir = os.path.abspath(app_dir)
    if app_dir not in sys.path:
        sys.path.insert(0, app_dir)
    try:
        spec = resolve_spec(provider)
    except (LookupError, ValueError, ImportError, AttributeError) as exc:
        raise click.BadParameter(str(exc), param_hint="PROVIDER") from exc
    if port is None:
        port = spec.default_port
    if not port:
        from simulators.testing import free_port  # werkzeug and the kernel's server: only for port 0

        port = free_port(host)
    elif not port_free(port, host):  # granian would share it (SO_REUSEPORT) with whoever serves it now
        raise click.ClickException(
            f"port {port} on {host} is already in use (another simulator or lab?); choose one with --port"
        )
    env: dict[str, str] = {ENV_APP_DIR: app_dir}
    if seed is not None:
        env["SIM_SEED"] = str(seed)
    if time_scale is not None:
        if time_scale <= 0:
            raise click.BadParameter("must be > 0", param_hint="--time-scale")
        env["SIM_TIME_SCALE"] = str(time_scale)
    if (tls_cert is None) != (tls_key is None):
        raise click.UsageError("--tls-cert and --tls-key go together")
    tls = (tls_cert, tls_key) if tls_cert and tls_key else None
    url = f"{'https' if tls else 'http'}://{host}:{port}"
    click.echo(f"{spec.name} simulator: {url}")
    click.echo(f"{spec.name} control API: {url}/_sim/  (OpenAPI: {url}/_sim/openapi.json)", nl=True)
    serve(provider, host=host, port=port, threads=threads, env=env, log_level=log_level, tls=tls)


class TriggerGroup(click.Group):
    """``trigger``'s provider subcommands, imported when ``trigger`` runs or lists them: importing them
    loads the Stripe and EasyPost simulators, which every other ``genai-demo`` process (each lab part) would
    otherwise import at start-up for nothing."""

    def _load(self) -> None:
        if not self.commands:
            from simulators.logistics.trigger import logistics_trigger
            from simulators.stripe.trigger import stripe_trigger

            self.add_command(stripe_trigger)
            self.add_command(logistics_trigger)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._load()
        return super().get_command(ctx, cmd_name)


@click.group("trigger", cls=TriggerGroup)
def trigger() -> None:
    """Make a running simulator emit an event through real API calls (like `stripe trigger`)."""


if __name__ == "__main__":
    sim()
