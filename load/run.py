"""``python -m load.run [scenario]``: a short headless Locust run against a running lab, with a verdict.

::

    python -m load.run                                   # orders, 20 users, 20 s, http://127.0.0.1:8000
    python -m load.run orders --users 50 --spawn-rate 25 --run-time 1m --host http://127.0.0.1:8000
    python -m load.run --list                            # the scenarios (load/locustfiles/*.py)
    LOAD_P95_MS=5 python -m load.run                     # tighten a threshold for one run
    python -m load.run stripe_checkout --processes 2     # a master and 2 worker processes (make load
                                                         # LOAD_PROCESSES=2)

It runs Locust (``load/locust.conf`` plus the options given) in a child process, writes the CSV files,
the HTML report, Locust's log and a ``summary.json`` under ``<out>/<scenario>-<timestamp>/`` (``--out``
defaults to ``var/load``), prints requests/s, p50, p95 and the error rate per request name with the
scenario's thresholds, and exits 1 when the error rate or p95 breaks them (the thresholds are the
``MAX_ERROR_RATE`` / ``P95_MS`` constants of the locustfile). Exit 2: Locust could not run or wrote no
statistics.

``--processes N`` (``make load LOAD_PROCESSES=N``) runs Locust distributed on this machine: a master and N
worker processes (Locust's own ``--processes``; the master binds a free port on 127.0.0.1, so runs side by
side do not collide). The users are spread over the workers, the master merges their statistics, and the
reports and the verdict are the master's merged ones; ``summary.json`` records ``processes``. Without it
(or with 0) Locust runs in one process, as before. ``LOAD_HOST`` is the default of ``--host``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from load.common.reports import Figures, figures_from_csv
from load.common.service_metrics import calls_table, provider_calls, read_counters, webhooks_rejected
from load.common.thresholds import breaches, declared_in

LOAD_DIR = Path(__file__).resolve().parent
REPO = LOAD_DIR.parent
LOCUSTFILES = LOAD_DIR / "locustfiles"
CONFIG = LOAD_DIR / "locust.conf"
DEFAULT_HOST = "http://127.0.0.1:8000"
CSV_PREFIX = "stats"
_DURATION = re.compile(r"^(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s?)?$")


def scenarios() -> list[str]:
    """Every scenario name: the locustfiles under ``load/locustfiles/``."""
    return sorted(p.stem for p in LOCUSTFILES.glob("*.py") if not p.stem.startswith("_"))


def parse_duration(text: str) -> float:
    """Locust's ``--run-time`` syntax (``20s``, ``1m30s``, ``2h``, ``45``) in seconds."""
    match = _DURATION.match(text.strip())
    if not match or not any(match.groups()):
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (use e.g. 20s, 1m30s, 2h)")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return float(hours * 3600 + minutes * 60 + seconds)


def _config_value(key: str) -> str | None:
    for line in CONFIG.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() == key and not line.lstrip().startswith("#"):
            return value.strip()
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m load.run",
        description="Run a short headless Locust scenario against a running lab and judge it.",
    )
    parser.add_argument(
        "scenario", nargs="?", default="orders", help="a file in load/locustfiles/ (default orders)"
    )
    parser.add_argument(
        "--host",
        default=os.environ.get("LOAD_HOST") or DEFAULT_HOST,
        help=f"the service's base URL (default LOAD_HOST, else {DEFAULT_HOST})",
    )
    parser.add_argument("-u", "--users", type=int, help="peak concurrent users (default: locust.conf)")
    parser.add_argument(
        "-r", "--spawn-rate", type=float, help="users started per second (default: locust.conf)"
    )
    parser.add_argument("-t", "--run-time", help="how long to run, e.g. 20s or 1m (default: locust.conf)")
    parser.add_argument("--out", type=Path, default=Path("var/load"), help="report root (default var/load)")
    parser.add_argument("--p95-ms", type=float, help="override the scenario's p95 threshold (ms)")
    parser.add_argument(
        "--max-error-rate", type=float, help="override the error-rate threshold (0.01 = 1 %%)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        help="worker processes under a master (Locust distributed on this machine); 0: one process",
    )
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    return parser


