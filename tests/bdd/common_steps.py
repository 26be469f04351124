"""Generic steps for any feature that talks HTTP to the service (orders today; payments, notifications...).

``tests/bdd/conftest.py`` imports this module, so every feature under ``features/`` can use these steps.
Quoted arguments may hold ``{name}`` placeholders filled from remembered values (``{order_id}``,
``{nonce}``); ``<JSON>`` arguments are JSON literals (``"CANCELLED"``, ``3998``, ``true``, ``null``, ``[]``).
Field paths use the problem documents' notation: ``items[0].quantity``.

Vocabulary (list all steps with ``pytest tests/bdd --collect-only -q`` and read this file)::

    Given the service is running
    Given the request header "<name>" is "<value>"                (sent with every later request)
    Given the request field "<path>" is set to <JSON>              (edits world.request_body, built by a
    Given the request field "<path>" is removed                     feature's own Given step)
    When I send a <METHOD> request to "<path>"
    When I send a <METHOD> request to "<path>" with the request body
    When I send a <METHOD> request to "<path>" with the JSON body:   (doc string)
    When I send a <METHOD> request to "<path>" with the raw body '<text>' as "<content type>"
    When I send a <METHOD> request to "<path>" with a JSON body of <n> bytes
    Then the response status is <n>
    Then the response content type is "<media type>"
    Then the response header "<name>" is "<value>"
    Then the response header "<name>" lists "<item>"
    Then the response has no "<name>" header
    Then the response satisfies the contract "<contract name>"
    Then the response field "<path>" is <JSON>
    Then the response field "<path>" is the remembered "<name>"
    Then the response field "<path>" is not the remembered "<name>"
    *    I remember the response field "<path>" as "<name>"
    Then the problem type is "<slug>"
    Then the problem names the field "<field>"
    Then the problem names the field "<field>" with code "<code>"
    Then the problem detail mentions "<text>"
    Then the events published for "<key>" are "<type>, <type>, ..."
    Then the number of "<event type>" events published for "<key>" is <n>
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from pytest_bdd import given, parsers, step, then, when

from simulators.testing import poll
from tests.bdd.world import ApiWorld, get_path, remove_path, set_path

WAIT = 15.0
#: ``wait_until(check, "what")``: poll until ``check()`` is truthy (webhooks and the relay are asynchronous)
wait_until = functools.partial(poll, timeout=WAIT, interval=0.05)


def _typed(pattern: str) -> Callable[[str], str]:
    """A ``parse`` type matching ``pattern`` (what ``parse.with_pattern`` does, but typed)."""

    def convert(text: str) -> str:
        return text

    convert.pattern = pattern  # type: ignore[attr-defined]
    return convert


#: argument types; a quoted argument never spans a quote, so steps sharing a prefix stay distinct
TYPES = {
    "Method": _typed(r"GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS"),
    "Q": _typed(r'[^"]*'),
    "SQ": _typed(r"[^']*"),
    "Json": _typed(r'"[^"]*"|-?[0-9]+(?:\.[0-9]+)?|true|false|null|\[.*\]|\{.*\}'),
}


def p(text: str) -> parsers.parse:
    """A ``parse`` step parser with the types ``Method`` (an HTTP verb), ``Q`` (inside "..."), ``SQ`` (inside
    '...') and ``Json`` (a JSON literal)."""
    return parsers.parse(text, extra_types=TYPES)


def json_literal(text: str) -> Any:
    """Parse a step's JSON argument, failing with the text when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        raise AssertionError(f'not a JSON literal: {text!r} (quote strings: "CANCELLED")') from None


# ------------------------------------------------------------------------------------------- given


@given("the service is running")
def service_is_running(world: ApiWorld) -> None:
    resp = world.session.get(world.base_url + "/health/live", timeout=5)
    assert resp.status_code == 200 and resp.json()["status"] == "UP", resp.text


@given(p('the request header "{name:Q}" is "{value:Q}"'))
def request_header(world: ApiWorld, name: str, value: str) -> None:
    world.headers[name] = world.expand(value)


@given(p('the request field "{path:Q}" is set to {value:Json}'))
def request_field_set(world: ApiWorld, path: str, value: str) -> None:
    assert world.request_body is not None, "no request body yet: a Given step must build one first"
    set_path(world.request_body, path, json_literal(value))


@given(p('the request field "{path:Q}" is removed'))
def request_field_removed(world: ApiWorld, path: str) -> None:
    assert world.request_body is not None, "no request body yet: a Given step must build one first"
    remove_path(world.request_body, path)


# -------------------------------------------------------------------------------------------- when


@when(p('I send a {method:Method} request to "{path:Q}"'))
def send_request(world: ApiWorld, method: str, path: str) -> None:
    world.send(method, path)


@when(p('I send a {method:Method} request to "{path:Q}" with the request body'))
def send_request_body(world: ApiWorld, method: str, path: str) -> None:
    assert world.request_body is not None, "no request body yet: a Given step must build one first"
    world.send(method, path, json=world.request_body)


