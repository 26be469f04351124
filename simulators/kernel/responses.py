"""Response helpers for Flask blueprint plugins, and the bracket-form unflattener.

Built-in providers answer with :class:`simulators.kernel.api.Response` (their handlers run on the kernel's
:class:`~simulators.kernel.api.ProviderApi`); a plugin that hands the kernel a Flask blueprint uses these:

* :func:`json_response` builds a Flask response without key sorting (providers' field order is kept).
* :func:`error_response` renders a :class:`~simulators.kernel.errors.ProviderError`.
* :func:`unflatten_form` turns bracket-encoded form pairs (``metadata[k]=v``, ``items[0][price]=x``,
  ``expand[]=a``) into nested dicts and lists, as Stripe encodes them (localstripe had the right idea).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response

from simulators.kernel.errors import ProviderError


def json_response(data: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """``data`` as ``application/json`` with ``status`` and extra ``headers``."""
    resp = Response(json.dumps(data), status=status, content_type="application/json")
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    return resp


def error_response(error: ProviderError) -> Response:
    """The provider's own rendering of ``error``."""
    rendered = error.to_response()
    resp = Response(rendered.body, status=error.status, content_type=rendered.content_type)
    for name, value in rendered.headers.items():
        resp.headers[name] = value
    return resp


class FormError(ValueError):
    """A bracket-encoded key that cannot be unflattened (the provider maps it to its 400)."""


def _split(key: str) -> list[str]:
    if "[" not in key:
        return [key]
    head, _, rest = key.partition("[")
    if not head or not rest.endswith("]"):
        raise FormError(f"invalid parameter name {key!r}")
    parts = [head]
    for piece in rest[:-1].split("]["):
        if "[" in piece or "]" in piece:
            raise FormError(f"invalid parameter name {key!r}")
        parts.append(piece)
    return parts


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        converted = {k: _listify(v) for k, v in node.items()}
        if converted and all(isinstance(k, str) and k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return node


def unflatten_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nested structure of bracket-encoded ``pairs`` (in order). ``a[]=x&a[]=y`` -> ``{"a": ["x", "y"]}``,
    ``a[0][b]=1`` -> ``{"a": [{"b": "1"}]}``, ``m[k]=v`` -> ``{"m": {"k": "v"}}``. Raises
    :class:`FormError` on malformed names or a key used both as a value and a container."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = _split(key)
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part == "":
                if not last:
                    raise FormError(f"'[]' must end the parameter name in {key!r}")
                if not isinstance(node, list):
                    raise FormError(f"{key!r} mixes list and object syntax")
                node.append(value)
                break
            if not isinstance(node, dict):
                raise FormError(f"{key!r} mixes list and object syntax")
            if last:
                if isinstance(node.get(part), dict | list):
                    raise FormError(f"{key!r} is both a value and an object")
                node[part] = value
                break
            child = node.get(part)
            wants_list = parts[i + 1] == ""
            if child is None:
                child = [] if wants_list else {}
                node[part] = child
            elif isinstance(child, str):
                raise FormError(f"{key!r} is both a value and an object")
            node = child
    result: dict[str, Any] = _listify(root)
    return result
