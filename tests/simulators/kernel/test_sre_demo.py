"""The demo an SRE would run, over HTTP only (no in-process shortcuts).

1. A fault fails the next 2 calls with 503: both show up in the journal and in the rule's fired count.
2. A webhook receiver that returns 500 twice gets the same event three times, with the attempts listed.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import requests

from simulators.kernel import ThreadedSimulator
from simulators.testing import WebhookReceiver, poll

from .conftest import ALICE


def test_sre_demo(make_sim: Callable[..., ThreadedSimulator]) -> None:
    sim = make_sim(time_scale=1000.0)
    ctl = sim.control_url
    rule = requests.post(
        ctl + "faults",
        json={
            "match": {"method": "POST", "path": "/v1/widgets*"},
            "action": {"type": "status", "status": 503},
            "times": 2,
        },
        timeout=5,
    ).json()
    assert rule["fired"] == 0
    codes = [
        requests.post(sim.url + "/v1/widgets", json={"name": "w"}, headers=ALICE, timeout=5).status_code
        for _ in range(3)
    ]
    assert codes == [503, 503, 201]
    assert requests.get(ctl + f"faults/{rule['id']}", timeout=5).json()["fired"] == 2
    faulted = requests.get(ctl + "journal", params={"method": "POST", "status": "503"}, timeout=5).json()[
        "data"
    ]
    assert len(faulted) == 2 and all(e["fault_ids"] == [rule["id"]] for e in faulted)

    with WebhookReceiver() as rx:
        rx.script.extend([500, 500])
        requests.post(ctl + "webhooks/endpoints", json={"url": rx.url, "account": "alice"}, timeout=5)
        requests.post(
            ctl + "webhooks/events",
            json={"event_type": "widget.updated", "payload": {"n": 1}, "account": "alice"},
            timeout=5,
        )
        got = rx.wait_for(3)
        assert len({r.body for r in got}) == 1 and json.loads(got[0].body) == {"n": 1}
        delivery = poll(
            lambda: requests.get(
                ctl + "webhooks/deliveries", params={"status": "succeeded"}, timeout=5
            ).json()["data"]
        )[0]
        assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]
