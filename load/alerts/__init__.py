"""Alert scenarios: load that trips each alert on a real Prometheus and Alertmanager in the lab, and
proves it fired in time and resolved (``python -m load.alerts``, ``make alerts``)."""
