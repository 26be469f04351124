"""What the AWS simulator changes in moto: the methods it wraps, and why (checked against moto 5.2.5), and
the request context those wrappers read.

moto keeps its state in module-level backends and calls ``requests.post`` itself for SNS HTTP
subscriptions, and its methods know nothing of the request they serve. :class:`RequestContext` is made
current (a context variable, :func:`activate`) by the simulator's API app around every request; each
wrapper calls moto's own method unless such a request is being handled (:func:`current`), so moto used
elsewhere in the process (its decorators in other tests, another moto server) is unchanged.
:func:`install` is idempotent and called from the provider's ``setup()``, never at import time.

SNS (``moto/sns/models.py``, ``responses.py``):

* ``Subscription.publish``: moto POSTs http/https notifications itself with ``requests.post``, a fake
  ``SignatureVersion`` "2" signature and an AWS ``SigningCertURL``. The wrapper hands them to the kernel's
  webhook dispatcher with a real signature instead (:class:`simulators.aws.models_sns.SnsDeliveries`).
* ``SNSBackend.subscribe`` / ``SNSResponse.subscribe``: moto confirms every subscription at once. AWS
  leaves http/https subscriptions "pending confirmation" and POSTs a ``SubscriptionConfirmation``; the
  wrappers do that, and ``Subscribe`` answers ``pending confirmation`` unless ``ReturnSubscriptionArn``.
* ``SNSResponse.confirm_subscription``: moto ignores the token; the wrapper checks it and confirms.
* ``SNSBackend.unsubscribe``: AWS sends an ``UnsubscribeConfirmation`` to a confirmed http/s endpoint.
* ``SNSBackend.publish``: moto drops ``MessageAttributes`` of SMS publishes; the wrapper records them.
* ``SNSBackend.check_if_phone_number_is_opted_out`` / ``list_phone_numbers_opted_out`` /
  ``opt_in_phone_number``: add the numbers opted out through ``POST /_sim/aws/sms/opt-out``.

SES (``moto/ses/models.py``):

* ``SESBackend.__process_sns_feedback__``: moto publishes a canned feedback dict (not a JSON string, with
  example addresses, matched on the sender's *domain* only); the wrapper disables it during simulator
  requests, and ``send_email``/``send_raw_email``/``send_templated_email`` are wrapped to publish SES's
  real notification JSON after the mail is stored (:class:`simulators.aws.models_ses.SesFeedback`).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from simulators.aws.models import MotoBridge
    from simulators.kernel.wsgi import SimRequest


class RequestContext:
    """The request being served (the kernel's :class:`~simulators.kernel.wsgi.SimRequest`), the bridge and
    the simulator's public base URL; the body is parsed lazily, for SES bodies moto does not keep."""

    def __init__(self, bridge: MotoBridge, base_url: str, request: SimRequest) -> None:
        self.bridge = bridge
        self.base_url = base_url.rstrip("/")
        self.request = request

    @property
    def access_key(self) -> str | None:
        """The caller's access key id (the kernel's account)."""
        return self.request.account

    @cached_property
    def form(self) -> dict[str, list[str]]:
        """The body as a query-protocol form (empty if it is JSON)."""
        body = self.request.body
        if not body or "json" in (self.request.header("Content-Type") or ""):
            return {}
        return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)

    @cached_property
    def json(self) -> Any:
        """The body as JSON (``None`` if it is not)."""
        return self.request.json()

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


HTTP_PROTOCOLS = ("http", "https")

_lock = threading.Lock()
_originals: dict[str, Callable[..., Any]] = {}


def original(name: str) -> Callable[..., Any]:
    """moto's unwrapped method, e.g. ``original("SNSBackend.subscribe")``."""
    return _originals[name]


