"""AWS (SES, SNS, S3) through moto, wrapped in the simulator kernel.

* ``provider.py``: :class:`~simulators.aws.provider.AwsProvider`, the kernel plugin.
* ``responses.py``: the WSGI front (SNS certificate, SubscribeURL/UnsubscribeURL) before moto;
  ``urls.py``: its paths and the control routes; ``control.py``: ``/_sim/aws/...``.
* ``protocol.py``: access key, service and AWS action of a request; ``exceptions.py``: AWS error bodies.
* ``patches.py``: the moto methods wrapped (and why); ``context.py``: which request they serve.
* ``bridge.py``, ``sns.py``, ``sns_signing.py``, ``ses.py``: what the simulator adds to moto.

Documentation: ``docs/simulators/aws.md``.
"""
