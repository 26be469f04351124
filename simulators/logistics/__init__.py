"""EasyPost-compatible carrier simulator: ``genai-demo sim logistics`` (port 12114).

The files follow the roles every simulator shares (``docs/simulators/README.md``):

* ``provider.py``: :class:`LogisticsProvider`, composition only. ``urls.py``: every path (API and control
  route tables) and the URLs in resources.
* ``responses.py``: the API handlers. ``auth.py``: the accepted API keys and their accounts.
* ``validation.py``: request bodies and the control bodies.
* ``models.py``: addresses, shipments, labels, refunds, trackers and their lifecycle, events (no HTTP);
  ``models_rates.py``: deterministic prices per carrier service.
* ``resources.py``: EasyPost's JSON. ``exceptions.py``: EasyPost's error bodies. ``magic.py``: test
  tracking codes, magic addresses and shipment outcomes.
* ``webhooks.py``: ``X-Hmac-Signature``, retry schedule, Event envelope, ``/v2/webhooks`` objects, sending.
* ``control.py``: ``/_sim/logistics/...`` handlers. ``wiring.py``, ``trigger.py``, ``bench.py``: lab tools.

Documentation: ``docs/simulators/logistics.md``.
"""

from simulators.logistics.provider import LogisticsProvider

__all__ = ["LogisticsProvider"]
