"""WSGI entry for servers (granian, gunicorn): ``reference_service.entrypoints.wsgi:app_factory``.

Settings are read from the environment when the factory is called (never at import time). Migrations
are not run here: ``genai-demo service`` runs them once before starting the server's workers.
"""

from __future__ import annotations

from flask import Flask

from reference_service.bootstrap import bootstrap
from reference_service.config import load_settings
from reference_service.entrypoints.app import create_app
from reference_service.observability.logging import configure_logging


def app_factory() -> Flask:
    settings = load_settings()
    configure_logging(settings.log_level.value)
    return create_app(settings, bootstrap(settings, run_migrations=False))
