"""Binds every scenario in ``features/orders/`` to the order and common steps.

``pytest tests/bdd/test_orders.py -v`` lists the scenarios by name; tags in the feature files
(``@orders @happy_path``...) are markers, so ``-m happy_path`` selects them.
"""

from __future__ import annotations

import pytest
from pytest_bdd import scenarios

from tests.bdd.order_steps import *  # noqa: F403  (pytest-bdd registers steps as module-level fixtures)

pytestmark = pytest.mark.e2e

scenarios("orders")