def _bind(func: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    bound = inspect.signature(func).bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def _wrap(owner: Any, attr: str, key: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    func = getattr(owner, attr)
    _originals[key] = func
    setattr(owner, attr, make(func))


def _subscription_publish(orig: Callable[..., Any]) -> Callable[..., Any]:
    def publish(self: Any, *args: Any, **kwargs: Any) -> Any:
        ctx = current()
        if ctx is None or self.protocol not in HTTP_PROTOCOLS:
            return orig(self, *args, **kwargs)
        a = _bind(orig, self, *args, **kwargs)
        ctx.bridge.messages.notification(
            ctx,
            self,
            a["message"],
            a["message_id"],
            a["subject"],
            a["message_attributes"],
            a["message_structure"],
        )
        return None

    return publish


def _backend_subscribe(orig: Callable[..., Any]) -> Callable[..., Any]:
    def subscribe(self: Any, topic_arn: str, endpoint: str, protocol: str) -> Any:
        ctx = current()
        if ctx is None or protocol not in HTTP_PROTOCOLS:
            return orig(self, topic_arn, endpoint, protocol)
        existing = self._find_subscription(topic_arn, endpoint, protocol)
        subscription = orig(self, topic_arn, endpoint, protocol)
        if existing is None or existing.attributes.get("PendingConfirmation") is True:
            ctx.bridge.sns.start_confirmation(ctx, subscription, new=existing is None)
        return subscription

    return subscribe


def _response_subscribe(orig: Callable[..., Any]) -> Callable[..., Any]:
    from moto.core.responses import ActionResult

    def subscribe(self: Any) -> Any:
        result = orig(self)
        if current() is None:
            return result
        arn = result.result.get("SubscriptionArn")
        subscription = self.backend.subscriptions.get(arn)
        wanted = self._get_param("ReturnSubscriptionArn")
        return_arn = wanted is True or str(wanted).lower() == "true"
        if subscription is not None and subscription.attributes.get("PendingConfirmation") is True:
            if not return_arn:
                return ActionResult({"SubscriptionArn": "pending confirmation"})
        return result

    return subscribe


def _response_confirm(orig: Callable[..., Any]) -> Callable[..., Any]:
    from moto.core.responses import ActionResult

    def confirm_subscription(self: Any) -> Any:
        ctx = current()
        if ctx is None:
            return orig(self)
        arn = ctx.bridge.sns.confirm(
            self._get_param("Token"), self._get_param("TopicArn"), authenticated=True
        )
        return ActionResult({"SubscriptionArn": arn})

    return confirm_subscription


def _backend_unsubscribe(orig: Callable[..., Any]) -> Callable[..., Any]:
    def unsubscribe(self: Any, subscription_arn: str) -> Any:
        ctx = current()
        subscription = self.subscriptions.get(subscription_arn) if ctx is not None else None
        result = orig(self, subscription_arn)
        if ctx is not None and subscription is not None and subscription.protocol in HTTP_PROTOCOLS:
            ctx.bridge.sns.on_unsubscribed(ctx, subscription)
        return result

    return unsubscribe


def _backend_publish(orig: Callable[..., Any]) -> Callable[..., Any]:
    def publish(self: Any, *args: Any, **kwargs: Any) -> Any:
        message_id = orig(self, *args, **kwargs)
        ctx = current()
        if ctx is not None:
            a = _bind(orig, self, *args, **kwargs)
            if a.get("phone_number"):
                ctx.bridge.record_sms(
                    self, message_id, a["phone_number"], a["message"], a["message_attributes"]
                )
        return message_id

    return publish


def _opted_out(orig: Callable[..., Any]) -> Callable[..., Any]:
    def check(self: Any, number: str) -> Any:
        ctx = current()
        return bool(orig(self, number)) or (ctx is not None and ctx.bridge.is_opted_out(number))

    return check


def _list_opted_out(orig: Callable[..., Any]) -> Callable[..., Any]:
    def list_numbers(self: Any) -> Any:
        numbers = list(orig(self))
        ctx = current()
        if ctx is not None:
            numbers.extend(n for n in ctx.bridge.opted_out_numbers() if n not in numbers)
        return numbers

    return list_numbers


def _opt_in(orig: Callable[..., Any]) -> Callable[..., Any]:
    def opt_in(self: Any, number: str) -> Any:
        ctx = current()
        if ctx is not None:
            ctx.bridge.opt_in(number)
        return orig(self, number)

    return opt_in


def _no_feedback_in_simulator(orig: Callable[..., Any]) -> Callable[..., Any]:
    def process(self: Any, *args: Any, **kwargs: Any) -> Any:
        return None if current() is not None else orig(self, *args, **kwargs)

    return process


def _after_send(orig: Callable[..., Any]) -> Callable[..., Any]:
    def send(self: Any, *args: Any, **kwargs: Any) -> Any:
        message = orig(self, *args, **kwargs)
        ctx = current()
        if ctx is not None:
            ctx.bridge.ses.after_send(ctx, self, message)
        return message

    return send


def install() -> None:
    """Wrap the moto methods listed in the module docstring (once per process)."""
    with _lock:
        if _originals:
            return
        from moto.ses.models import SESBackend
        from moto.sns.models import SNSBackend, Subscription
        from moto.sns.responses import SNSResponse

        _wrap(Subscription, "publish", "Subscription.publish", _subscription_publish)
        _wrap(SNSBackend, "subscribe", "SNSBackend.subscribe", _backend_subscribe)
        _wrap(SNSBackend, "unsubscribe", "SNSBackend.unsubscribe", _backend_unsubscribe)
        _wrap(SNSBackend, "publish", "SNSBackend.publish", _backend_publish)
        _wrap(
            SNSBackend,
            "check_if_phone_number_is_opted_out",
            "SNSBackend.check_if_phone_number_is_opted_out",
            _opted_out,
        )
        _wrap(
            SNSBackend,
            "list_phone_numbers_opted_out",
            "SNSBackend.list_phone_numbers_opted_out",
            _list_opted_out,
        )
        _wrap(SNSBackend, "opt_in_phone_number", "SNSBackend.opt_in_phone_number", _opt_in)
        _wrap(SNSResponse, "subscribe", "SNSResponse.subscribe", _response_subscribe)
        _wrap(SNSResponse, "confirm_subscription", "SNSResponse.confirm_subscription", _response_confirm)
        _wrap(
            SESBackend,
            "__process_sns_feedback__",
            "SESBackend.__process_sns_feedback__",
            _no_feedback_in_simulator,
        )
        for name in ("send_email", "send_raw_email", "send_templated_email"):
            _wrap(SESBackend, name, f"SESBackend.{name}", _after_send)
