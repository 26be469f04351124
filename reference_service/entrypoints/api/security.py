"""``/api/v1/admin/api-keys`` and ``/api/v1/admin/audit``: API keys and the audit trail (admin only).

Create a key (the whole key is in the answer once, never again)::

    curl -s localhost:8000/api/v1/admin/api-keys -H "Authorization: Bearer $ADMIN_TOKEN" \\
      -H 'Content-Type: application/json' -d '{"name": "nightly-export", "roles": ["support"]}'
    curl -s localhost:8000/api/v1/orders -H "X-API-Key: gdk_..."

Rotate (``POST .../{id}/rotate``: a new key; the old one is revoked at once) and revoke (``DELETE
.../{id}``). ``GET /api/v1/admin/audit`` lists audited calls, newest first, filtered by actor, action,
outcome and time; the CLI does the same with ``genai-demo api-key ...``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from flask import Blueprint, Response
from pydantic import AwareDatetime, BaseModel, Field, StringConstraints

from reference_service.adapters.api_keys import ApiKey
from reference_service.adapters.audit_log import AuditEntry
from reference_service.bootstrap import Container
from reference_service.domain.access import Permission
from reference_service.entrypoints.access import current_principal, requires
from reference_service.entrypoints.api.responses import render
from reference_service.entrypoints.api.schemas import StrictModel, Timestamp
from reference_service.entrypoints.api.spec import ApiSpec
from reference_service.service_layer.errors import NotFound

KeyRole = Literal["service", "support", "admin"]
KeyName = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9 ._:/-]+$")]


class CreateApiKeyRequest(StrictModel):
    """A new API key: what it is for, its roles and how long it lives."""

    name: KeyName = Field(description="What the key is for (shown in listings and the audit trail)")
    roles: list[KeyRole] = Field(min_length=1, max_length=3, description="Roles the key acts with")
    expires_in_days: Annotated[int | None, Field(ge=1, le=3650, description="Unset: never expires")] = None


class ApiKeyOut(BaseModel):
    id: str
    object: Literal["api_key"] = "api_key"
    prefix: str = Field(description="The public start of the key (gdk_ + 12 characters)")
    name: str
    roles: list[str]
    status: Literal["active", "revoked", "expired"]
    created_by: str
    created_at: Timestamp
    expires_at: Timestamp | None
    last_used_at: Timestamp | None
    revoked_at: Timestamp | None
    replaced_by: str | None

    @classmethod
    def of(cls, key: ApiKey, now: datetime) -> ApiKeyOut:
        return cls(
            id=key.id,
            prefix=key.prefix,
            name=key.name,
            roles=list(key.roles),
            status=key.status(now),
            created_by=key.created_by,
            created_at=key.created_at,
            expires_at=key.expires_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
            replaced_by=key.replaced_by,
        )


class CreatedApiKeyOut(ApiKeyOut):
    key: str = Field(description="The whole key: shown this once, stored only as a hash")


class ApiKeyListOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[ApiKeyOut]


class ListApiKeysQuery(BaseModel):
    include_revoked: bool = False


class AuditQuery(BaseModel):
    limit: Annotated[int, Field(ge=1, le=500)] = 100
    starting_after: Annotated[int | None, Field(ge=1, description="The last id of the previous page")] = None
    actor_id: Annotated[str | None, Field(max_length=200, description="Token subject or API key id")] = None
    action: Annotated[str | None, Field(max_length=100, description="operationId, e.g. cancelOrder")] = None
    outcome: Literal["succeeded", "denied", "rejected", "failed"] | None = None
    since: AwareDatetime | None = None


class AuditEntryOut(BaseModel):
    id: int
    occurred_at: Timestamp
    actor_kind: str = Field(description="token, api_key, webhook or anonymous")
    actor_id: str | None
    roles: list[str]
    client_id: str | None
    method: str
    route: str
    action: str
    target_id: str | None
    status: int
    outcome: str
    request_id: str
    client_ip_hash: str | None = Field(description="HMAC of the caller's IP (equal IPs match)")

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        assert entry.id is not None
        return cls(
            id=entry.id,
            occurred_at=entry.occurred_at,
            actor_kind=entry.actor_kind,
            actor_id=entry.actor_id,
            roles=list(entry.roles),
            client_id=entry.client_id,
            method=entry.method,
            route=entry.route,
            action=entry.action,
            target_id=entry.target_id,
            status=entry.status,
            outcome=entry.outcome,
            request_id=entry.request_id,
            client_ip_hash=entry.client_ip_hash,
        )


class AuditListOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[AuditEntryOut]
    has_more: bool
    next_cursor: int | None


def build_blueprint(container: Container, spec: ApiSpec) -> Blueprint:
    bp = Blueprint("security_admin", __name__, url_prefix="/api/v1/admin")
    keys = container.security.api_keys
    tags = ["admin"]

    def actor() -> str:
        principal = current_principal()
        return principal.label if principal is not None else "unknown"

    @spec.operation(
        bp,
        "/api-keys",
        "POST",
        operation_id="createApiKey",
        summary="Create an API key (the key is shown once)",
        tags=tags,
        body=CreateApiKeyRequest,
        responses={201: (CreatedApiKeyOut, "The key, with its secret")},
    )
    @requires(Permission.API_KEYS_MANAGE)
    def create_api_key(body: CreateApiKeyRequest) -> Response:
        now = container.clock.now()
        expires = now + timedelta(days=body.expires_in_days) if body.expires_in_days else None
        key, secret = keys.create(body.name, body.roles, actor(), expires)
        out = CreatedApiKeyOut(**ApiKeyOut.of(key, now).model_dump(), key=secret)
        return render(out, 201, {"Location": f"/api/v1/admin/api-keys/{key.id}", "Cache-Control": "no-store"})

    @spec.operation(
        bp,
        "/api-keys",
        "GET",
        operation_id="listApiKeys",
        summary="API keys, newest first (never their secrets)",
        tags=tags,
        query=ListApiKeysQuery,
        responses={200: (ApiKeyListOut, "The keys")},
    )
    @requires(Permission.API_KEYS_MANAGE)
    def list_api_keys(query: ListApiKeysQuery) -> Response:
        now = container.clock.now()
        return render(ApiKeyListOut(data=[ApiKeyOut.of(k, now) for k in keys.list(query.include_revoked)]))

    @spec.operation(
        bp,
        "/api-keys/<key_id>",
        "GET",
        operation_id="getApiKey",
        summary="One API key",
        tags=tags,
        responses={200: (ApiKeyOut, "The key")},
        errors={404: "not-found: no key has this id"},
    )
    @requires(Permission.API_KEYS_MANAGE)
    def get_api_key(key_id: str) -> Response:
        key = keys.get(key_id)
        if key is None:
            raise NotFound("api key", key_id)
        return render(ApiKeyOut.of(key, container.clock.now()))

    @spec.operation(
        bp,
        "/api-keys/<key_id>/rotate",
        "POST",
        operation_id="rotateApiKey",
        summary="Replace a key with a new one (same name, roles, expiry); the old one is revoked",
        tags=tags,
        responses={201: (CreatedApiKeyOut, "The new key, with its secret")},
        errors={404: "not-found: no active key has this id"},
    )
    @requires(Permission.API_KEYS_MANAGE)
    def rotate_api_key(key_id: str) -> Response:
        rotated = keys.rotate(key_id, actor())
        if rotated is None:
            raise NotFound("active api key", key_id)
        key, secret = rotated
        out = CreatedApiKeyOut(**ApiKeyOut.of(key, container.clock.now()).model_dump(), key=secret)
        return render(out, 201, {"Location": f"/api/v1/admin/api-keys/{key.id}", "Cache-Control": "no-store"})

    @spec.operation(
        bp,
        "/api-keys/<key_id>",
        "DELETE",
        operation_id="revokeApiKey",
        summary="Revoke a key (idempotent); it is refused from now on",
        tags=tags,
        responses={200: (ApiKeyOut, "The revoked key")},
        errors={404: "not-found: no key has this id"},
    )
    @requires(Permission.API_KEYS_MANAGE)
    def revoke_api_key(key_id: str) -> Response:
        key = keys.revoke(key_id)
        if key is None:
            raise NotFound("api key", key_id)
        return render(ApiKeyOut.of(key, container.clock.now()))

    @spec.operation(
        bp,
        "/audit",
        "GET",
        operation_id="listAuditEntries",
        summary="The audit trail: mutating calls and admin reads, newest first",
        tags=tags,
        query=AuditQuery,
        responses={200: (AuditListOut, "One page of entries")},
    )
    @requires(Permission.AUDIT_READ)
    def list_audit(query: AuditQuery) -> Response:
        entries, more = container.security.audit.query(
            limit=query.limit,
            before_id=query.starting_after,
            actor_id=query.actor_id,
            action=query.action,
            outcome=query.outcome,
            since=query.since,
        )
        data = [AuditEntryOut.of(e) for e in entries]
        cursor = data[-1].id if more and data else None
        return render(AuditListOut(data=data, has_more=more, next_cursor=cursor))

    return bp
