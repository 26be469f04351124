"""The console's Flask app: server-rendered pages, htmx fragments polled every 2 s, form actions.

Pages: ``/`` (overview), ``/timeline?order_id=`` (order timeline), ``/webhooks``, ``/faults``, ``/clock``,
``/alerts``. Each page's live part is a fragment under ``/f/...`` that htmx fetches every 2 s (and at once
after an action: actions answer with an ``HX-Trigger: lab-changed`` header) while "Live updates" is ticked.
Actions are plain ``POST`` forms, so they work without JavaScript too (a redirect back with a message).
``GET /health`` and ``GET /api/lab`` (the lab's URLs, no credential) are for scripts.
Every read and action goes through :class:`simulators.lab.console.sources.LabView`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, abort, jsonify, redirect, render_template, request

from simulators.lab.console.config import ConsoleConfig
from simulators.lab.console.presets import PRESETS, preset
from simulators.lab.console.sources import ConsoleError, LabView, describe_rule, reason

#: the advance buttons of the Clock page (label, seconds)
ADVANCES = (("1 min", 60), ("10 min", 600), ("1 h", 3600), ("1 day", 86400))
ACTIONS = ("status", "latency", "rate_limit", "reset", "malformed", "hang")


def create_app(config: ConsoleConfig, view: LabView | None = None) -> Flask:
    """The console for the lab ``config`` describes (``view``: an existing :class:`LabView`)."""
    app = Flask(__name__)
    lab = view or LabView(config)
    app.extensions["lab_view"] = lab
    started = time.time()

    app.add_template_filter(duration)
    app.add_template_filter(clock_time, "clock")
    app.add_template_filter(url_path, "urlpath")

    @app.context_processor
    def globals_() -> dict[str, Any]:
        return {
            "nav": NAV,
            "message": request.args.get("message", ""),
            "error": request.args.get("error", ""),
        }

    @app.before_request
    def same_origin_posts() -> None:
        """Actions come from the console's own pages: a POST from another origin is refused."""
        if request.method == "POST":
            origin = request.headers.get("Origin")
            if origin and urlsplit(origin).netloc != request.host:
                abort(403)

    # -- pages -------------------------------------------------------------------------------------
    @app.get("/")
    def overview() -> str:
        return render_template("overview.html", rows=lab.overview(), page="overview")

    @app.get("/f/overview")
    def overview_fragment() -> str:
        return render_template("_overview.html", rows=lab.overview())

    @app.get("/timeline")
    def timeline() -> str:
        order_id = request.args.get("order_id", "").strip()
        found = lab.timeline(order_id) if order_id else None
        key = request.args.get("entry", "")
        entry = lab.entry(order_id, key) if order_id and key else None
        return render_template(
            "timeline.html", order_id=order_id, timeline=found, entry=entry, page="timeline"
        )

    @app.get("/f/timeline")
    def timeline_fragment() -> str:
        order_id = request.args.get("order_id", "").strip()
        return render_template("_timeline.html", order_id=order_id, timeline=lab.timeline(order_id))

    @app.get("/f/entry")
    def entry_fragment() -> str:
        order_id = request.args.get("order_id", "").strip()
        return render_template("_entry.html", entry=lab.entry(order_id, request.args.get("key", "")))

    @app.get("/webhooks")
    def webhooks() -> str:
        return render_template("webhooks.html", **split("providers", lab.webhooks()), page="webhooks")

    @app.get("/f/webhooks")
    def webhooks_fragment() -> str:
        return render_template("_webhooks.html", **split("providers", lab.webhooks()))

    @app.get("/faults")
    def faults() -> str:
        return render_template(
            "faults.html",
            **split("rules", lab.faults()),
            kafka=lab.kafka_state(),
            presets=PRESETS,
            actions=ACTIONS,
            simulators=[p.name for p in lab.simulators],
            describe=describe_rule,
            page="faults",
        )

    @app.get("/f/faults")
    def faults_fragment() -> str:
        return render_template(
            "_faults.html", **split("rules", lab.faults()), kafka=lab.kafka_state(), describe=describe_rule
        )

    @app.get("/clock")
    def clock() -> str:
        return render_template("clock.html", **split("clocks", lab.clocks()), advances=ADVANCES, page="clock")

    @app.get("/f/clock")
    def clock_fragment() -> str:
        return render_template("_clock.html", **split("clocks", lab.clocks()), advances=ADVANCES)

    @app.get("/alerts")
    def alerts() -> str:
        return render_template("alerts.html", alerts=lab.alerts(), page="alerts")

    @app.get("/f/alerts")
    def alerts_fragment() -> str:
        return render_template("_alerts.html", alerts=lab.alerts())

    # -- actions -----------------------------------------------------------------------------------
    @app.post("/faults")
    def add_fault() -> Response:
        form = request.form
        try:
            rule = rule_from_form(form)
            created = lab.add_fault(form["simulator"], rule)
        except (ConsoleError, ValueError, KeyError) as exc:
            return done(str(exc), ok=False)
        return done(f"{form['simulator']}: rule {created.get('id')} added ({describe_rule(created)})")

    @app.post("/faults/preset")
    def apply_preset() -> Response:
        try:
            chosen = preset(request.form["preset"])
            seconds = float(request.form.get("seconds") or chosen.default_seconds)
            if seconds <= 0 and chosen.how != "kafka":
                raise ValueError("the duration must be positive")
            if chosen.how == "fault":
                created = lab.add_fault(chosen.target, chosen.rule(seconds))
                return done(f"{chosen.label}: rule {created.get('id')} on {chosen.target} for {seconds:g}s")
            if chosen.how == "chaos":
                lab.set_chaos(chosen.target, chosen.rule(seconds))
                return done(f"{chosen.label}: {chosen.target} webhooks held up to {seconds:g}s")
            lab.kafka_broker(1, "down")
            return done(f"{chosen.label}: broker 1 is down (Broker up ends it)")
        except (ConsoleError, ValueError, KeyError) as exc:
            return done(str(exc), ok=False)

    @app.post("/faults/delete")
    def delete_fault() -> Response:
        try:
            lab.delete_fault(request.form["simulator"], request.form["rule_id"])
        except (ConsoleError, KeyError) as exc:
            return done(str(exc), ok=False)
        return done(f"{request.form['simulator']}: rule {request.form['rule_id']} deleted")

    @app.post("/kafka/broker")
    def kafka_broker() -> Response:
        action = request.form.get("action", "")
        if action not in ("up", "down"):
            return done("action must be up or down", ok=False)
        try:
            lab.kafka_broker(int(request.form.get("broker", "1")), action)
        except (ConsoleError, ValueError) as exc:
            return done(str(exc), ok=False)
        return done(f"Kafka broker {request.form.get('broker', '1')} {action}")

    @app.post("/webhooks/redeliver")
    def redeliver() -> Response:
        try:
            lab.redeliver(request.form["simulator"], request.form["delivery_id"])
        except (ConsoleError, KeyError) as exc:
            return done(str(exc), ok=False)
        return done(
            f"{request.form['simulator']}: {request.form['delivery_id']} redelivered (a manual attempt)"
        )

    @app.post("/webhooks/duplicate")
    def duplicate() -> Response:
        try:
            sent = lab.duplicate(request.form["simulator"], request.form["delivery_id"])
        except (ConsoleError, KeyError, ValueError) as exc:
            return done(str(exc), ok=False)
        return done(f"{request.form['simulator']}: event {sent.get('event_id')} sent again as a new delivery")

    @app.post("/webhooks/chaos")
    def chaos() -> Response:
        simulator, mode = request.form.get("simulator", ""), request.form.get("mode", "")
        settings = {"duplicate": {"duplicate": 1.0}, "reorder": {"reorder": 1.0}, "off": None}
        if mode not in settings:
            return done("mode must be duplicate, reorder or off", ok=False)
        try:
            lab.set_chaos(simulator, settings[mode])
        except ConsoleError as exc:
            return done(str(exc), ok=False)
        what = {"duplicate": "every delivery sent twice", "reorder": "deliveries swapped in pairs"}
        return done(f"{simulator}: {what.get(mode, 'normal delivery')}")

    @app.post("/clock")
    def advance() -> Response:
        target = request.form.get("simulator") or None
        try:
            seconds = float(request.form["seconds"])
            if seconds <= 0:
                raise ValueError("advance by a positive number of seconds")
            results = lab.advance(None if target == "all" else target, seconds)
        except (ConsoleError, ValueError, KeyError) as exc:
            return done(str(exc), ok=False)
        failed = [f"{name}: {got}" for name, got in results.items() if isinstance(got, Exception)]
        if failed:
            return done("; ".join(failed), ok=False)
        return done(f"advanced {', '.join(results)} by {seconds:g}s")

    # -- for scripts -------------------------------------------------------------------------------
    @app.get("/health")
    def health() -> Response:
        return jsonify(status="UP", uptime_s=round(time.time() - started, 1))

    @app.get("/api/lab")
    def describe() -> Response:
        return jsonify(config.describe())

    @app.get("/api/kafka")
    def kafka() -> Response:
        tail = lab.kafka
        if tail is None:
            return jsonify(reading=False)
        return jsonify(reading=True, bootstrap=tail.bootstrap, counts=tail.counts, last_error=tail.last_error)

    return app


