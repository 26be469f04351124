"""AWS (SES, SNS, S3) through moto, wrapped in the simulator kernel: ``genai-demo sim aws`` (port 12115).

moto serves the AWS APIs; the files follow the roles every simulator shares (``docs/simulators/README.md``):

* ``provider.py``: :class:`AwsProvider`, composition only. ``urls.py``: the simulator's own paths (SNS
  certificate, SubscribeURL/UnsubscribeURL), the control route table and the URLs SNS messages carry.
* ``api.py``: the API app (own routes, then moto) and how a request is read (access key, service, action);
  ``responses.py``: the handlers of the own routes.
* ``models.py`` (the state kept beside moto: SMS records, opt-outs), ``models_sns.py`` (subscription
  confirmation handshake), ``models_ses.py`` (mailbox-simulator feedback, captured bodies).
* ``exceptions.py``: AWS error bodies. ``validation.py``: control bodies.
* ``webhooks.py`` (SNS envelopes, headers, retry schedule, sending) + ``webhooks_signing.py`` (the SNS
  signing key and certificate). ``control.py``: ``/_sim/aws/...`` handlers.
* ``patches.py``: the moto methods wrapped (and why), and the request context they read.

Documentation: ``docs/simulators/aws.md``.
"""

from simulators.aws.provider import AwsProvider

__all__ = ["AwsProvider"]
