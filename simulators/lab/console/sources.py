"""Everything the console shows, read from the lab's **public** APIs only, and every action it takes.

* simulators: their control API under ``/_sim/`` (:class:`simulators.kernel.client.SimClient`): health,
  metrics, journal, faults, clock, webhook deliveries, chaos, redeliver, raw events;
* the Kafka mock cluster: ``GET /_sim/health`` and ``POST /_sim/kafka/brokers/<id>/down|up``;
* the service: its public API with an admin token (orders, payments, deliveries, the audit trail,
  ``/api/v1/admin/events`` when events stay in its process) and ``/health``, ``/metrics``;
* the Kafka topics, read by :class:`simulators.lab.console.kafka_tail.KafkaTail`;
* with ``--observability``: Prometheus's ``/api/v1/alerts`` and the alert receiver's ``/notifications``.

:class:`LabView` holds one ``requests`` session and an admin token it renews from the identity simulator
(the demo admin's password grant) when the service answers 401. Nothing here changes a part except through
those APIs.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import requests
from prometheus_client.parser import text_string_to_metric_families

from simulators.kernel.client import SimClient, SimClientError
from simulators.lab.console.config import ConsoleConfig, LabPart
from simulators.lab.console.kafka_tail import KafkaTail
from simulators.lab.console.masking import mask_body, mask_headers, mask_text, mask_value

T = TypeVar("T")
JSON = dict[str, Any]
TIMEOUT = 5.0
#: how much of each simulator's journal and deliveries the timeline reads
JOURNAL_LIMIT = 1000
DELIVERY_LIMIT = 500
#: ids mentioned in an order's events that link further records to it (payments, messages, shipments...)
_ID = re.compile(r"^(?:[a-z]{2,6}_[A-Za-z0-9]{6,}|SM[0-9a-f]{32}|[0-9A-Z]{17})$")
#: the request-rate counter each kind of part exposes
_RATE_SAMPLES = {
    "simulator": ("/_sim/metrics", "sim_requests_total"),
    "service": ("/metrics", "http_requests_total"),
    "consumer": ("/metrics", "kafka_consumer_messages_total"),
}


class ConsoleError(RuntimeError):
    """A lab part refused an action or could not be reached; the message says which and why."""


def parse_time(value: Any) -> float:
    """Epoch seconds from an epoch number or an ISO 8601 timestamp (0 when absent)."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value:
        with contextlib.suppress(ValueError):
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return 0.0


@dataclass
class PartStatus:
    """One row of the overview."""

    part: LabPart
    healthy: bool
    health: str
    healthy_for: float | None = None
    rate: float | None = None
    faults: list[str] = field(default_factory=list)
    clock_offset: float = 0.0
    notes: list[str] = field(default_factory=list)


@dataclass
class Section:
    """One block of an entry's details (already masked)."""

    title: str
    text: str


@dataclass
class Entry:
    """One step of an order's story."""

    key: str
    time: float
    source: str
    kind: str
    title: str
    status: str
    ok: bool | None
    sections: list[Section] = field(default_factory=list)


@dataclass
class Timeline:
    order_id: str
    found: bool
    order: JSON | None
    entries: list[Entry]
    errors: list[str]
    needles: list[str]


