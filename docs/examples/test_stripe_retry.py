import stripe


def test_a_503_is_retried_with_the_same_idempotency_key(stripe_sim):
    stripe_sim.fault(method="POST", path="/v1/payment_intents", status=503, times=1)
    client = stripe.StripeClient("sk_test_123", base_addresses={"api": stripe_sim.url}, max_network_retries=1)

    intent = client.v1.payment_intents.create(params={"amount": 2000, "currency": "usd"})

    assert intent.status == "requires_payment_method"
    attempts = stripe_sim.journal(method="POST", path="/v1/payment_intents")  # newest first
    assert [a["status"] for a in attempts] == [200, 503]
    assert len({a["headers"]["Idempotency-Key"] for a in attempts}) == 1
