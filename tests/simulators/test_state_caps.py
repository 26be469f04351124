"""Each simulator's state caps are settable by env (so a short soak fills them), shown at ``/_sim/health``,
enforced (the oldest objects are forgotten), and a mistyped cap stops the simulator from starting."""

from __future__ import annotations

import pytest
import requests

from simulators.kernel.config import env_cap
from simulators.testing import running

EASYPOST = {"Authorization": "Bearer EZTK_caps", "Content-Type": "application/json"}
SHIPMENT = {
    "shipment": {
        "to_address": {"street1": "179 N Harbor Dr", "city": "Redondo Beach", "state": "CA", "zip": "90277",
                       "country": "US"},
        "from_address": {"street1": "388 Townsend St", "city": "San Francisco", "state": "CA", "zip": "94107",
                         "country": "US"},
        "parcel": {"length": 10, "width": 8, "height": 4, "weight": 15.4},
    }
}  # fmt: skip


def test_env_cap_reads_whole_numbers_and_refuses_anything_else() -> None:
    assert env_cap({}, "X_MAX", 7) == 7
    assert env_cap({"X_MAX": ""}, "X_MAX", 7) == 7
    assert env_cap({"X_MAX": "1_000"}, "X_MAX", 7) == 1000
    for bad in ("0", "-3", "ten", "1.5"):
        with pytest.raises(ValueError, match="X_MAX must be a whole number"):
            env_cap({"X_MAX": bad}, "X_MAX", 7)


def test_logistics_forgets_the_oldest_shipments_past_its_cap() -> None:
    with running("logistics", env={"LOGISTICS_SIM_MAX_OBJECTS": "2"}, seed=1) as sim:
        assert requests.get(sim.url + "/_sim/health", timeout=5).json()["max_objects_per_kind"] == 2
        ids = []
        for _ in range(3):
            resp = requests.post(sim.url + "/v2/shipments", json=SHIPMENT, headers=EASYPOST, timeout=5)
            assert resp.status_code == 201, resp.text
            ids.append(resp.json()["id"])
        assert (
            requests.get(f"{sim.url}/v2/shipments/{ids[0]}", headers=EASYPOST, timeout=5).status_code == 404
        )
        listed = requests.get(sim.url + "/v2/shipments", headers=EASYPOST, timeout=5).json()["shipments"]
        assert [s["id"] for s in listed] == [ids[2], ids[1]]


@pytest.mark.parametrize(
    ("provider", "env", "path"),
    [
        ("twilio", {"TWILIO_SIM_MAX_MESSAGES": "300"}, ("max_messages_per_account",)),
        ("paypal", {"PAYPAL_SIM_MAX_EVENTS": "300"}, ("paypal", "max_events_per_app")),
    ],
)
def test_caps_from_env_are_shown_at_health(provider: str, env: dict[str, str], path: tuple[str, ...]) -> None:
    with running(provider, env=env, seed=1) as sim:
        value = requests.get(sim.url + "/_sim/health", timeout=5).json()
        for key in path:
            value = value[key]
        assert value == 300


@pytest.mark.parametrize(
    ("provider", "name"),
    [("twilio", "TWILIO_SIM_MAX_MESSAGES"), ("paypal", "PAYPAL_SIM_MAX_EVENTS"),
     ("logistics", "LOGISTICS_SIM_MAX_OBJECTS")],
)  # fmt: skip
def test_a_mistyped_cap_refuses_to_start(provider: str, name: str) -> None:
    with pytest.raises(ValueError, match=name), running(provider, env={name: "lots"}):
        pytest.fail(f"the {provider} simulator started with {name}=lots")
