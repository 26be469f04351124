"""Webhook endpoints, signed deliveries, retries (500, timeout, refused), clock-driven retries,
redelivery, chaos (duplicates, reordering), account isolation, eviction and the provider hook."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import requests

from simulators.kernel import ThreadedSimulator
from simulators.kernel.client import SimClient
from simulators.testing import WebhookReceiver, free_port, poll

from .conftest import ALICE, BOB, deliveries
from .example_provider import WidgetsProvider, sign

Make = Callable[..., ThreadedSimulator]


def register(sim: ThreadedSimulator, url: str, account: str | None = "alice", **extra: Any) -> dict[str, Any]:
    resp = requests.post(
        sim.control_url + "webhooks/endpoints", json={"url": url, "account": account, **extra}, timeout=5
    )
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()
    return data


def create_widget(sim: ThreadedSimulator, name: str = "w", headers: dict[str, str] = ALICE) -> dict[str, Any]:
    resp = requests.post(sim.url + "/v1/widgets", json={"name": name}, headers=headers, timeout=5)
    assert resp.status_code == 201, resp.text
    data: dict[str, Any] = resp.json()
    return data


def test_endpoint_registry_crud(sim: ThreadedSimulator) -> None:
    ep = register(sim, "http://127.0.0.1:9/a", events=["widget.*"], metadata={"who": "test"})
    assert ep["secret"].startswith("whsec_") and ep["events"] == ["widget.*"] and ep["account"] == "alice"
    register(sim, "http://127.0.0.1:9/b", account="bob", secret="whsec_given")
    all_eps = requests.get(sim.control_url + "webhooks/endpoints", timeout=5).json()["data"]
    assert len(all_eps) == 2
    bobs = requests.get(sim.control_url + "webhooks/endpoints?account=bob", timeout=5).json()["data"]
    assert [e["secret"] for e in bobs] == ["whsec_given"]
    assert (
        requests.get(sim.control_url + f"webhooks/endpoints/{ep['id']}", timeout=5)
        .json()["url"]
        .endswith("/a")
    )
    assert requests.delete(sim.control_url + f"webhooks/endpoints/{ep['id']}", timeout=5).status_code == 200
    assert requests.delete(sim.control_url + f"webhooks/endpoints/{ep['id']}", timeout=5).status_code == 404
    bad = requests.post(sim.control_url + "webhooks/endpoints", json={"url": "ftp://x"}, timeout=5)
    assert bad.status_code == 400 and bad.json()["error"]["details"][0]["field"] == "url"


def test_events_are_signed_and_only_go_to_the_accounts_subscribed_endpoints(sim: ThreadedSimulator) -> None:
    with WebhookReceiver() as alice_rx, WebhookReceiver() as bob_rx, WebhookReceiver() as other_rx:
        ep = register(sim, alice_rx.url, events=["widget.created"])
        register(sim, bob_rx.url, account="bob")
        register(sim, other_rx.url, events=["widget.deleted"])
        widget = create_widget(sim)
        got = alice_rx.wait_for(1)[0]
        event = json.loads(got.body)
        assert event["type"] == "widget.created" and event["data"]["id"] == widget["id"]
        assert got.headers["Content-Type"] == "application/json"
        t, v1 = (part.split("=", 1)[1] for part in got.headers["X-Widget-Signature"].split(","))
        assert v1 == sign(ep["secret"], int(t), got.body)
        poll(lambda: deliveries(sim, status="succeeded"))
        assert bob_rx.received == [] and other_rx.received == []
        create_widget(sim, headers=BOB)
        assert json.loads(bob_rx.wait_for(1)[0].body)["type"] == "widget.created"


def test_receiver_failing_twice_gets_the_event_three_times_with_every_attempt_listed(make_sim: Make) -> None:
    sim = make_sim(time_scale=1000.0)  # retry delays 10 s, 60 s -> 10 ms, 60 ms
    with WebhookReceiver() as rx:
        rx.script.extend([500, 500])
        register(sim, rx.url, events=["widget.created"])
        create_widget(sim)
        got = rx.wait_for(3)
        assert len({json.loads(r.body)["id"] for r in got}) == 1
        d = poll(lambda: deliveries(sim, status="succeeded"))[0]
        assert [a["status_code"] for a in d["attempts"]] == [500, 500, 200]
        assert [a["error"] for a in d["attempts"]] == ["HTTP 500", "HTTP 500", None]
        assert all(a["latency_ms"] >= 0 and a["time"] > 0 for a in d["attempts"])
        assert d["attempts"][0]["request_headers"]["X-Widget-Signature"] == "****"
        provider = sim.provider
        assert isinstance(provider, WidgetsProvider)
        assert [ok for _, _, ok in provider.outcomes] == [False, False, True]


def test_advancing_the_clock_fires_every_due_retry_at_once(sim: ThreadedSimulator) -> None:
    with WebhookReceiver() as rx:
        rx.script.extend([500, 500, 500])
        register(sim, rx.url, events=["widget.created"])
        for name in ("a", "b", "c"):
            create_widget(sim, name)
        rx.wait_for(3)

        def retrying() -> list[dict[str, Any]]:
            return [d for d in deliveries(sim) if d["attempt_count"] == 1 and d["next_attempt_at"]]

        pending = poll(lambda: len(retrying()) == 3 and retrying())
        assert {round(d["next_attempt_at"] - d["created"]) for d in pending} == {10}
        listed = requests.get(sim.control_url + "transitions", timeout=5).json()["data"]
        assert {i["name"] for i in listed} >= {"webhook.retry"}
        with SimClient(sim.url) as control:
            control.advance(10)
        assert len(rx.received) == 6
        assert {d["status"] for d in deliveries(sim)} == {"succeeded"}


def test_a_big_clock_jump_runs_the_whole_schedule_back_to_back(sim: ThreadedSimulator) -> None:
    with WebhookReceiver(default=503) as rx:
        register(sim, rx.url, events=["widget.created"])
        create_widget(sim)
        rx.wait_for(1)
        poll(lambda: deliveries(sim)[0]["attempt_count"] == 1)
        with SimClient(sim.url) as control:
            control.advance(10 + 60 + 300)
        d = poll(lambda: deliveries(sim, status="failed"))[0]
        assert d["attempt_count"] == 4 and d["next_attempt_at"] is None
        assert len(rx.received) == 4


def test_timeouts_and_refused_connections_are_retried_and_recorded(make_sim: Make) -> None:
    sim = make_sim(webhook_timeout_s=0.2, time_scale=1000.0)
    with WebhookReceiver() as rx:
        rx.delay = 0.5
        register(sim, rx.url, events=["widget.created"])
        register(sim, f"http://127.0.0.1:{free_port()}/closed", events=["widget.created"])
        create_widget(sim)
        done = poll(
            lambda: deliveries(sim, status="failed") if len(deliveries(sim, status="failed")) == 2 else None,
            timeout=10,
        )
        errors = {d["url"]: {a["error"] for a in d["attempts"]} for d in done}
        assert errors[rx.url] == {"timeout after 0.2s"}
        closed = next(url for url in errors if url.endswith("/closed"))
        assert errors[closed] == {"connection refused"}
        assert all(d["attempt_count"] == 4 for d in done)


def test_redeliver_sends_a_completed_delivery_again(
    sim: ThreadedSimulator, receiver: WebhookReceiver
) -> None:
    register(sim, receiver.url, events=["widget.created"])
    create_widget(sim)
    receiver.wait_for(1)
    d = poll(lambda: deliveries(sim, status="succeeded"))[0]
    resp = requests.post(sim.control_url + f"webhooks/deliveries/{d['id']}/redeliver", timeout=5)
    assert resp.status_code == 202
    got = receiver.wait_for(2)
    assert got[0].body == got[1].body
    d = poll(
        lambda: (
            (x := requests.get(sim.control_url + f"webhooks/deliveries/{d['id']}", timeout=5).json())[
                "attempt_count"
            ]
            == 2
            and x
        )
    )
    assert d["attempts"][1]["manual"] is True and d["status"] == "succeeded"
    assert (
        requests.post(sim.control_url + "webhooks/deliveries/dlv_999/redeliver", timeout=5).status_code == 404
    )


def test_redeliver_a_failed_delivery_that_now_succeeds(make_sim: Make) -> None:
    sim = make_sim(time_scale=100_000.0)
    with WebhookReceiver(default=500) as rx:
        register(sim, rx.url, events=["widget.created"])
        create_widget(sim)
        d = poll(lambda: deliveries(sim, status="failed"))[0]
        rx.default = 200
        requests.post(sim.control_url + f"webhooks/deliveries/{d['id']}/redeliver", timeout=5)
        d = poll(lambda: deliveries(sim, status="succeeded"))[0]
        assert [a["manual"] for a in d["attempts"]] == [False] * 4 + [True]


def test_chaos_duplicates_every_delivery(sim: ThreadedSimulator, receiver: WebhookReceiver) -> None:
    resp = requests.post(sim.control_url + "webhooks/chaos", json={"duplicate": 1.0, "seed": 1}, timeout=5)
    assert resp.json()["duplicate"] == 1.0
    register(sim, receiver.url, events=["widget.created"])
    create_widget(sim)
    got = receiver.wait_for(2)
    assert got[0].body == got[1].body
    ds = poll(lambda: len(deliveries(sim, status="succeeded")) == 2 and deliveries(sim))
    twin = next(d for d in ds if d["duplicate_of"])
    assert twin["duplicate_of"] == next(d["id"] for d in ds if not d["duplicate_of"])
    assert requests.delete(sim.control_url + "webhooks/chaos", timeout=5).json()["duplicate"] == 0


def test_chaos_reorder_delivers_later_events_first(sim: ThreadedSimulator, receiver: WebhookReceiver) -> None:
    requests.post(sim.control_url + "webhooks/chaos", json={"reorder": True, "seed": 1}, timeout=5)
    register(sim, receiver.url, events=["widget.created"])
    first = create_widget(sim, "first")
    poll(lambda: deliveries(sim)[0]["held"])
    second = create_widget(sim, "second")
    got = receiver.wait_for(2)
    assert [json.loads(r.body)["data"]["id"] for r in got] == [second["id"], first["id"]]


def test_a_held_delivery_is_released_by_the_clock_so_nothing_is_lost(
    sim: ThreadedSimulator, receiver: WebhookReceiver
) -> None:
    requests.post(sim.control_url + "webhooks/chaos", json={"reorder": 1, "hold_s": 30}, timeout=5)
    register(sim, receiver.url, events=["widget.created"])
    create_widget(sim)
    poll(lambda: deliveries(sim)[0]["held"])
    assert receiver.received == []
    with SimClient(sim.url) as control:
        control.advance(30)
    assert len(receiver.wait_for(1)) == 1


def test_raw_events_through_the_control_api_form_encoded_and_ad_hoc_url(
    sim: ThreadedSimulator, receiver: WebhookReceiver
) -> None:
    resp = requests.post(
        sim.control_url + "webhooks/events",
        json={
            "event_type": "sms.status",
            "payload": {"MessageStatus": "delivered", "To": "+1555"},
            "url": receiver.url,
            "content_type": "application/x-www-form-urlencoded",
        },
        timeout=5,
    )
    assert resp.status_code == 202
    got = receiver.wait_for(1)[0]
    assert got.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert got.body == b"MessageStatus=delivered&To=%2B1555"
    assert (
        requests.post(sim.control_url + "webhooks/events", json={"payload": {}}, timeout=5).status_code == 400
    )


def test_delivery_filters_and_404(sim: ThreadedSimulator, receiver: WebhookReceiver) -> None:
    register(sim, receiver.url)
    create_widget(sim)
    receiver.wait_for(1)
    assert deliveries(sim, event_type="widget.created", account="alice")
    assert deliveries(sim, account="bob") == []
    assert requests.get(sim.control_url + "webhooks/deliveries/dlv_404", timeout=5).status_code == 404
    assert requests.get(sim.control_url + "webhooks/deliveries?status=weird", timeout=5).status_code == 400
    summary = requests.get(sim.control_url + "webhooks", timeout=5).json()
    assert summary["retry_schedule"] == [10.0, 60.0, 300.0] and summary["endpoints"] == 1


def test_completed_deliveries_are_evicted_beyond_the_bound_but_pending_ones_never(make_sim: Make) -> None:
    sim = make_sim(max_deliveries=5)
    with WebhookReceiver() as ok_rx, WebhookReceiver(default=500) as bad_rx:
        register(sim, bad_rx.url, events=["widget.created"])
        create_widget(sim, "kept")
        poll(lambda: deliveries(sim)[0]["attempt_count"] == 1)
        requests.delete(
            sim.control_url + "webhooks/endpoints/" + deliveries(sim)[0]["endpoint_id"], timeout=5
        )
        register(sim, ok_rx.url, events=["widget.created"])
        for i in range(20):
            create_widget(sim, f"w{i}")
        ok_rx.wait_for(20)
        poll(
            lambda: (
                len(deliveries(sim, status="succeeded")) <= 6 and len(deliveries(sim, status="pending")) == 1
            )
        )
        remaining = deliveries(sim)
        assert len(remaining) <= 6
        assert any(d["status"] == "pending" and d["url"] == bad_rx.url for d in remaining)


def test_a_slow_receiver_does_not_hold_up_others(make_sim: Make) -> None:
    sim = make_sim(webhook_timeout_s=5.0)
    with WebhookReceiver() as slow, WebhookReceiver() as fast:
        slow.delay = 2.0
        register(sim, slow.url, events=["widget.created"])
        register(sim, fast.url, events=["widget.created"])
        for name in ("a", "b"):
            create_widget(sim, name)
        fast.wait_for(2, timeout=1.8)  # both arrive while the slow receiver is still busy
        assert len(slow.received) == 0
        slow.wait_for(2, timeout=5)
