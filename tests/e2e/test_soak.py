"""The CI-sized soak: 50,000 mixed requests in all, spread over the real Stripe, PayPal, Twilio and EasyPost
simulator processes started with small state caps (:data:`~simulators.lab.bench_soak.SMALL_CAPS`), so
warm-up fills every cap. A simulator fails if any request fails or its resident memory grows more than 20 %
after warm-up (RSS at the end against RSS once the first 30 % of its requests are done). The full run
(1 M requests per simulator, shipped caps, slope printed) is ``genai-demo bench soak``; see
:mod:`simulators.lab.bench_soak`."""

from __future__ import annotations

import pytest

from simulators.lab.bench_soak import DEFAULT_MAX_GROWTH, PROVIDERS, caps_env, soak_one

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REQUESTS_PER_SIMULATOR = 50_000 // len(PROVIDERS)


@pytest.mark.timeout(240)  # the default 120 s is too tight when the machine is shared
@pytest.mark.parametrize("provider", PROVIDERS)
def test_memory_stays_flat_after_warm_up(provider: str) -> None:
    result = soak_one(
        provider,
        REQUESTS_PER_SIMULATOR,
        env=caps_env(provider, small_caps=True),
        connections=4,
        clients=1,
        warmup=0.3,
        interval=0.25,
    )
    assert result.errors == 0, result.last_error
    assert result.requests >= REQUESTS_PER_SIMULATOR
    assert len(result.post_warmup) >= 3, "too few RSS samples after warm-up to judge"
    assert result.growth <= DEFAULT_MAX_GROWTH, (
        f"{provider}: RSS {result.rss_warm:.1f} MB at warm-up end, {result.rss_final:.1f} MB at the end "
        f"({result.growth:+.1%}, {result.slope_mb_per_100k:+.2f} MB per 100k requests)"
    )
