"""Wiring of the security area: the bearer-token verifier, the API-key store and the audit trail.

The verifier trusts ``AUTH_ISSUER``: with its pinned keys (``AUTH_JWKS``) or the keys at
``AUTH_JWKS_URL`` (else the issuer's discovery document), fetched on first use, never at start-up. The
area adds nothing to the message bus; the HTTP layer (``entrypoints/access.py``) uses it per request.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from reference_service.adapters.api_keys import ApiKeyStore
from reference_service.adapters.audit_log import AuditLog
from reference_service.adapters.database import autocommit_engine
from reference_service.adapters.jwt_verifier import JwtVerifier, KeySource, PinnedKeys, RemoteKeys
from reference_service.bootstrap import Platform, Wiring
from reference_service.config import Settings
from reference_service.observability.metrics import ServiceMetrics

logger = logging.getLogger(__name__)


@dataclass
class SecurityArea:
    verifier: JwtVerifier
    api_keys: ApiKeyStore
    audit: AuditLog


def key_source(settings: Settings, metrics: ServiceMetrics) -> KeySource:
    """Pinned keys when ``AUTH_JWKS`` is set, else the issuer's JWK Set over HTTP."""
    if settings.auth_jwks:
        return PinnedKeys(json.loads(settings.auth_jwks))

    def stale() -> None:
        metrics.jwks_stale.inc()
        logger.warning("JWK Set fetch failed; verifying with the keys fetched before")

    return RemoteKeys(
        settings.auth_issuer,
        settings.auth_jwks_url,
        cache_seconds=settings.auth_jwks_cache_seconds,
        cooldown_seconds=settings.auth_jwks_refresh_cooldown_seconds,
        timeout=settings.auth_jwks_timeout_seconds,
        on_stale=stale,
    )


def build(platform: Platform) -> tuple[SecurityArea, Wiring]:
    settings = platform.settings
    verifier = JwtVerifier(
        issuer=settings.auth_issuer,
        audience=settings.auth_audience or None,
        client_ids=settings.auth_client_id_list,
        algorithms=settings.auth_algorithm_list,
        leeway=settings.auth_leeway_seconds,
        roles_claim=settings.auth_roles_claim,
        keys=key_source(settings, platform.metrics),
    )
    gate = platform.engines.write_gate
    api_keys = ApiKeyStore(
        platform.write_sessions, platform.read_sessions, platform.clock, platform.ids, gate
    )
    ip_key = AuditLog.ip_key_from(settings.pii_encryption_key.get_secret_value())
    audit = AuditLog(platform.write_sessions, platform.read_sessions, ip_key, gate,
                     autocommit=autocommit_engine(platform.engines.write))  # fmt: skip
    return SecurityArea(verifier, api_keys, audit), Wiring()
