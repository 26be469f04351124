"""Binds every scenario in ``features/security/`` (ownership, tokens, admin routes, the shared rate limit)
to the security and common steps. ``pytest tests/bdd/test_security.py -v`` lists them."""

from __future__ import annotations

import pytest
from pytest_bdd import scenarios

from tests.bdd.security_steps import *  # noqa: F403  (pytest-bdd registers steps as module-level fixtures)

pytestmark = pytest.mark.e2e

scenarios("security")
