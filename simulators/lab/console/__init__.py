"""The lab console: one web page over the whole lab for people exploring a flow by hand.

Pages (``docs/console.md``): overview of every part, an order's timeline across the service and every
simulator, webhook deliveries with redeliver/duplicate, fault rules and presets, simulator clocks, alerts.
It reads and acts through the lab's public APIs only (the simulators' ``/_sim/`` control API, the service's
API with an admin token, the Kafka topics, Prometheus): :mod:`simulators.lab.console.sources`.

``genai-demo up`` starts it as the part ``console`` (port 12180 + offset; its URL is in ``up``'s table);
``genai-demo console --port-offset N`` starts one for a lab already running. Server-rendered Jinja
templates, htmx (vendored in ``static/``, see its README) for the live parts.
"""

from __future__ import annotations

from simulators.lab.console.app import create_app
from simulators.lab.console.config import CONSOLE_PORT, ConsoleConfig, LabPart
from simulators.lab.console.sources import LabView

__all__ = ["CONSOLE_PORT", "ConsoleConfig", "LabPart", "LabView", "create_app", "serve"]


def serve(config: ConsoleConfig, port: int, host: str = "127.0.0.1") -> None:
    """Serve the console until SIGTERM/SIGINT (werkzeug's threaded server: a few people and their polls).
    The Kafka reader starts at once so the timeline has the topics' history when first asked."""
    import signal

    from werkzeug.serving import make_server

    view = LabView(config)
    view.start_kafka_tail()
    server = make_server(host, port, create_app(config, view), threaded=True)

    def stop(_signum: int, _frame: object) -> None:
        import threading

        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # Ctrl-C in a terminal: stop serving, close below
    finally:
        view.close()
