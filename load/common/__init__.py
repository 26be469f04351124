"""Helpers shared by every load scenario.

- ``payloads``: request bodies and Idempotency-Keys for the service's API (valid per ``contracts/``);
- ``thresholds``: ``Thresholds`` (error rate, p95), ``Figures``, and ``enforce`` (a Locust ``quitting``
  listener that sets the exit code), plus reading Locust's CSV output;
- ``faults``: seeded fault mixes installed on a simulator for the length of a run.

Scenarios drive the simulators through ``simulators.kernel.client.SimClient`` (faults, journal, clock,
webhook deliveries), to load the service while a provider misbehaves.

Nothing here imports Locust at module level, so ``load.run`` can use it without gevent's monkey-patching.
"""