NAV = (
    ("overview", "/", "Overview"),
    ("timeline", "/timeline", "Order timeline"),
    ("webhooks", "/webhooks", "Webhooks"),
    ("faults", "/faults", "Faults"),
    ("clock", "/clock", "Clock"),
    ("alerts", "/alerts", "Alerts"),
)


def split(name: str, results: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{name: {part: result}, "errors": {part: reason}}`` from per-part results where some failed."""
    ok = {part: got for part, got in results.items() if not isinstance(got, Exception)}
    errors = {part: reason(got) for part, got in results.items() if isinstance(got, Exception)}
    return {name: ok, "errors": errors}


def duration(seconds: float | None) -> str:
    """``3 d 4 h``, ``2 h 5 min``, ``4 min 10 s``, ``12 s``."""
    if seconds is None:
        return "–"
    s = int(seconds)
    days, s = divmod(s, 86400)
    hours, s = divmod(s, 3600)
    minutes, s = divmod(s, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {s} s" if minutes else f"{s} s"


def clock_time(epoch: float | None) -> str:
    """An epoch time as ``2026-12-03 15:04:05 UTC`` (simulated times included)."""
    if not epoch:
        return "–"
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def url_path(url: str | None) -> str:
    """The path of a URL (where a webhook went, without host and query)."""
    return urlsplit(url or "").path or (url or "")


def done(message: str, *, ok: bool = True) -> Response:
    """An action's answer: for htmx the status fragment (and ``HX-Trigger: lab-changed`` so the page's
    live parts refresh now); without JavaScript a redirect back to the page with the message."""
    if request.headers.get("HX-Request"):
        resp = Response(render_template("_flash.html", message=message, ok=ok))
        resp.headers["HX-Trigger"] = "lab-changed"
        return resp
    back = urlsplit(request.referrer or "/")
    query = urlencode({"message" if ok else "error": message})
    return redirect(f"{back.path or '/'}?{query}", code=303)  # type: ignore[return-value]


def rule_from_form(form: Any) -> dict[str, Any]:
    """A fault rule (``docs/simulators-control-api.md``) from the Faults page's form."""
    match = {
        k: form[k].strip() for k in ("method", "path", "operation", "account") if form.get(k, "").strip()
    }
    kind = form.get("action", "status")
    if kind not in ACTIONS:
        raise ValueError(f"action must be one of {', '.join(ACTIONS)}")
    action: dict[str, Any] = {"type": kind}
    if kind == "status":
        action["status"] = int(form.get("status") or 503)
    elif kind == "latency":
        action["ms"] = int(form.get("ms") or 1000)
    elif kind == "rate_limit":
        action["retry_after"] = int(form.get("retry_after") or 1)
    rule: dict[str, Any] = {"match": match, "action": action}
    if form.get("times", "").strip():
        rule["times"] = int(form["times"])
    if form.get("probability", "").strip():
        rule["probability"] = float(form["probability"])
    if form.get("duration", "").strip():
        rule["window"] = {"start_in": float(form.get("start_in") or 0), "duration": float(form["duration"])}
    if form.get("description", "").strip():
        rule["description"] = form["description"].strip()
    return rule
