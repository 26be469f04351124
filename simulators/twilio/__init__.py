"""Twilio Programmable Messaging simulator (moto-style split).

* ``models.py``: messages and the delivery lifecycle (no HTTP); ``accounts.py``: accepted credentials;
  ``validation.py``: the create request's checks in Twilio's order.
* ``responses.py``: the API views (auth, parsing, Twilio's JSON); ``urls.py``: every path.
* ``exceptions.py``: Twilio's error classes; ``magic.py``: magic numbers; ``segments.py``: GSM-7/UCS-2.
* ``webhooks.py``: StatusCallback form and ``X-Twilio-Signature``; ``control.py``: ``/_sim/twilio/...``.
* ``provider.py``: :class:`~simulators.twilio.provider.TwilioProvider`, the kernel plugin.

Documentation: ``docs/simulators/twilio.md``.
"""