class LabView:
    """The console's window on the lab (see the module docstring)."""

    def __init__(self, config: ConsoleConfig) -> None:
        self.config = config
        self.http = requests.Session()
        self.http.verify = config.verify
        self._token = config.admin_token
        self._token_lock = threading.Lock()
        self._healthy_since: dict[str, float] = {}
        self._samples: dict[str, tuple[float, float, float | None]] = {}
        self._timelines: dict[str, Timeline] = {}
        self._pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="console-read")
        self.kafka: KafkaTail | None = None

    # -- plumbing ----------------------------------------------------------------------------------
    def sim(self, name: str) -> SimClient:
        part = self.config.part(name)
        if part is None or part.kind != "simulator":
            raise ConsoleError(f"no simulator called {name!r} in this lab")
        return self._client(part)

    def _client(self, part: LabPart) -> SimClient:
        return SimClient(part.url, timeout=TIMEOUT, session=self.http)

    @property
    def simulators(self) -> list[LabPart]:
        return self.config.of_kind("simulator")

    def _parallel(self, calls: Mapping[str, Callable[[], T]]) -> dict[str, T | Exception]:
        futures = {name: self._pool.submit(call) for name, call in calls.items()}
        results: dict[str, T | Exception] = {}
        for name, future in futures.items():
            try:
                results[name] = future.result()
            except Exception as exc:  # shown in the page next to the part that failed
                results[name] = exc
        return results

    def _admin_token(self, renew: bool = False) -> str | None:
        with self._token_lock:
            if (renew or not self._token) and self.config.auth_issuer:
                from simulators.identity.wiring import demo_token

                self._token = demo_token(self.config.auth_issuer, "admin", verify=self.config.verify)
            return self._token

    def service_get(self, path: str, **params: Any) -> Any:
        """``GET`` the service's API as the admin (renewing the token once on a 401); ``None`` on 404."""
        service = self.config.service
        if service is None:
            raise ConsoleError("this lab has no service")
        url = service.url + path
        for attempt in range(2):
            token = self._admin_token(renew=attempt == 1)
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            resp = self.http.get(url, params=params, headers=headers, timeout=TIMEOUT)
            if resp.status_code == 401 and attempt == 0 and self.config.auth_issuer:
                continue
            if resp.status_code == 404:
                return None
            if resp.status_code >= 400:
                raise ConsoleError(f"the service answered {resp.status_code} to GET {path}")
            return resp.json()
        return None

    def kafka_bootstrap(self) -> str | None:
        if self.config.kafka_bootstrap:
            return self.config.kafka_bootstrap
        for part in self.config.of_kind("kafka"):
            with contextlib.suppress(requests.RequestException, ValueError, KeyError):
                described = self.http.get(part.health_url, timeout=TIMEOUT).json()
                return str(described["bootstrap_servers"])
        return None

    def start_kafka_tail(self) -> KafkaTail | None:
        """Start reading the topics (once); ``None`` when the lab has no Kafka."""
        if self.kafka is None:
            bootstrap = self.kafka_bootstrap()
            if bootstrap:
                self.kafka = KafkaTail(bootstrap)
                self.kafka.start()
        return self.kafka

    def close(self) -> None:
        if self.kafka is not None:
            self.kafka.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.http.close()

    # -- overview ----------------------------------------------------------------------------------
    def overview(self) -> list[PartStatus]:
        """Every part: health, how long it has been healthy (as seen by this console), its request rate,
        active fault rules and clock offset (simulators), broker states (Kafka)."""
        results = self._parallel({p.name: partial(self._status, p) for p in self.config.parts})
        rows = []
        for part in sorted(self.config.parts, key=lambda p: p.kind != "service"):
            got = results[part.name]
            rows.append(got if isinstance(got, PartStatus) else PartStatus(part, False, reason(got)))
        return rows

    def _status(self, part: LabPart) -> PartStatus:
        now = time.monotonic()
        try:
            resp = self.http.get(part.health_url, timeout=TIMEOUT)
            healthy = resp.status_code == 200
            health = "UP" if healthy else f"HTTP {resp.status_code}"
        except requests.RequestException as exc:
            healthy, health, resp = False, reason(exc), None
        if not healthy:
            self._healthy_since.pop(part.name, None)
            return PartStatus(part, False, health)
        since = self._healthy_since.setdefault(part.name, now)
        status = PartStatus(part, True, health, healthy_for=now - since)
        status.rate = self._rate(part, now)
        if part.kind == "simulator":
            sim = self._client(part)
            status.faults = [describe_rule(r) for r in sim.faults() if r.get("active", True)]
            status.clock_offset = float(sim.clock().get("offset") or 0.0)
        elif part.kind == "kafka" and resp is not None:
            with contextlib.suppress(ValueError):
                for broker in resp.json().get("brokers", []):
                    if isinstance(broker, dict) and not broker.get("up", True):
                        status.notes.append(f"broker {broker.get('id')} down")
        return status

    def _rate(self, part: LabPart, now: float) -> float | None:
        """Requests per second between two looks at the part's counter at least a second apart (the last
        rate in between; ``None`` until the second look)."""
        source = _RATE_SAMPLES.get(part.kind)
        if source is None:
            return None
        path, sample = source
        total = sum_samples(self.http.get(part.url + path, timeout=TIMEOUT).text, sample)
        previous = self._samples.get(part.name)
        if previous is None:
            self._samples[part.name] = (now, total, None)
            return None
        since, before, rate = previous
        if now - since >= 1.0:
            rate = max(0.0, (total - before) / (now - since))
            self._samples[part.name] = (now, total, rate)
        return rate

    # -- faults ------------------------------------------------------------------------------------
    def faults(self) -> dict[str, list[JSON] | Exception]:
        """Every simulator's fault rules with their ``fired`` counts."""
        calls = {p.name: self._client(p).faults for p in self.simulators}
        return self._parallel(calls)

    def add_fault(self, simulator: str, rule: JSON) -> JSON:
        """``POST /_sim/faults`` on ``simulator``."""
        created: JSON = self._sim_call(simulator, "POST", "faults", rule)
        return created

    def delete_fault(self, simulator: str, rule_id: str) -> None:
        self._sim_call(simulator, "DELETE", f"faults/{rule_id}")

    def kafka_broker(self, broker: int, action: str) -> JSON:
        """``POST /_sim/kafka/brokers/<broker>/<down|up>`` on the mock cluster."""
        parts = self.config.of_kind("kafka")
        if not parts:
            raise ConsoleError("this lab has no Kafka mock cluster (MSK_BOOTSTRAP_SERVERS names another)")
        resp = self.http.post(f"{parts[0].url}/_sim/kafka/brokers/{broker}/{action}", timeout=TIMEOUT)
        if resp.status_code >= 400:
            raise ConsoleError(f"kafka broker {broker} {action}: HTTP {resp.status_code} {resp.text[:200]}")
        described: JSON = resp.json()
        return described

    def kafka_state(self) -> JSON | None:
        parts = self.config.of_kind("kafka")
        if not parts:
            return None
        try:
            state: JSON = self.http.get(parts[0].health_url, timeout=TIMEOUT).json()
            return state
        except (requests.RequestException, ValueError) as exc:
            return {"error": reason(exc)}

    def _sim_call(self, simulator: str, method: str, path: str, body: Any = None) -> Any:
        try:
            return self.sim(simulator).call(method, path, json=body)
        except SimClientError as exc:
            raise ConsoleError(f"{simulator}: {exc}") from None
        except requests.RequestException as exc:
            raise ConsoleError(f"{simulator} is not reachable: {reason(exc)}") from None

    # -- clocks ------------------------------------------------------------------------------------
    def clocks(self) -> dict[str, JSON | Exception]:
        calls = {p.name: self._client(p).clock for p in self.simulators}
        return self._parallel(calls)

    def advance(self, simulator: str | None, seconds: float) -> dict[str, JSON | Exception]:
        """``POST /_sim/clock {"advance": seconds, "wait": true}`` on one simulator or (``None``) all."""
        names = [simulator] if simulator else [p.name for p in self.simulators]
        body = {"advance": seconds, "wait": True}
        return self._parallel({name: partial(self._sim_call, name, "POST", "clock", body) for name in names})

    # -- webhooks ----------------------------------------------------------------------------------
    def webhooks(self) -> dict[str, JSON | Exception]:
        """Per simulator: its webhook summary (``GET /_sim/webhooks``) and recent deliveries."""

        def read(part: LabPart) -> JSON:
            sim = self._client(part)
            return {"summary": sim.webhooks(), "deliveries": sim.deliveries(limit=50)}

        return self._parallel({p.name: partial(read, p) for p in self.simulators})

    def redeliver(self, simulator: str, delivery_id: str) -> JSON:
        """``POST /_sim/webhooks/deliveries/{id}/redeliver``: one more (manual) attempt now."""
        result: JSON = self._sim_call(simulator, "POST", f"webhooks/deliveries/{delivery_id}/redeliver")
        return result

    def duplicate(self, simulator: str, delivery_id: str) -> JSON:
        """Send a delivery's event once more as a new delivery with the same event id (``POST
        /_sim/webhooks/events`` with its payload, type, id and account, so the account's endpoints get it
        signed with their secret; a delivery to a callback URL goes to that URL): a duplicate as a provider
        sends one after a lost acknowledgement."""
        delivery: JSON = self._sim_call(simulator, "GET", f"webhooks/deliveries/{delivery_id}")
        content_type = str(delivery.get("content_type") or "application/json")
        body = str(delivery.get("body") or "")
        if "x-www-form-urlencoded" in content_type:
            payload: Any = dict(parse_qsl(body, keep_blank_values=True))
        else:
            payload = json.loads(body or "{}")
        if not isinstance(payload, dict):
            raise ConsoleError(f"delivery {delivery_id}'s body is not an object; it cannot be re-sent")
        event = {
            "event_type": delivery.get("event_type"),
            "payload": payload,
            "event_id": delivery.get("event_id"),
            "account": delivery.get("account"),
            "content_type": content_type,
        }
        if not delivery.get("endpoint_id"):  # sent to a per-request callback URL, not a registered endpoint
            event["url"] = delivery.get("url")
        result: JSON = self._sim_call(simulator, "POST", "webhooks/events", event)
        if not result.get("data"):
            raise ConsoleError(
                f"{simulator}: no endpoint of account {delivery.get('account')} takes this event"
            )
        return result

    def set_chaos(self, simulator: str, settings: JSON | None) -> JSON:
        """``POST /_sim/webhooks/chaos`` (``None``: ``DELETE``, back to in-order single deliveries)."""
        if settings is None:
            self._sim_call(simulator, "DELETE", "webhooks/chaos")
            return {}
        result: JSON = self._sim_call(simulator, "POST", "webhooks/chaos", settings)
        return result

    # -- alerts ------------------------------------------------------------------------------------
    def alerts(self) -> JSON | None:
        """Prometheus's alerts and the receiver's notifications; ``None`` without ``--observability``."""
        prometheus = self.config.of_kind("prometheus")
        receiver = self.config.of_kind("alert-receiver")
        if not prometheus and not receiver:
            return None
        out: JSON = {"alerts": [], "notifications": [], "errors": []}
        if prometheus:
            try:
                body = self.http.get(prometheus[0].url + "/api/v1/alerts", timeout=TIMEOUT).json()
                out["alerts"] = body.get("data", {}).get("alerts", [])
            except (requests.RequestException, ValueError) as exc:
                out["errors"].append(f"prometheus: {reason(exc)}")
        if receiver:
            try:
                body = self.http.get(receiver[0].url + "/notifications", timeout=TIMEOUT).json()
                out["notifications"] = list(reversed(body.get("data", [])))[:100]
            except (requests.RequestException, ValueError) as exc:
                out["errors"].append(f"alert receiver: {reason(exc)}")
        return out

    # -- order timeline ----------------------------------------------------------------------------
    def timeline(self, order_id: str) -> Timeline:
        """One time-ordered story of ``order_id`` (see ``docs/console.md``): the service's view of the
        order, its payments, deliveries and audit entries; every simulator's journal entries and webhook
        deliveries that mention the order or one of its ids; its Kafka events."""
        errors: list[str] = []
        entries: list[Entry] = []
        order = self._safe(lambda: self.service_get(f"/api/v1/orders/{order_id}"), "service", errors)
        if not order:
            timeline = Timeline(order_id, False, None, [], errors, [order_id])
            self._timelines[order_id] = timeline
            return timeline
        side = self._parallel(
            {
                "payments": lambda: self.service_get(f"/api/v1/orders/{order_id}/payments"),
                "deliveries": lambda: self.service_get(f"/api/v1/orders/{order_id}/deliveries"),
                "audit": lambda: self.service_get("/api/v1/admin/audit", limit=500),
            }
        )
        payments = _data(side["payments"], "payments", errors)
        deliveries = _data(side["deliveries"], "deliveries", errors)
        needles = {order_id}
        for payment in payments:
            needles.update(str(v) for v in (payment.get("id"), payment.get("provider_ref")) if v)
        for delivery in deliveries:
            needles.update(str(v) for v in (delivery.get("id"), delivery.get("tracking_number")) if v)
        entries += _service_entries(order, payments, deliveries)
        events = self._events(order_id, needles, errors)
        for message in events:
            needles.update(_ids_in(message[1]))
        entries += [entry for entry, _payload in events]
        entries += _audit_entries(_data(side["audit"], "audit", errors), needles)
        reads = self._parallel({p.name: partial(self._sim_records, p) for p in self.simulators})
        for name, got in reads.items():
            if isinstance(got, Exception):
                errors.append(f"{name}: {reason(got)}")
                continue
            journal, sent = got
            entries += [_journal_entry(name, e) for e in journal if _mentions(_journal_text(e), needles)]
            entries += [
                _delivery_entry(name, d) for d in sent if _mentions(str(d.get("body") or ""), needles)
            ]
        entries.sort(key=lambda e: (e.time, e.key))
        timeline = Timeline(order_id, True, mask_value(order), entries, errors, sorted(needles))
        self._timelines[order_id] = timeline
        if len(self._timelines) > 50:
            self._timelines.pop(next(iter(self._timelines)))
        return timeline

    def entry(self, order_id: str, key: str) -> Entry | None:
        """One entry of the last timeline built for ``order_id`` (built now if there is none)."""
        timeline = self._timelines.get(order_id) or self.timeline(order_id)
        found = next((e for e in timeline.entries if e.key == key), None)
        if found is None:
            found = next((e for e in self.timeline(order_id).entries if e.key == key), None)
        return found

    def _sim_records(self, part: LabPart) -> tuple[list[JSON], list[JSON]]:
        sim = self._client(part)
        return sim.journal(limit=JOURNAL_LIMIT), sim.deliveries(limit=DELIVERY_LIMIT)

    def _events(self, order_id: str, needles: set[str], errors: list[str]) -> list[tuple[Entry, Any]]:
        """The order's domain events: from Kafka when the lab has it, else the service's in-process list."""
        tail = self.start_kafka_tail()
        found: list[tuple[Entry, Any]] = []
        if tail is not None:
            if tail.last_error:
                errors.append(f"kafka: {tail.last_error}")
            for msg in tail.messages():
                if _mentions(msg.raw, needles) or msg.key == order_id:
                    found.append((_kafka_entry(msg), msg.value.get("payload")))
            return found
        listed = self._safe(lambda: self.service_get("/api/v1/admin/events", limit=1000), "events", errors)
        for n, event in enumerate(_data(listed, "events", errors)):
            if _mentions(json.dumps(event), needles) or event.get("key") == order_id:
                found.append((_event_entry(event, n), event.get("payload")))
        return found

    def _safe(self, call: Callable[[], T], what: str, errors: list[str]) -> T | None:
        try:
            return call()
        except (ConsoleError, requests.RequestException, ValueError) as exc:
            errors.append(f"{what}: {reason(exc)}")
            return None


