"""``contracts/asyncapi.yaml``: a valid AsyncAPI 3.0 document (the official JSON Schema) that names every
event the service emits, on the topic the service publishes it to, with the payload contract it satisfies,
and a dead-letter channel per topic."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import contracts
from reference_service.adapters.kafka_config import TOPICS, dlq_topic
from reference_service.domain.events import Event
from tests.contracts.test_event_contracts import event_classes

ROOT = Path(__file__).resolve().parents[2]
SPEC = Path(__file__).resolve().parent / "specs" / "asyncapi-3.0.0-without-id.json"
SPEC_SHA256 = "abe96881dbfaad495ccbb6bd8d3fb43ca18a13b9d7564849ccb66f39d5e5b20f"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "contracts" / "asyncapi.yaml").read_text()))


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    assert hashlib.sha256(SPEC.read_bytes()).hexdigest() == SPEC_SHA256
    return jsonschema.Draft7Validator(json.loads(SPEC.read_text()))


def test_the_document_is_valid_asyncapi_3(
    document: dict[str, Any], validator: jsonschema.Draft7Validator
) -> None:
    errors = [f"{list(e.path)}: {e.message[:200]}" for e in validator.iter_errors(document)]
    assert errors == []
    assert document["asyncapi"] == "3.0.0"
    broken = copy.deepcopy(document)  # the check bites: a channel address must be a string
    broken["channels"]["orderEvents"]["address"] = 42
    assert not validator.is_valid(broken)


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


@pytest.mark.parametrize("cls", event_classes(), ids=lambda c: c.name)
def test_every_emitted_event_is_on_its_topic_with_its_contract(
    document: dict[str, Any], cls: type[Event]
) -> None:
    topic = TOPICS[cls.aggregate_type]
    [channel] = [c for c in document["channels"].values() if c["address"] == topic]
    messages = [_resolve(document, m["$ref"]) for m in channel["messages"].values()]
    [message] = [m for m in messages if m["name"] == cls.name]
    payload = _resolve(document, message["payload"]["$ref"])
    assert payload["properties"]["event_type"] == {"const": cls.name}
    assert payload["properties"]["topic"] == {"const": topic}
    assert payload["properties"]["payload"]["$ref"] == f"./schemas/events/{cls.name}.json"
    assert f"events/{cls.name}" in contracts.names("events/")
    sent = [
        op for op in document["operations"].values()
        if op["action"] == "send" and op["channel"]["$ref"].endswith("/" + next(
            k for k, c in document["channels"].items() if c is channel))
    ]  # fmt: skip
    assert sent, f"no send operation for {topic}"


def test_each_topic_has_its_dead_letter_channel(document: dict[str, Any]) -> None:
    addresses = {c["address"] for c in document["channels"].values()}
    assert addresses == set(TOPICS.values()) | {dlq_topic(t) for t in TOPICS.values()}


def test_the_consumer_operation_lists_what_genai_demo_consumer_handles(
    document: dict[str, Any], tmp_path: Path
) -> None:
    from reference_service.bootstrap import bootstrap
    from reference_service.config import load_settings

    url = f"sqlite:///{tmp_path / 'asyncapi.db'}"
    container = bootstrap(load_settings(database_url=url, outbox_relay_enabled=False))
    try:
        handled = {cls.name for cls in container.consumer_bus.event_types()}
    finally:
        container.close()
    received = {
        _resolve(document, m["$ref"])["$ref"]
        for op in document["operations"].values()
        if op["action"] == "receive"
        for m in op["messages"]
    }
    names = {_resolve(document, ref)["name"] for ref in received}
    assert names == handled
