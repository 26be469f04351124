"""Twilio Programmable Messaging simulator: ``genai-demo sim twilio`` (port 12113).

The files follow the roles every simulator shares (``docs/simulators/README.md``):

* ``provider.py``: :class:`TwilioProvider`, composition only. ``urls.py``: every path (API and control
  route tables) and the URIs in resources.
* ``responses.py``: the API handlers (named after Twilio's operationIds). ``auth.py``: accepted credentials.
* ``validation.py``: the create request's checks in Twilio's order, and the control bodies.
* ``models.py``: messages and the delivery lifecycle (no HTTP); ``models_segments.py``: GSM-7/UCS-2.
* ``resources.py``: the Message resource as Twilio renders it.
* ``exceptions.py``: Twilio's error classes; ``magic.py``: magic numbers.
* ``webhooks.py``: StatusCallback form, ``X-Twilio-Signature``, retry schedule, sending.
* ``control.py``: ``/_sim/twilio/...`` handlers.

Documentation: ``docs/simulators/twilio.md``.
"""

from simulators.twilio.provider import TwilioProvider

__all__ = ["TwilioProvider"]
