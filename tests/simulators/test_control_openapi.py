"""Every simulator's control API document is made from the tables that mount its routes, so the paths and
methods ``/_sim/openapi.json`` lists are exactly the routes its control app serves: none undocumented, none
documented but missing. Checked for every registered provider, the kernel's own routes included."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate
from werkzeug.test import Client

from simulators.kernel import SimulatorApp, SimulatorConfig, build_simulator_app
from simulators.registry import PROVIDERS, load_provider


@pytest.fixture(params=sorted(PROVIDERS))
def app(request: pytest.FixtureRequest) -> Iterator[SimulatorApp]:
    application = build_simulator_app(load_provider(request.param), SimulatorConfig(seed=1))
    yield application
    application.close()


def _documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method.upper())
        for path, item in doc["paths"].items()
        for method in item
        if method != "parameters"
    }


def _served(app: SimulatorApp) -> set[tuple[str, str]]:
    served = set()
    for rule in app.control_app.url_map.iter_rules():  # type: ignore[attr-defined]
        if rule.endpoint == "static":
            continue
        path = str(rule.rule).replace("<", "{").replace(">", "}")
        served.update((path, method) for method in rule.methods or () if method not in {"HEAD", "OPTIONS"})
    return served


def test_documented_control_routes_are_exactly_the_served_ones(app: SimulatorApp) -> None:
    doc: dict[str, Any] = Client(app).get("/_sim/openapi.json").get_json()
    validate(doc)
    name = app.runtime.provider.name
    served = _served(app)
    assert _documented(doc) == served
    assert any(path.startswith(f"/_sim/{name}/") for path, _ in served), "the provider has its own controls"
    for path, method in served:
        operation = doc["paths"][path][method.lower()]
        assert operation["summary"] and operation["responses"], (path, method)
