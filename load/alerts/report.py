"""The HTML report of an alert run: ``report.html`` (self-contained: the timeline PNG is embedded) and
``timeline.png`` next to Locust's ``locust.html`` and CSV files.

The plot is drawn with matplotlib (Agg, no display): a static PNG needs no JavaScript or network to
open, embeds in one HTML file and in the README, and matplotlib is the most widely kept plotting
library for Python. Top panel: Locust's request and failure rate (``stats_stats_history.csv``). Bottom
panel: the alert's compared value from Prometheus (``query_range``) against its threshold. Both shade
the fault window and mark when the alert became pending, fired and was resolved.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from pathlib import Path

from load.alerts.driver import LabUrls, ScenarioResult
from load.alerts.observe import Observer
from load.alerts.scenarios import AlertScenario


def _locust_history(out: Path) -> tuple[list[float], list[float], list[float]]:
    path = out / "stats_stats_history.csv"
    times: list[float] = []
    rps: list[float] = []
    fps: list[float] = []
    if not path.exists():
        return times, rps, fps
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row.get("Name") != "Aggregated":
                continue
            try:
                times.append(float(row["Timestamp"]))
                rps.append(float(row["Requests/s"]))
                fps.append(float(row["Failures/s"]))
            except (KeyError, ValueError):
                continue
    return times, rps, fps


def timeline_png(result: ScenarioResult, scenario: AlertScenario, urls: LabUrls, out: Path) -> bytes:
    """Draw the run's timeline; returns the PNG bytes (also written to ``out/timeline.png``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t0 = result.started_at
    observer = Observer(urls.prometheus, urls.receiver)
    try:
        step = max(0.25, result.interval_s / 2)
        series = observer.range(scenario.signal, result.started_at, result.ended_at, step)
    except Exception:  # the plot still shows the traffic and the marks
        series = []
    finally:
        observer.close()
    times, rps, fps = _locust_history(out)

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, constrained_layout=True)
    top.plot([t - t0 for t in times], rps, label="requests/s (Locust)", color="#1f77b4")
    top.plot([t - t0 for t in times], fps, label="failures/s (Locust)", color="#d62728")
    top.set_ylabel("per second")
    top.legend(loc="upper left", fontsize=8)
    for labels, points in series:
        # the series' distinguishing label (provider, topic...), when the expression keeps one
        name = labels.get("provider") or labels.get("topic") or labels.get("__name__")
        legend = f"{scenario.signal} ({name})" if name else scenario.signal
        bottom.plot([t - t0 for t, _ in points], [v for _, v in points], label=legend[:80])
    bottom.axhline(
        scenario.threshold,
        color="black",
        linestyle="--",
        linewidth=1,
        label=f"threshold {scenario.threshold:g}",
    )
    bottom.set_ylabel("alert expression")
    bottom.set_xlabel("seconds since the run started")
    marks = [
        (result.pending_at, "pending", "#ff7f0e"),
        (result.firing_at, "firing", "#d62728"),
        (result.resolved_notified_at, "resolved (notified)", "#2ca02c"),
    ]
    for axis in (top, bottom):
        axis.axvspan(result.fault_started_at - t0, result.fault_ended_at - t0, color="#d62728", alpha=0.08)
        for at, label, colour in marks:
            if at is not None:
                axis.axvline(
                    at - t0,
                    color=colour,
                    linestyle=":",
                    linewidth=1.5,
                    label=label if axis is bottom else None,
                )
    bottom.legend(loc="upper left", fontsize=8)
    fig.suptitle(f"{scenario.alert} (x{result.factor:g} time): fault window shaded")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    png = buffer.getvalue()
    (out / "timeline.png").write_bytes(png)
    return png


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def write_report(result: ScenarioResult, scenario: AlertScenario, urls: LabUrls, out: Path) -> Path:
    """Write ``out/report.html`` (and ``out/timeline.png``); returns the report's path."""
    png = timeline_png(result, scenario, urls, out)
    since_fault = result.fault_started_at
    rows = [
        ("fault", html.escape(scenario.description)),
        (
            "rule",
            f"{scenario.alert} in {scenario.rule_file}: for {result.for_s:g} s, "
            f"window {result.window_s:g} s, evaluated every {result.interval_s:g} s (x{result.factor:g})",
        ),
        ("time to pending", _seconds(None if result.pending_at is None else result.pending_at - since_fault)),
        ("time to fire (Prometheus)", _seconds(result.time_to_fire_s)),
        (
            "time to notify (receiver)",
            _seconds(None if result.firing_notified_at is None else result.firing_notified_at - since_fault),
        ),
        ("time to resolve (receiver, after the fault was lifted)", _seconds(result.time_to_resolve_s)),
        ("fault window", _seconds(result.fault_ended_at - result.fault_started_at)),
        ("requests / errors (Locust)", f"{result.requests} / {result.errors}"),
        ("SMS delivered", "-" if result.sms_sent is None else f"{result.sms_delivered} of {result.sms_sent}"),
        (
            "faults injected",
            html.escape(", ".join(f"{k}: {v}" for k, v in result.faults_fired.items()) or "-"),
        ),
        ("other alerts fired", html.escape(", ".join(result.other_alerts) or "none")),
        (
            "verdict",
            "PASS" if result.passed else "FAIL<br>" + "<br>".join(html.escape(f) for f in result.failures),
        ),
    ]
    table = "\n".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    document = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{scenario.alert}: alert run</title>
<style>body{{font-family:sans-serif;max-width:1040px;margin:2em auto}}th{{text-align:left;padding-right:1em}}
td,th{{border-bottom:1px solid #ddd;padding:4px}}</style></head><body>
<h1>{scenario.alert}</h1>
<p>Baseline traffic, then the fault, then recovery. Times are measured from the moment the fault rules
were installed on the simulator (pending, firing) or removed (resolved), on Prometheus's
<code>ALERTS</code> series and on the lab receiver's clock.</p>
<img alt="timeline" src="data:image/png;base64,{base64.b64encode(png).decode()}" width="1000">
<table>{table}</table>
<p>Locust's own report: <a href="locust.html">locust.html</a>; statistics: <code>stats_*.csv</code>;
the verdict as JSON: <a href="summary.json">summary.json</a>.</p>
</body></html>
"""
    path = out / "report.html"
    path.write_text(document, encoding="utf-8")
    return path
