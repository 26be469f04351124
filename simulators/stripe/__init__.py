"""A faithful, stateful Stripe simulator (API 2023-10-16) on the simulator kernel.

Run it with ``genai-demo sim stripe`` (port 12111, like stripe-mock) and point the official SDK at it:
``stripe.StripeClient("sk_test_...", base_addresses={"api": "http://127.0.0.1:12111"})``. The files follow
the roles every simulator shares (``docs/simulators/README.md``):

* ``provider.py``: :class:`StripeProvider`, composition only. ``urls.py``: every path (API and control
  route tables). ``api.py``: the pipeline around every handler (auth, forms, idempotency, CORS);
  ``responses.py``: one handler per operation. ``auth.py``: API keys and accounts.
* ``validation.py`` + ``validation_params.py``: bracket forms, what each operation accepts, control bodies.
* ``models.py`` (accounts, events, lookups, expansion, lists) + ``models_*.py``: ``intents`` and
  ``attempts`` (the PaymentIntent status machine), ``money`` (refunds, disputes), ``store`` (bounded
  per-account state), ``idempotency``, ``currency``.
* ``resources.py`` + ``resources_money.py``: Stripe's JSON for every object.
* ``exceptions.py`` (Stripe's error bodies), ``magic.py`` (test cards), ``webhooks.py`` (signer, retry
  schedule, emission, webhook endpoints), ``control.py`` (``/_sim/stripe/`` handlers), ``settings.py``.
* Lab tools: ``wiring.py`` (``genai-demo up``), ``trigger.py`` (``genai-demo trigger stripe``), ``bench.py``
  (``genai-demo bench stripe``).

See ``docs/simulators/stripe.md``.
"""

from simulators.stripe.provider import StripeProvider

__all__ = ["StripeProvider"]