@when(p('I send a {method:Method} request to "{path:Q}" with the JSON body:'))
def send_json(world: ApiWorld, method: str, path: str, docstring: str) -> None:
    world.send(method, path, json=json_literal(docstring))


@when(
    p('I send a {method:Method} request to "{path:Q}" with the raw body \'{body:SQ}\' as "{content_type:Q}"')
)
def send_raw(world: ApiWorld, method: str, path: str, body: str, content_type: str) -> None:
    world.send(method, path, data=body.encode(), headers={"Content-Type": content_type})


@when(p('I send a {method:Method} request to "{path:Q}" with a JSON body of {size:d} bytes'))
def send_sized(world: ApiWorld, method: str, path: str, size: int) -> None:
    frame = b'{"pad": ""}'
    body = frame[:-2] + b"x" * max(size - len(frame), 0) + frame[-2:]
    assert len(body) == max(size, len(frame))
    world.send(method, path, data=body, headers={"Content-Type": "application/json"})


# -------------------------------------------------------------------------------------------- then


@then(p("the response status is {status:d}"))
def response_status(world: ApiWorld, status: int) -> None:
    resp = world.response
    assert resp.status_code == status, f"{resp.status_code} != {status}: {resp.text[:1000]}"


@then(p('the response content type is "{media_type:Q}"'))
def response_content_type(world: ApiWorld, media_type: str) -> None:
    actual = world.response.headers.get("Content-Type", "").split(";")[0].strip()
    assert actual == media_type


@then(p('the response header "{name:Q}" is "{value:Q}"'))
def response_header(world: ApiWorld, name: str, value: str) -> None:
    assert world.response.headers.get(name) == world.expand(value), dict(world.response.headers)


@then(p('the response header "{name:Q}" lists "{item:Q}"'))
def response_header_lists(world: ApiWorld, name: str, item: str) -> None:
    items = {i.strip() for i in world.response.headers.get(name, "").split(",")}
    assert item in items, f"{name}: {world.response.headers.get(name)!r}"


@then(p('the response has no "{name:Q}" header'))
def response_lacks_header(world: ApiWorld, name: str) -> None:
    assert name not in world.response.headers, dict(world.response.headers)


@then(p('the response satisfies the contract "{name:Q}"'))
def response_satisfies(world: ApiWorld, name: str) -> None:
    world.json(name)


@then(p('the response field "{path:Q}" is {value:Json}'))
def response_field_is(world: ApiWorld, path: str, value: str) -> None:
    expected = json_literal(world.expand(value) if value.startswith('"') else value)
    actual = get_path(world.json(), path)
    assert actual == expected, f"{path}: {actual!r} != {expected!r}"


@then(p('the response field "{path:Q}" is the remembered "{name:Q}"'))
def response_field_is_remembered(world: ApiWorld, path: str, name: str) -> None:
    assert get_path(world.json(), path) == world.saved[name]


@then(p('the response field "{path:Q}" is not the remembered "{name:Q}"'))
def response_field_is_not_remembered(world: ApiWorld, path: str, name: str) -> None:
    assert get_path(world.json(), path) != world.saved[name]


@step(p('I remember the response field "{path:Q}" as "{name:Q}"'))
def remember_field(world: ApiWorld, path: str, name: str) -> None:
    world.saved[name] = get_path(world.json(), path)


@then(p('the problem type is "{slug:Q}"'))
def problem_type(world: ApiWorld, slug: str) -> None:
    problem = world.problem()
    assert problem["type"] == f"/problems/{slug}", problem
    assert problem["status"] == world.response.status_code, problem
    assert problem["request_id"] == world.response.headers.get("X-Request-Id"), problem


@then(p('the problem names the field "{field:Q}"'))
def problem_names_field(world: ApiWorld, field: str) -> None:
    named = [e["field"] for e in world.problem().get("errors", [])]
    assert field in named, f"{field!r} not in errors[].field {named}"


@then(p('the problem names the field "{field:Q}" with code "{code:Q}"'))
def problem_names_field_with_code(world: ApiWorld, field: str, code: str) -> None:
    named = [(e["field"], e["code"]) for e in world.problem().get("errors", [])]
    assert (field, code) in named, f"{(field, code)!r} not in errors[] {named}"


@then(p('the problem detail mentions "{text:Q}"'))
def problem_detail_mentions(world: ApiWorld, text: str) -> None:
    detail = world.problem()["detail"]
    assert world.expand(text) in detail, detail


@then(p('the events published for "{key:Q}" are "{types:Q}"'))
def events_published(world: ApiWorld, key: str, types: str) -> None:
    expected = [t.strip() for t in types.split(",") if t.strip()]
    events = world.published_events(world.expand(key))
    assert [e["event_type"] for e in events] == expected, [e["event_type"] for e in events]
    assert len({e["event_id"] for e in events}) == len(events), "an event id was published twice"


@then(p('the number of "{event_type:Q}" events published for "{key:Q}" is {count:d}'))
def events_counted(world: ApiWorld, event_type: str, key: str, count: int) -> None:
    events = world.published_events(world.expand(key))
    assert [e["event_type"] for e in events].count(event_type) == count, [e["event_type"] for e in events]
