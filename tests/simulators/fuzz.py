"""Fuzzing the simulators with schemathesis, the providers' official OpenAPI specs as the schema.

Each provider's ``test_fuzz_<provider>.py`` loads its official spec (the copies under
``tests/simulators/<provider>/specs/``) with :func:`load_spec`, which keeps only the operations the
simulator serves (the rows of its ``urls.API_ROUTES``), and runs every generated request against the
simulator over HTTP (the lab's ``<provider>_sim`` fixture), authenticated as the provider's SDK does.
:func:`verify` then requires:

* no 5xx, ever;
* a status code the spec documents for the operation (``default`` counts), a documented content type, and
  a body valid against the spec's schema for that status;
* except the :class:`Deviation` s the provider's test lists by name: places where the simulator follows the
  real provider rather than its spec. Each is explained in the "Known spec deviations" section of
  ``docs/simulators/<provider>.md``, and :func:`documented_deviations` checks the two lists agree.

Run length: ``FUZZ_EXAMPLES`` (examples per operation in the fuzzing phase, default 25), ``FUZZ_SEED``
(default 42) and ``FUZZ_PHASES`` (default ``examples,fuzzing``; ``make fuzz`` adds ``coverage``, which
enumerates every boundary value the schema defines and so is not bounded by ``FUZZ_EXAMPLES``). Reproduce a
failure with the seed it prints; its curl command is in the message.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis import Case, Response
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup, ServerError
from schemathesis.core.parameters import ParameterLocation
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from simulators.kernel.routing import Route

SEED = int(os.environ.get("FUZZ_SEED", "42"))
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
PHASES = tuple(p.strip() for p in os.environ.get("FUZZ_PHASES", "examples,fuzzing").split(",") if p.strip())
ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
_PLACEHOLDER = re.compile(r"\{[^}]+\}")


def template(path: str) -> str:
    """``/v1/payment_intents/{intent}`` -> ``/v1/payment_intents/{}``: paths compared without names."""
    return _PLACEHOLDER.sub("{}", path)


def served(routes: Iterable[Route]) -> set[tuple[str, str]]:
    """``(METHOD, path template)`` of every route of an ``API_ROUTES`` table."""
    return {(route.method, template(route.openapi_path())) for route in routes}


def spec_operations(spec: Mapping[str, Any]) -> set[tuple[str, str]]:
    """``(METHOD, path template)`` of every operation of an OpenAPI document."""
    methods = {"get", "post", "put", "patch", "delete"}
    return {
        (method.upper(), template(path))
        for path, item in spec["paths"].items()
        for method in item
        if method in methods
    }


def unserved(spec_path: Path, routes: Iterable[Route]) -> set[tuple[str, str]]:
    """The spec's operations that ``routes`` do not serve (the fuzz would silently skip them)."""
    return spec_operations(json.loads(spec_path.read_text("utf-8"))) - served(routes)


def config(parameters: Mapping[str, Any] | None = None) -> SchemathesisConfig:
    """The run's configuration: seed, examples, phases, and fixed parameter values (``path.AccountSid``)."""
    unknown = set(PHASES) - set(ALL_PHASES)
    if unknown:
        raise ValueError(f"FUZZ_PHASES: unknown phases {sorted(unknown)} (known: {', '.join(ALL_PHASES)})")
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "generation": {"max-examples": EXAMPLES, "database": "none"},
            "phases": {name: {"enabled": name in PHASES} for name in ALL_PHASES},
            "parameters": dict(parameters or {}),
        }
    )


def load_spec(path: Path, routes: Iterable[Route], parameters: Mapping[str, Any] | None = None) -> BaseSchema:
    """The official spec at ``path``, restricted to the operations ``routes`` serve."""
    ours = served(routes)
    schema = schemathesis.openapi.from_path(path, config=config(parameters))
    return schema.include(lambda ctx: (ctx.operation.method.upper(), template(ctx.operation.path)) in ours)


def authenticated(case: Case) -> bool:
    """Whether to send credentials: not when the case deliberately leaves them out or spoils them."""
    return not case.operation.schema.is_security_param_negated(case)


def _is_positive(case: Case, location: ParameterLocation) -> bool:
    if case.meta is None:
        return True
    component = case.meta.components.get(location)
    return component is None or not component.mode.is_negative


def path_is_positive(case: Case) -> bool:
    """Whether the case's path parameters were generated valid (so a live resource may replace them)."""
    return _is_positive(case, ParameterLocation.PATH)


def body_is_positive(case: Case) -> bool:
    """Whether the case's body was generated valid (so a live id may be put in it)."""
    return _is_positive(case, ParameterLocation.BODY)


# -- deviations ---------------------------------------------------------------------------------------------
Matcher = Callable[[Case, Response, Failure], bool]


@dataclass(frozen=True)
class Deviation:
    """A difference from the official spec that the real provider shows too, allowed by name.

    ``applies(case, response, failure)`` says whether one schemathesis failure is this deviation. A
    server error (5xx) is never a deviation.
    """

    name: str
    summary: str
    applies: Matcher


def _uri_too_long(case: Case, response: Response, failure: Failure) -> bool:
    """A 414 for a request line over 64 KiB: the HTTP server refuses it before the provider's API sees it
    (its own text/html page), as the front ends of the real APIs do."""
    return response.status_code == 414 and len(response.request.url or "") > 65536


URI_TOO_LONG = Deviation("uri-too-long", "a request line over 64 KiB is the HTTP server's 414", _uri_too_long)


def _describe(failures: list[Failure]) -> str:
    return "\n".join(f"- {type(f).__name__}: {f.title}: {f.message[:800]}" for f in failures)


def verify(case: Case, response: Response, deviations: Iterable[Deviation]) -> None:
    """No 5xx, and a documented status, content type and body, but for the named ``deviations``."""
    __tracebackhide__ = True
    allowed = list(deviations)
    try:
        case.validate_response(response, checks=CHECKS)
    except FailureGroup as group:
        left = [
            f
            for f in group.exceptions
            if isinstance(f, ServerError) or not any(d.applies(case, response, f) for d in allowed)
        ]
        if left:
            curl = case.as_curl_command(headers=dict(response.request.headers))
            raise AssertionError(
                f"{case.method} {case.path} -> {response.status_code} (seed {SEED}):\n"
                f"{_describe(left)}\nbody: {response.text[:1500]}\nreproduce: {curl[:3000]}"
            ) from None


def documented_deviations(page: Path) -> set[str]:
    """The deviation names (backquoted, at the start of a bullet) in the "Known spec deviations" section of a
    provider page."""
    text = page.read_text("utf-8")
    _, found, section = text.partition("## Known spec deviations")
    assert found, f"{page} has no 'Known spec deviations' section"
    section = section.split("\n## ", 1)[0]
    return set(re.findall(r"^[-*] `([a-z0-9-]+)`", section, flags=re.MULTILINE))
