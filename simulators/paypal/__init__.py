"""A faithful, stateful PayPal REST (sandbox) simulator: ``genai-demo sim paypal`` (port 12112).

OAuth client credentials, Orders v2, Payments v2 (captures, refunds, authorizations), Webhooks v1
(registration, signed SHA256withRSA deliveries with retries, events, simulate-event, signature
postback),
negative testing (``PayPal-Mock-Response``) and buyer test profiles, on the simulator kernel. Start from
:mod:`simulators.paypal.provider`; the guide is ``docs/simulators/paypal.md``.

Modules (moto's split): ``urls`` (every path), ``exceptions`` (PayPal's error bodies), ``models`` (resources
and their JSON), ``checks``, ``validation`` and ``patch`` (requests), ``backend`` (per-app state, orders) and
``payments`` (refunds, authorizations), ``wsgi`` (the plain WSGI app: routing, errors), ``responses`` and
``notifications`` (HTTP handlers), ``webhooks``
(events, signer, retries) and ``samples`` (simulate-event), ``oauth``, ``certs``, ``magic`` (test values),
``control`` (``/_sim/paypal``), ``wiring`` (``genai-demo up``), ``bench``.
"""
