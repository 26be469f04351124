"""``python -m load.alerts [scenario ...]``: start a lab with Prometheus and Alertmanager, trip each alert
with its scenario, print time to fire and to resolve, write ``var/load/alerts-<name>-<stamp>/report.html``.

::

    python -m load.alerts                       # every scenario, canonical rules (make alerts, ~15 min)
    python -m load.alerts --factor 20           # rules and intervals 20x faster (about a minute each)
    python -m load.alerts stripe-down --factor 20 --port-offset 500

Exit 0 when every scenario passed, 1 when one failed, 2 when the lab could not start.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from load.alerts.runner import alert_lab, run_all, summary_table
from load.alerts.scenarios import SCENARIOS, scenario
from simulators.lab.observability import ObservabilityOptions
from simulators.lab.up import LabError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m load.alerts", description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", help=f"default all: {', '.join(s.name for s in SCENARIOS)}")
    parser.add_argument("--factor", type=float, default=1.0, help="time compression of the rules (default 1)")
    parser.add_argument("--port-offset", type=int, default=0, help="the lab's port offset (default 0)")
    parser.add_argument("--out", type=Path, default=Path("var/load"), help="report root (default var/load)")
    args = parser.parse_args(argv)
    try:
        chosen = [scenario(name) for name in args.scenarios] or list(SCENARIOS)
    except KeyError as exc:
        parser.error(str(exc))
    out = args.out.resolve()
    options = ObservabilityOptions(args.factor)
    print(
        f"alert scenarios x{args.factor:g}: {', '.join(s.name for s in chosen)}; reports under {out}",
        flush=True,
    )
    try:
        with alert_lab(out / "alerts-lab", args.factor, args.port_offset, echo=True) as (_lab, urls):
            results = run_all(chosen, urls, args.factor, options.interval_s, out)
    except LabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary_table(results))
    for result in results:
        print(f"  report: {result.out_dir}/report.html")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
