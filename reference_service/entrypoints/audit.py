"""Records the audit trail (``adapters/audit_log.py``) from the request hooks.

What is recorded: every call that may change something (any method but GET, HEAD and OPTIONS, webhooks
included) and every read under ``/api/v1/admin``, whatever its result (a refused call is recorded as
``denied``). Unrouted paths (404 before any route matched) are not calls to the API and are not recorded.
The actor is the authenticated principal; on a public route it is ``webhook`` (named after the webhook's
blueprint) or ``anonymous``. A failure to write is logged and counted, and never changes the answer
already computed.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, request

from reference_service.adapters.audit_log import AuditEntry, AuditLog
from reference_service.domain.access import Principal
from reference_service.ports import Clock

logger = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ADMIN_PREFIX = "/api/v1/admin"


def audited() -> bool:
    """Whether the current request belongs in the audit trail."""
    if request.url_rule is None:
        return False
    return request.method not in SAFE_METHODS or request.url_rule.rule.startswith(ADMIN_PREFIX)


def entry_for(response: Response, clock: Clock, log: AuditLog) -> AuditEntry:
    """The audit entry of the current request and its ``response``."""
    assert request.url_rule is not None
    principal = g.get("principal")
    endpoint = request.endpoint or ""
    if isinstance(principal, Principal):
        kind, actor_id = principal.kind, principal.id
        roles, client_id = tuple(sorted(r.value for r in principal.roles)), principal.client_id
    elif request.blueprint and request.blueprint.endswith("_webhooks"):
        kind, actor_id, roles, client_id = "webhook", request.blueprint.removesuffix("_webhooks"), (), None
    else:
        kind, actor_id, roles, client_id = "anonymous", None, (), None
    target = "/".join(str(v) for v in (request.view_args or {}).values()) or None
    return AuditEntry(
        occurred_at=clock.now(),
        actor_kind=kind,
        actor_id=actor_id,
        method=request.method,
        route=request.url_rule.rule,
        action=endpoint.rpartition(".")[2],
        status=response.status_code,
        request_id=str(g.get("request_id") or ""),
        roles=roles,
        client_id=client_id,
        target_id=target,
        client_ip_hash=log.hash_ip(request.remote_addr),
    )


def install_audit(app: Flask, log: AuditLog, clock: Clock) -> None:
    """Append an entry after every audited request (see the module docstring)."""

    @app.after_request
    def _audit(response: Response) -> Response:
        if audited():
            try:
                log.append(entry_for(response, clock, log))
            except Exception:
                logger.exception("audit entry for %s %s not written", request.method, request.endpoint)
        return response
