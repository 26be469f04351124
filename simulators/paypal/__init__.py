"""A faithful, stateful PayPal REST (sandbox) simulator: ``genai-demo sim paypal`` (port 12112).

OAuth client credentials, Orders v2, Payments v2 (captures, refunds, authorizations), Webhooks v1
(registration, signed SHA256withRSA deliveries with retries, events, simulate-event, signature
postback), negative testing (``PayPal-Mock-Response``) and buyer test profiles, on the simulator kernel.
The guide is ``docs/simulators/paypal.md``; the files follow the roles every simulator shares
(``docs/simulators/README.md``):

* ``provider.py``: :class:`PayPalProvider`, composition only. ``urls.py``: every path (API and control
  route tables) and the HATEOAS link builders.
* ``responses.py`` (OAuth, orders, payments, the buyer's page) and ``responses_notifications.py``
  (Webhooks v1): the handlers. ``auth.py``: apps and OAuth tokens.
* ``validation.py`` + ``validation_checks.py``: order requests and the control bodies.
* ``models.py`` (per-app state, orders) + ``models_payments.py`` (refunds, authorizations) and
  ``models_patch.py`` (PATCH of an order). ``resources.py``: the resources and their JSON.
* ``exceptions.py`` + ``issues.json``: PayPal's error bodies. ``magic.py``: test values.
* ``webhooks.py`` (envelope, event store, emission, signer, retry schedule), ``webhooks_signing.py`` (the
  certificate), ``webhooks_samples.py`` (simulate-event). ``control.py``: ``/_sim/paypal`` handlers.
* Lab tools: ``wiring.py`` (``genai-demo up``), ``bench.py`` (``genai-demo bench paypal``).
"""

from simulators.paypal.provider import PayPalProvider

__all__ = ["PayPalProvider"]
