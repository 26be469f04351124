"""Unit tests of the kernel's building blocks: clock, ids, backends, masking, config, timeline."""

from __future__ import annotations

import re
import threading

import pytest

from simulators.kernel import AccountBackends, IdGenerator, SimClock, SimulatorConfig, Timeline
from simulators.kernel.journal import HeaderMasker


def test_clock_advances_and_never_goes_backwards() -> None:
    wall = [1000.0]
    clock = SimClock(lambda: wall[0])
    assert clock.now() == 1000.0
    assert clock.advance(60) == 1060.0
    assert clock.snapshot() == {"now": 1060.0, "offset": 60.0}
    wall[0] = 900.0  # the wall clock jumps back
    assert clock.now() == 1060.0
    with pytest.raises(ValueError, match="never goes backwards"):
        clock.advance(-1)


def test_clock_wakes_subscribers_on_advance() -> None:
    clock = SimClock()
    woken = threading.Event()
    clock.subscribe(woken.set)
    clock.advance(1)
    assert woken.is_set()


def test_ids_are_reproducible_from_a_seed_and_shaped_like_the_providers() -> None:
    a, b = IdGenerator(7), IdGenerator(7)
    seq_a = [a.prefixed("pi"), a.upper_alnum(), a.sid("SM"), a.uuid4(), a.hex(8)]
    seq_b = [b.prefixed("pi"), b.upper_alnum(), b.sid("SM"), b.uuid4(), b.hex(8)]
    assert seq_a == seq_b
    assert re.fullmatch(r"pi_[0-9A-Za-z]{24}", seq_a[0])
    assert re.fullmatch(r"[0-9A-Z]{17}", seq_a[1])
    assert re.fullmatch(r"SM[0-9a-f]{32}", seq_a[2])
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", seq_a[3])
    assert IdGenerator(8).prefixed("pi") != seq_a[0]


def test_reseed_restarts_sequences_and_streams_are_independent() -> None:
    ids = IdGenerator(3)
    first = ids.prefixed("evt")
    ids.prefixed("evt")
    assert ids.counter("x") == 1 and ids.counter("x") == 2
    assert ids.reseed(3) == 3
    assert ids.prefixed("evt") == first
    assert ids.counter("x") == 1
    assert ids.stream("faults").random() == IdGenerator(3).stream("faults").random()
    assert ids.stream("faults").random() != ids.stream("chaos").random()
    assert IdGenerator().seed != IdGenerator().seed  # no seed: fresh random ones


def test_account_backends_isolate_accounts_and_reset() -> None:
    stores: AccountBackends[list[str]] = AccountBackends(lambda account: [])
    stores["a"].append("x")
    assert stores["b"] == []
    assert stores["a"] == ["x"]
    assert sorted(str(a) for a in stores.accounts()) == ["a", "b"]
    stores.reset()
    assert stores.get("a") is None and len(stores) == 0


def test_masker_hides_secrets_and_keeps_useful_headers() -> None:
    masker = HeaderMasker(extra_masked=["X-Custom"], not_secret=["X-Public-Key"])
    out = masker.mask(
        [
            ("Authorization", "Bearer sk_test_123"),
            ("Authorization-Basic", "Basic dXNlcjpwYXNz"),
            ("Cookie", "session=abc"),
            ("X-Api-Key", "k"),
            ("Stripe-Signature", "t=1,v1=abc"),
            ("X-Auth-Token", "t"),
            ("Idempotency-Key", "order-1-attempt-1"),
            ("X-Public-Key", "pk"),
            ("X-Custom", "c"),
            ("Content-Type", "application/json"),
        ]
    )
    assert out["Authorization"] == "Bearer ****"
    assert out["Cookie"] == out["X-Api-Key"] == out["X-Auth-Token"] == out["X-Custom"] == "****"
    assert out["Stripe-Signature"] == "****"
    assert out["Idempotency-Key"] == "order-1-attempt-1"
    assert out["X-Public-Key"] == "pk"
    assert out["Content-Type"] == "application/json"


def test_config_reads_sim_env_only_when_asked() -> None:
    cfg = SimulatorConfig.from_env({"SIM_SEED": "5", "SIM_TIME_SCALE": "3600", "OTHER": "x"}, journal_size=10)
    assert (cfg.seed, cfg.time_scale, cfg.journal_size) == (5, 3600.0, 10)
    assert SimulatorConfig().seed is None
    with pytest.raises(ValueError):
        SimulatorConfig.from_env({"SIM_TIME_SCALE": "0"})


def test_timeline_fires_due_items_on_clock_advance_in_order() -> None:
    clock = SimClock()
    timeline = Timeline(clock)
    fired: list[str] = []
    try:
        timeline.schedule_in(3600, lambda: fired.append("late"), name="late")
        timeline.schedule_in(60, lambda: fired.append("early"), name="early", key="k")
        cancelled = timeline.schedule_in(30, lambda: fired.append("cancelled"))
        timeline.cancel(cancelled)
        assert [i.name for i in timeline.pending()] == ["early", "late"]
        clock.advance(7200)
        assert timeline.wait_idle(5)
        assert fired == ["early", "late"]
        timeline.schedule_in(10, lambda: fired.append("x"), key="group")
        assert timeline.cancel_key("group") == 1
        clock.advance(20)
        assert timeline.wait_idle(5)
        assert fired == ["early", "late"]
    finally:
        timeline.close()