def _report_dir(root: Path, scenario: str) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for attempt in range(1, 100):
        path = root / (f"{scenario}-{stamp}" + (f"-{attempt}" if attempt > 1 else ""))
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"cannot create a report directory under {root}")


def _table(rows: list[Figures]) -> str:
    width = max([len(r.name) for r in rows] + [20])
    lines = [f"  {'request':<{width}} {'reqs':>7} {'fails':>6} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7}"]
    for r in rows:
        lines.append(
            f"  {r.name:<{width}} {r.requests:>7} {r.failures:>6} {r.rps:>8.1f} {r.p50_ms:>7g} {r.p95_ms:>7g}"
        )
    return "\n".join(lines)


def _print_failures(failures_csv: Path, limit: int = 5) -> None:
    """The most frequent failures of the run (Locust's ``<prefix>_failures.csv``)."""
    if not failures_csv.exists():
        return
    with failures_csv.open(newline="", encoding="utf-8") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: -int(r["Occurrences"]))
    if rows:
        print("failures:")
    for row in rows[:limit]:
        print(f"  {row['Occurrences']:>6} x {row['Method']} {row['Name']}: {row['Error'][:160]}")


def _service_side(host: str, before: Any, rows: list[Figures]) -> dict[str, Any]:
    """Retries per provider call and forged webhooks, from the service's own counters (before/after)."""
    after = read_counters(host)
    if before is None or after is None:
        return {}
    side: dict[str, Any] = {"provider_calls": [r.as_dict() for r in provider_calls(before, after)]}
    forged = [r for r in rows if "webhook (forged)" in r.name]  # "POST webhook (forged): ..."
    if forged:
        provider = "stripe"  # the only scenario that forges so far (stripe_checkout)
        side["forged_webhooks"] = {
            "sent": sum(r.requests for r in forged),
            "accepted_or_changed_state": sum(r.failures for r in forged),
            "rejected_by_service": webhooks_rejected(before, after, provider),
        }
    return side


def _print_service_side(summary: dict[str, Any]) -> None:
    from load.common.service_metrics import ProviderCalls

    calls = summary.get("provider_calls")
    if calls:
        print("retries per provider call (the service's external_api_calls_total / _requests_total):")
        print(calls_table([ProviderCalls(
            c["provider"], c["operation"], c["calls"], c["first_try"], c["retried_then_succeeded"],
            c["retried_until_exhausted"], c["failed_not_retried"], c["attempts"],
        ) for c in calls]))  # fmt: skip
    forged = summary.get("forged_webhooks")
    if forged:
        print(
            f"forged webhooks: {forged['sent']} sent, {forged['rejected_by_service']} rejected by the "
            f"service, {forged['accepted_or_changed_state']} accepted or changed state"
        )


