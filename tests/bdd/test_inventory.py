"""Binds every scenario in ``features/inventory/`` to the inventory (Kafka) steps; they run in this process
against librdkafka's mock cluster (``tests/bdd/inventory_steps.py``), not against ``live_service``."""

from __future__ import annotations

from pytest_bdd import scenarios

from tests.bdd.inventory_steps import *  # noqa: F403  (pytest-bdd registers steps as module-level fixtures)

scenarios("inventory")
