"""Load tests of the lab, written for Locust.

Layout::

    load/locust.conf            headless defaults (host, users, spawn rate, run time)
    load/locustfiles/<name>.py  one scenario per file; each states its thresholds as module constants
                                ``MAX_ERROR_RATE`` and ``P95_MS`` and enforces them (``common.thresholds``)
    load/common/                payload factories, the thresholds, a client for the simulators' ``/_sim/`` API
    load/run.py                 ``python -m load.run [scenario]``: a short headless run, reports, a verdict

Run against a running lab (``make run`` in another shell)::

    make load                                   # = python -m load.run orders
    python -m load.run orders --users 50 --run-time 1m --host http://127.0.0.1:8000
    locust --config load/locust.conf -f load/locustfiles/orders.py    # plain Locust, same thresholds

Reports land in ``var/load/<scenario>-<timestamp>/`` (``report.html``, ``stats_*.csv``, ``summary.json``).
"""