def distributed_options(processes: int) -> list[str]:
    """Locust options for a master and ``processes`` workers on this machine (none for 0): Locust forks the
    workers itself, the master listens on a free port of 127.0.0.1 and waits for every worker before it
    starts the users (``expect_workers`` is ``processes``)."""
    if processes <= 0:
        return []
    with socket.socket() as probe:  # a port the kernel has free now; the master binds it a moment later
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    return [
        "--processes", str(processes), "--master-bind-host", "127.0.0.1", "--master-bind-port", port,
        "--master-host", "127.0.0.1", "--master-port", port, "--expect-workers-max-wait", "30",
    ]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 pass, 1 threshold breach, 2 could not run)."""
    args = _parser().parse_args(argv)
    if args.list:
        print("\n".join(scenarios()))
        return 0
    if args.scenario not in scenarios():
        print(f"unknown scenario {args.scenario!r}; choose from: {', '.join(scenarios())}", file=sys.stderr)
        return 2
    run_time = args.run_time or _config_value("run-time") or "20s"
    seconds = parse_duration(run_time)

    env = dict(os.environ)
    if args.p95_ms is not None:
        env["LOAD_P95_MS"] = str(args.p95_ms)
    if args.max_error_rate is not None:
        env["LOAD_MAX_ERROR_RATE"] = str(args.max_error_rate)
    locustfile = LOCUSTFILES / f"{args.scenario}.py"
    limits = declared_in(locustfile).with_env(env)

    out = _report_dir(args.out.resolve(), args.scenario)
    html = out / "report.html"
    command = [
        sys.executable, "-m", "locust", "--config", str(CONFIG), "-f", str(locustfile), "--headless",
        "--host", args.host, "--run-time", run_time, "--csv", str(out / CSV_PREFIX), "--html", str(html),
        "--logfile", str(out / "locust.log"), "--only-summary",
    ]  # fmt: skip
    if args.users is not None:
        command += ["--users", str(args.users)]
    if args.spawn_rate is not None:
        command += ["--spawn-rate", str(args.spawn_rate)]
    if args.processes < 0:
        print("--processes must be 0 (one process) or more", file=sys.stderr)
        return 2
    command += distributed_options(args.processes)

    layout = f", a master and {args.processes} workers" if args.processes else ""
    print(
        f"{args.scenario}: {run_time} against {args.host}{layout} ({limits.describe()}); reports in {out}",
        flush=True,
    )
    counters_before = read_counters(args.host)
    started = time.monotonic()
    try:
        # cwd=REPO: the locustfile imports load.common, which Locust finds through the working directory
        proc = subprocess.run(command, cwd=REPO, env=env, timeout=seconds + 60, check=False)
        locust_code = proc.returncode
    except subprocess.TimeoutExpired:
        print(f"locust did not finish within {seconds + 60:.0f}s", file=sys.stderr)
        return 2
    elapsed = time.monotonic() - started

    stats_csv = out / f"{CSV_PREFIX}_stats.csv"
    if not stats_csv.exists():
        print(f"locust exited {locust_code} without statistics; see {out / 'locust.log'}", file=sys.stderr)
        return 2
    rows = figures_from_csv(stats_csv)
    total = rows[-1]
    found = breaches(total, limits)
    summary: dict[str, Any] = {
        "scenario": args.scenario,
        "host": args.host,
        "run_time": run_time,
        "processes": args.processes,
        "elapsed_s": round(elapsed, 1),
        "thresholds": {"max_error_rate": limits.max_error_rate, "p95_ms": limits.p95_ms},
        "total": total.as_dict(),
        "requests": [r.as_dict() for r in rows[:-1]],
        "breaches": found,
        "locust_exit_code": locust_code,
        "passed": not found and locust_code == 0,
        "reports": {"html": str(html), "csv_prefix": str(out / CSV_PREFIX)},
    }
    summary.update(_service_side(args.host, counters_before, rows))
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")

    print(f"\n{args.scenario}: {total.requests} requests in {elapsed:.1f}s")
    print(_table(rows))
    print(
        f"total: {total.rps:.1f} req/s, p50 {total.p50_ms:g} ms, p95 {total.p95_ms:g} ms, "
        f"error rate {total.error_rate:.2%}"
    )
    print(f"thresholds: {limits.describe()}")
    print(f"reports: {html} and {out / CSV_PREFIX}_*.csv")
    _print_failures(out / f"{CSV_PREFIX}_failures.csv")
    _print_service_side(summary)
    if total.requests and total.failures == total.requests:
        print(f"every request failed: is the service at {args.host} running (make run)?")
    if found:
        print("FAIL: " + "; ".join(found))
        return 1
    if locust_code != 0:
        print(f"FAIL: locust exited {locust_code}; see {out / 'locust.log'}")
        return locust_code if locust_code > 0 else 2
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
