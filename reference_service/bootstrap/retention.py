"""Wiring of data retention and erasure: the runner over ``adapters/retention.py``'s table of data
classes, its metrics, the in-process schedule, and the personal-data eraser.

``container.retention`` is the typed ``RetentionArea``. The schedule runs in the service process every
``RETENTION_INTERVAL_SECONDS`` (0: never; then only ``genai-demo retention run``), started with the
relay when the process serves; several instances are safe (leases, see the runner).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from reference_service.adapters.erasure import PersonalDataEraser
from reference_service.adapters.retention import RetentionMetrics, RetentionReport, RetentionRunner
from reference_service.bootstrap import Platform
from reference_service.bootstrap.files import FilesArea
from reference_service.bootstrap.security import SecurityArea
from reference_service.ports_files import FileStorage

logger = logging.getLogger(__name__)


@dataclass
class RetentionArea:
    runner: RetentionRunner
    eraser: PersonalDataEraser
    interval_seconds: float
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def run(self, *, dry_run: bool = False) -> RetentionReport:
        return self.runner.run(dry_run=dry_run)

    def start(self) -> None:
        """Run retention on a daemon thread every ``interval_seconds`` (first run after one interval)."""
        if self.interval_seconds <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="retention", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            try:
                report = self.runner.run()
                logger.info("retention run %s: %s", report.run_id, report.counts())
            except Exception:  # the database may be briefly unavailable: try again next interval
                logger.exception("retention run failed")


def build(platform: Platform, files: FilesArea, security: SecurityArea) -> RetentionArea:
    def storage() -> FileStorage:
        return files.storage  # read at call time: tests swap it

    runner = RetentionRunner(
        platform.settings,
        platform.write_sessions,
        platform.read_sessions,
        platform.engines.write_gate,
        platform.clock,
        storage,
        files.categories,
        security.audit,
        RetentionMetrics(platform.metrics.registry),
    )
    eraser = PersonalDataEraser(
        platform.write_sessions, platform.engines.write_gate, platform.cipher, storage
    )
    return RetentionArea(runner, eraser, platform.settings.retention_interval_seconds)
