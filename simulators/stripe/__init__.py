"""A faithful, stateful Stripe simulator (API 2023-10-16) on the simulator kernel.

Run it with ``genai-demo sim stripe`` (port 12111, like stripe-mock) and point the official SDK at it:
``stripe.StripeClient("sk_test_...", base_addresses={"api": "http://127.0.0.1:12111"})``. Layout (moto's
split):

* ``urls.py``: every path; ``params.py``: what each operation accepts; ``forms.py``: bracket-form parsing and
  validation; ``views.py``: the WSGI request pipeline (auth, idempotency, errors); ``responses.py``: one
  handler per operation.
* ``models.py`` (accounts, events, lookups, expansion, lists), ``intents.py`` + ``attempts.py`` (the
  PaymentIntent status machine), ``money.py`` (refunds, disputes), ``store.py`` (bounded per-account state),
  ``idempotency.py``, ``objects.py`` + ``money_objects.py`` (Stripe JSON builders), ``currency.py``.
* ``exceptions.py`` (Stripe's error bodies), ``magic.py`` (test cards), ``auth.py`` (keys and accounts),
  ``webhooks.py`` (signer, retry schedule, webhook endpoints), ``control.py`` (``/_sim/stripe/``),
  ``settings.py``, ``provider.py`` (the kernel plugin, composition root).
* ``wiring.py`` (``genai-demo up``), ``trigger.py`` (``genai-demo trigger stripe``), ``bench.py``
  (``genai-demo bench stripe``).

See ``docs/simulators/stripe.md``.
"""
