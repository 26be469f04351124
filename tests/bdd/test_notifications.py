"""Binds every scenario in ``features/notifications/`` to the notification and common steps, against
``notifications_lab`` (the service as a process, wired to the AWS and Twilio simulators as processes).

``pytest tests/bdd/test_notifications.py -v`` lists the scenarios; ``-m sms`` / ``-m email`` select by tag.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_bdd import scenarios

from tests.bdd.notification_steps import *  # noqa: F403  (pytest-bdd registers steps as module-level fixtures)
from tests.bdd.world import ApiWorld
from tests.support_notifications import NotificationsLab

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(notifications_lab: NotificationsLab) -> Iterator[ApiWorld]:
    """This module's scenarios talk to the notifications lab's service, not ``live_service``."""
    scenario_world = ApiWorld(notifications_lab.url)
    yield scenario_world
    scenario_world.session.close()


scenarios("notifications")