# -- helpers (pure) ---------------------------------------------------------------------------------
def reason(exc: BaseException) -> str:
    if isinstance(exc, requests.ConnectionError):
        return "not reachable"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    return mask_text(f"{type(exc).__name__}: {exc}")[:300]


def _data(got: Any, what: str, errors: list[str]) -> list[JSON]:
    if isinstance(got, Exception):
        errors.append(f"{what}: {reason(got)}")
        return []
    if isinstance(got, dict) and isinstance(got.get("data"), list):
        return [d for d in got["data"] if isinstance(d, dict)]
    return []


def sum_samples(text: str, sample: str) -> float:
    """The sum of every ``sample`` (e.g. ``sim_requests_total``) in Prometheus text ``text``."""
    total = 0.0
    for family in text_string_to_metric_families(text):
        total += sum(s.value for s in family.samples if s.name == sample)
    return total


def describe_rule(rule: JSON) -> str:
    """``POST /v1/payment_intents* → status 503 (fired 2)``: a rule in one line."""
    match = rule.get("match") or {}
    action = rule.get("action") or {}
    where = (
        " ".join(str(match[k]) for k in ("method", "path", "operation", "account") if match.get(k)) or "any"
    )
    kind = action.get("type", "?")
    what = {"status": f"status {action.get('status')}", "latency": f"latency {action.get('ms')} ms"}.get(
        kind, str(kind)
    )
    label = f"{rule.get('description')}: " if rule.get("description") else ""
    return f"{label}{where} → {what} (fired {rule.get('fired', 0)})"


