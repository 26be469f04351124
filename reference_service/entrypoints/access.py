"""Authentication and authorization of every request, deny by default.

**Declaring a route's policy.** Every route states who may call it, next to its view::

    @spec.operation(bp, "/orders/<order_id>", "GET", ...)
    @requires(Permission.ORDERS_READ, owned=True)   # the view scopes a customer's OWN grant
    def get_order(order_id: str) -> Response: ...

    @bp.post("/stripe")
    @public("signed by Stripe; verified with STRIPE_WEBHOOK_SECRET")
    def stripe_webhook() -> Response: ...

or for a whole blueprint at once: ``protect_blueprint(bp, Permission.INVENTORY_MANAGE)`` (a route's own
decorator wins). A route with no policy answers 403 to everyone and ``tests/integration/
test_access_policies.py`` fails naming it. ``owned=True`` says the view limits a role whose grant reaches
only the caller's OWN objects (customers) to them, with :func:`current_access`: an object of someone
else answers 404, as if it did not exist (OWASP API1, BOLA). A route not marked ``owned`` refuses such
roles outright.

**Credentials.** ``Authorization: Bearer <JWT>`` from the configured issuer (RFC 6750), or ``X-API-Key:
gdk_...`` (machine clients). Bearer is kept for JWTs only, so a header's meaning never depends on its
contents. Both at once is a 400. Failures are problem+json with ``WWW-Authenticate``: ``Bearer
realm="genai-demo"`` when nothing was sent, ``error="invalid_token"`` with a description (expired,
wrong issuer, ...) for a bad token, ``error="invalid_request"`` (400) for a malformed header and
``error="insufficient_scope"`` (403) when no role grants the permission.

**Order.** :meth:`AccessControl.authenticate` runs first and only records who the caller is (or why
not); the rate limiter then counts the request against that caller (or its IP), so failed attempts are
limited too; :meth:`AccessControl.authorize` runs last and refuses. Public routes skip both.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Blueprint, Flask, g, request

from reference_service.adapters.api_keys import KeyRejected
from reference_service.adapters.jwt_verifier import KeysUnavailable, TokenRejected
from reference_service.bootstrap.security import SecurityArea
from reference_service.domain.access import Permission, Principal, Reach, grant_for
from reference_service.entrypoints.errors import FieldError, Problem
from reference_service.observability.metrics import ServiceMetrics
from reference_service.service_layer.errors import NotFound

logger = logging.getLogger(__name__)

POLICY_ATTR = "access_policy"
API_KEY_HEADER = "X-API-Key"
REALM = "genai-demo"
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Policy:
    """What a route needs: a permission (``None``: public, with the reason why) and whether the view
    scopes OWN grants to the caller's objects."""

    permission: Permission | None
    owned: bool = False
    public_reason: str = ""

    @property
    def is_public(self) -> bool:
        return self.permission is None


def _mark(policy: Policy) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        setattr(view, POLICY_ATTR, policy)
        return view

    return decorate


def requires(permission: Permission, *, owned: bool = False) -> Callable[[F], F]:
    """The route needs ``permission``; ``owned``: the view handles OWN grants (see the module doc)."""
    return _mark(Policy(permission, owned))


def public(reason: str) -> Callable[[F], F]:
    """The route answers without credentials; ``reason`` says why that is safe."""
    if not reason:
        raise ValueError("a public route must say why it is public")
    return _mark(Policy(None, public_reason=reason))


def protect_blueprint(bp: Blueprint, permission: Permission, *, owned: bool = False) -> Blueprint:
    """Every route of ``bp`` without a policy of its own needs ``permission``."""
    setattr(bp, POLICY_ATTR, Policy(permission, owned))
    return bp


def policy_for(app: Flask, endpoint: str) -> Policy | None:
    """The policy of ``endpoint``: its view's, else its blueprint's (innermost first), else ``None``."""
    policy = getattr(app.view_functions.get(endpoint), POLICY_ATTR, None)
    name = endpoint.rpartition(".")[0]
    while policy is None and name:
        policy = getattr(app.blueprints.get(name), POLICY_ATTR, None)
        name = name.rpartition(".")[0]
    return policy if isinstance(policy, Policy) else None


@dataclass(frozen=True)
class Access:
    """The current request's caller and how far its grant reaches (``None`` on public routes)."""

    principal: Principal | None
    reach: Reach | None

    @property
    def owner(self) -> str | None:
        """The customer whose objects alone may be touched (OWN grants), else ``None`` (any)."""
        if self.reach is Reach.OWN and self.principal is not None:
            return self.principal.subject
        return None

    def may_act_for(self, customer_ref: str) -> bool:
        owner = self.owner
        return owner is None or owner == customer_ref

    def require_owner(self, customer_ref: str, kind: str, object_id: str) -> None:
        """404 (as for a missing object) unless the caller may touch ``customer_ref``'s objects."""
        if not self.may_act_for(customer_ref):
            raise NotFound(kind, object_id)


def current_access() -> Access:
    """The access decided for this request (only on routes with a policy)."""
    access = g.get("access")
    if not isinstance(access, Access):
        raise RuntimeError("no access decision for this request; is the route declared?")
    return access


