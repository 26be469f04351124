"""Which simulator a moto call belongs to: a context variable set around every request.

moto keeps its state in module-level backends and calls ``requests.post`` itself for SNS HTTP
subscriptions. The simulator changes a few moto methods (:mod:`simulators.aws.patches`); the changed
methods only act when :func:`current` returns a :class:`RequestContext`, i.e. while the simulator's WSGI
app is handling a request on this thread. Outside it (moto's decorators in other tests, another moto
server in the process) moto behaves exactly as shipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from simulators.aws.bridge import MotoBridge


class RequestContext:
    """The request being served: the bridge, the simulator's public base URL, the caller's access key
    and the raw body (parsed lazily, for SES bodies moto does not keep)."""

    def __init__(
        self,
        bridge: MotoBridge,
        base_url: str,
        access_key: str | None,
        body: bytes = b"",
        content_type: str = "",
    ) -> None:
        self.bridge = bridge
        self.base_url = base_url.rstrip("/")
        self.access_key = access_key
        self.body = body
        self.content_type = content_type

    @cached_property
    def form(self) -> dict[str, list[str]]:
        """The body as a query-protocol form (empty if it is not one)."""
        if not self.body or "json" in self.content_type:
            return {}
        return parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    @cached_property
    def json(self) -> Any:
        """The body as JSON (``None`` if it is not)."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def param(self, name: str) -> str | None:
        """First value of a form field."""
        values = self.form.get(name)
        return values[0] if values else None


_current: ContextVar[RequestContext | None] = ContextVar("simulators_aws_request", default=None)


def current() -> RequestContext | None:
    """The simulator request being handled on this thread, if any."""
    return _current.get()


@contextmanager
def activate(ctx: RequestContext) -> Iterator[RequestContext]:
    """Make ``ctx`` current for the duration of the block."""
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
