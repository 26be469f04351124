"""Metrics (/metrics), health checks (/health), JSON logging and Prometheus alert rules."""
