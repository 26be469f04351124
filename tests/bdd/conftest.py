"""BDD fixtures: ``world`` (one ``ApiWorld`` per scenario, against the ``live_service`` process) and the
generic steps of ``common_steps``, which every feature can use.

Run: ``pytest tests/bdd`` (all features), ``pytest tests/bdd -m idempotency`` (by tag), or
``pytest tests/bdd -k cancel``. A failing step reports the response it saw; ``world.history`` has them all.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.bdd.common_steps import *  # noqa: F403  (pytest-bdd registers steps as module-level fixtures)
from tests.bdd.world import ApiWorld
from tests.support import LiveProcess


@pytest.fixture
def world(live_service: LiveProcess) -> Iterator[ApiWorld]:
    scenario_world = ApiWorld(live_service.url)
    yield scenario_world
    scenario_world.session.close()