def _mentions(text: str, needles: Iterable[str]) -> bool:
    return any(n and n in text for n in needles)


def _journal_text(entry: JSON) -> str:
    return f"{entry.get('path')} {entry.get('query') or ''} {entry.get('body') or ''}"


def _ids_in(value: Any) -> set[str]:
    """Id-looking strings anywhere in an event payload (they link messages and shipments to the order)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for v in value.values():
            found |= _ids_in(v)
    elif isinstance(value, list):
        for v in value:
            found |= _ids_in(v)
    elif isinstance(value, str) and _ID.match(value):
        found.add(value)
    return found


def _pretty(value: Any) -> str:
    return json.dumps(mask_value(value), indent=2, sort_keys=True, default=str)


def _service_entries(order: JSON, payments: list[JSON], deliveries: list[JSON]) -> list[Entry]:
    oid = str(order["id"])
    entries = [
        Entry(
            f"service/order/{oid}",
            parse_time(order.get("created_at")),
            "service",
            "order",
            f"Order {oid} created",
            "CREATED",
            True,
            [Section("Order (the service's API)", _pretty(order))],
        ),
    ]
    if order.get("updated_at") != order.get("created_at"):
        status = str(order.get("status"))
        entries.append(
            Entry(
                f"service/order/{oid}/now",
                parse_time(order.get("updated_at")),
                "service",
                "order",
                f"Order is {status}" + (f" ({order['status_reason']})" if order.get("status_reason") else ""),
                status,
                status not in ("FAILED", "REJECTED", "CANCELLED"),
                [Section("Order", _pretty(order))],
            )
        )
    for p in payments:
        pid = str(p.get("id"))
        details = [Section("Payment (the service's API)", _pretty(p))]
        entries.append(
            Entry(
                f"service/payment/{pid}",
                parse_time(p.get("created_at")),
                "service",
                "payment",
                f"Payment {pid} started with {p.get('provider')} (attempt {p.get('attempt')})",
                "STARTED",
                True,
                details,
            )
        )
        if p.get("completed_at") or p.get("updated_at") != p.get("created_at"):
            status = str(p.get("status"))
            failure = f": {p.get('failure_code')}" if p.get("failure_code") else ""
            entries.append(
                Entry(
                    f"service/payment/{pid}/now",
                    parse_time(p.get("completed_at") or p.get("updated_at")),
                    "service",
                    "payment",
                    f"Payment {pid} is {status}{failure}",
                    status,
                    status not in ("FAILED", "DECLINED", "CANCELLED", "ERROR"),
                    details,
                )
            )
    for d in deliveries:
        did = str(d.get("id"))
        details = [Section("Delivery (the service's API)", _pretty(d))]
        for n, change in enumerate(d.get("history") or []):
            state = str(change.get("status"))
            entries.append(
                Entry(
                    f"service/delivery/{did}/{n}",
                    parse_time(change.get("at")),
                    "service",
                    "delivery",
                    f"Delivery {did} {state} ({change.get('source')})",
                    state,
                    state != "FAILED",
                    details,
                )
            )
        if not d.get("history"):
            entries.append(
                Entry(
                    f"service/delivery/{did}",
                    parse_time(d.get("created_at")),
                    "service",
                    "delivery",
                    f"Delivery {did} {d.get('status')}",
                    str(d.get("status")),
                    True,
                    details,
                )
            )
    return entries


def _audit_entries(audit: list[JSON], needles: set[str]) -> list[Entry]:
    out = []
    for a in audit:
        if not (a.get("target_id") in needles or _mentions(str(a.get("route") or ""), needles)):
            continue
        status = int(a.get("status") or 0)
        out.append(
            Entry(
                f"service/audit/{a.get('id')}",
                parse_time(a.get("occurred_at")),
                "service",
                "api call",
                f"{a.get('method')} {a.get('route')} ({a.get('action')}) by {a.get('actor_kind')}",
                str(status),
                status < 400,
                [Section("Audit entry", _pretty(a))],
            )
        )
    return out


def _journal_entry(simulator: str, e: JSON) -> Entry:
    status = e.get("status")
    fault = e.get("fault_action")
    headers = "\n".join(f"{k}: {v}" for k, v in mask_headers(e.get("headers")))
    content_type = next((v for k, v in mask_headers(e.get("headers")) if k.lower() == "content-type"), None)
    query = f"?{mask_text(str(e['query']))}" if e.get("query") else ""
    request = (
        f"{e.get('method')} {e.get('path')}{query}\n{headers}\n\n{mask_body(e.get('body'), content_type)}"
    )
    if e.get("body_truncated"):
        request += f"\n… ({e.get('body_size')} bytes in all)"
    response = (
        f"status: {status if status is not None else 'connection dropped'}\n"
        f"duration: {e.get('duration_ms')} ms\nrequest id: {e.get('request_id') or '-'}\n"
        f"operation: {e.get('operation') or '-'}\n"
        + (f"fault: {fault} (rules {', '.join(e.get('fault_ids') or [])})" if fault else "fault: none")
    )
    label = f" [fault: {fault}]" if fault else ""
    return Entry(
        f"journal/{simulator}/{e.get('id')}",
        float(e.get("time") or 0),
        simulator,
        "request",
        f"{e.get('method')} {e.get('path')}" + (f" ({e['operation']})" if e.get("operation") else "") + label,
        str(status if status is not None else "dropped"),
        status is not None and int(status) < 400,
        [Section("Request (masked)", request), Section("Response", response)],
    )


def _delivery_entry(simulator: str, d: JSON) -> Entry:
    attempts = d.get("attempts") or []
    lines = []
    for a in attempts:
        outcome = a.get("status_code") if a.get("status_code") is not None else a.get("error")
        manual = " (manual)" if a.get("manual") else ""
        lines.append(f"attempt {a.get('number')}{manual}: {outcome} in {a.get('latency_ms')} ms")
    last = attempts[-1] if attempts else {}
    headers = "\n".join(f"{k}: {v}" for k, v in mask_headers(last.get("request_headers")))
    sections = [
        Section("Attempts", "\n".join(lines) or "none yet"),
        Section("Webhook body (masked)", mask_body(d.get("body"), d.get("content_type"))),
        Section("Last attempt's request headers (masked)", headers or "-"),
        Section("Last response body", mask_text(str(last.get("response_body") or ""))),
    ]
    duplicate = " (duplicate)" if d.get("duplicate_of") else ""
    return Entry(
        f"delivery/{simulator}/{d.get('id')}",
        float(d.get("created") or 0),
        simulator,
        "webhook",
        f"Webhook {d.get('event_type')}{duplicate} → {urlsplit(str(d.get('url'))).path} "
        f"({len(attempts)} attempt{'s' if len(attempts) != 1 else ''})",
        str(d.get("status")).upper(),
        {"succeeded": True, "failed": False}.get(str(d.get("status"))),
        sections,
    )


def _kafka_entry(msg: Any) -> Entry:
    return Entry(
        f"kafka/{msg.topic}/{msg.partition}/{msg.offset}",
        msg.timestamp,
        "kafka",
        "event",
        f"{msg.event_type or 'event'} on {msg.topic}",
        "DLQ" if msg.topic.endswith(".DLQ") else "PUBLISHED",
        not msg.topic.endswith(".DLQ"),
        [
            Section(
                f"{msg.topic} partition {msg.partition} offset {msg.offset}, key {msg.key}",
                _pretty(msg.value),
            )
        ],
    )


def _event_entry(event: JSON, n: int) -> Entry:
    payload = event.get("payload") or {}
    stamp = parse_time(payload.get("occurred_at")) if isinstance(payload, dict) else 0.0
    return Entry(
        f"event/{event.get('event_id') or n}",
        stamp,
        "events",
        "event",
        f"{event.get('event_type')} on {event.get('topic')} (in-process publisher)",
        "PUBLISHED",
        True,
        [Section("Envelope", _pretty(event))],
    )