def current_principal() -> Principal | None:
    """The authenticated caller of this request, if any."""
    principal = g.get("principal")
    return principal if isinstance(principal, Principal) else None


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def challenge(error: str | None = None, description: str | None = None) -> dict[str, str]:
    """The ``WWW-Authenticate`` header of RFC 6750 §3."""
    parts = [f'realm="{REALM}"']
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append(f'error_description="{_quote(description)}"')
    return {"WWW-Authenticate": "Bearer " + ", ".join(parts)}


class AccessControl:
    """The two request hooks (see the module docstring) over the security area."""

    def __init__(self, app: Flask, security: SecurityArea, metrics: ServiceMetrics) -> None:
        self.app = app
        self.security = security
        self.metrics = metrics

    def policy(self) -> Policy | None:
        return policy_for(self.app, request.endpoint) if request.endpoint else None

    def authenticate(self) -> None:
        """Record ``g.principal`` or ``g.auth_failure`` (a Problem raised later by :meth:`authorize`)."""
        if request.endpoint is None:
            return  # no such route: the 404/405 answers
        policy = self.policy()
        if policy is not None and policy.is_public:
            return
        try:
            g.principal = self._principal()
        except Problem as problem:
            g.auth_failure = problem

    def _principal(self) -> Principal:
        authorization = request.headers.get("Authorization")
        api_key = request.headers.get(API_KEY_HEADER)
        if authorization is not None and api_key is not None:
            raise self._reject(
                "both_credentials",
                Problem(
                    "malformed-request",
                    f"Send either Authorization or {API_KEY_HEADER}, not both.",
                    [FieldError(API_KEY_HEADER, "send one credential, not two", "conflict")],
                    status=400,
                    headers=challenge("invalid_request", "more than one credential"),
                ),
            )
        if api_key is not None:
            try:
                return self.security.api_keys.verify(api_key.strip())
            except KeyRejected as exc:
                detail = "The API key is revoked." if exc.reason == "revoked" else "The API key is not valid."
                if exc.reason == "expired":
                    detail = "The API key has expired."
                return self._fail(f"api_key_{exc.reason}", detail, challenge("invalid_token", detail))
        if authorization is None:
            return self._fail("missing", "This route needs a credential.", challenge())
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer":
            return self._fail("scheme", "Use the Bearer scheme (or the X-API-Key header).", challenge())
        token = token.strip()
        if not token:
            raise self._reject(
                "malformed",
                Problem(
                    "malformed-request",
                    "The Bearer token is empty.",
                    [FieldError("Authorization", "the token after Bearer is empty", "missing")],
                    status=400,
                    headers=challenge("invalid_request", "empty token"),
                ),
            )
        try:
            return self.security.verifier.verify(token)
        except TokenRejected as exc:
            return self._fail(f"token_{exc.code}", f"The access token is invalid: {exc.reason}.",
                              challenge("invalid_token", exc.reason))  # fmt: skip
        except KeysUnavailable as exc:
            logger.warning("token keys unavailable: %s", exc)
            raise self._reject(
                "keys_unavailable",
                Problem(
                    "authentication-unavailable",
                    "The issuer's keys cannot be fetched right now.",
                    headers={"Retry-After": "5"},
                ),
            ) from None

    def _reject(self, reason: str, problem: Problem) -> Problem:
        problem.extra.setdefault("reason", reason)
        return problem

    def _fail(self, reason: str, detail: str, headers: dict[str, str]) -> Principal:
        raise self._reject(reason, Problem("unauthorized", detail, headers=headers))

    def authorize(self) -> None:
        """Refuse the request unless the caller's roles grant the route's permission."""
        if request.endpoint is None:
            return
        policy = self.policy()
        if policy is None:
            logger.error("route %s declares no access policy: refused", request.endpoint)
            self._refuse("no_policy", Problem("forbidden", "This route declares no access policy."))
        assert policy is not None
        if policy.is_public:
            g.access = Access(None, None)
            return
        failure = g.get("auth_failure")
        if isinstance(failure, Problem):
            self._refuse(str(failure.extra.pop("reason", "invalid")), failure)
        principal = current_principal()
        assert principal is not None and policy.permission is not None
        reach = grant_for(principal, policy.permission)
        if reach is Reach.OWN and not policy.owned:
            reach = None  # the view cannot narrow to the caller's own objects: refuse
        if reach is None:
            headers = challenge("insufficient_scope") if principal.kind == "token" else {}
            self._refuse(
                "permission",
                Problem(
                    "forbidden",
                    f"None of your roles grants {policy.permission.value}.",
                    headers=headers,
                    extra={"permission": policy.permission.value},
                ),
            )
        g.access = Access(principal, reach)

    def _refuse(self, reason: str, problem: Problem) -> None:
        self.metrics.auth_rejections.labels(reason).inc()
        logger.info("refused %s %s: %s", request.method, request.endpoint, reason)
        raise problem


def install_access_control(app: Flask, security: SecurityArea, metrics: ServiceMetrics) -> AccessControl:
    """Register :meth:`AccessControl.authenticate`; the caller registers :meth:`~AccessControl.authorize`
    after the rate limiter (``entrypoints/app.py``)."""
    control = AccessControl(app, security, metrics)
    app.before_request(control.authenticate)
    return control
