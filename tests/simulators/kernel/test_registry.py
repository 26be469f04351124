"""The provider registry and plugin loading."""

from __future__ import annotations

import pytest

from simulators.registry import PROVIDERS, ProviderSpec, load_provider, resolve_spec

PLUGIN = "tests.simulators.kernel.example_provider:WidgetsProvider"


def test_providers_mapping_is_immutable() -> None:
    with pytest.raises(TypeError):
        PROVIDERS["x"] = ProviderSpec("x", 1, "a:b")  # type: ignore[index]
    for name, spec in PROVIDERS.items():
        assert spec.name == name and spec.default_port > 0 and ":" in spec.plugin


def test_load_provider_from_a_plugin_path_passes_env() -> None:
    provider = load_provider(PLUGIN, env={"WIDGETS_KEY": "k"})
    assert provider.name == "widgets" and provider.env == {"WIDGETS_KEY": "k"}
    spec = resolve_spec(PLUGIN)
    assert spec.name == "widgets" and spec.plugin == PLUGIN


def test_unknown_names_and_bad_paths_are_clear_errors() -> None:
    with pytest.raises(LookupError, match="unknown provider 'nope'"):
        load_provider("nope")
    with pytest.raises(ValueError, match="module:Attr"):
        load_provider("tests.simulators.kernel.example_provider:")
    with pytest.raises(AttributeError):
        load_provider("tests.simulators.kernel.example_provider:Missing")
    with pytest.raises(TypeError):
        load_provider("tests.simulators.kernel.example_provider:READY_AFTER_S")
