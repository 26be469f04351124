"""Bearer JWT validation (``adapters/jwt_verifier.py``) against RFC 8725's attacks, with pinned keys: every
refusal names its reason, and only a token from the right issuer, for this API, in its lifetime, signed
with an allowed asymmetric algorithm by a published key, becomes a principal."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from reference_service.adapters.jwt_verifier import JwtVerifier, PinnedKeys, TokenRejected
from reference_service.domain.access import Role
from tests.auth import AUDIENCE, ISSUER, KID, auth_issuer

pytestmark = pytest.mark.security


def verifier(**overrides: Any) -> JwtVerifier:
    options: dict[str, Any] = {
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "client_ids": (),
        "algorithms": ("RS256", "ES256"),
        "leeway": 30,
        "roles_claim": "roles",
        "keys": PinnedKeys(auth_issuer().jwks),
    }
    return JwtVerifier(**{**options, **overrides})


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def rejected(token: str, **overrides: Any) -> str:
    with pytest.raises(TokenRejected) as caught:
        verifier(**overrides).verify(token)
    return caught.value.code


def test_a_good_token_becomes_a_principal_with_known_roles_only() -> None:
    token = auth_issuer().token("support", "usr_7", roles=["support", "wizard"])
    principal = verifier().verify(token)
    assert (principal.kind, principal.id, principal.roles) == ("token", "usr_7", frozenset({Role.SUPPORT}))
    assert principal.client_id == "genai-demo-tests" and principal.label == "token:usr_7"


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        # times are offsets from when the test runs (collection may be many minutes earlier)
        ({"exp": -120}, "expired"),
        ({"nbf": 600}, "not_yet_valid"),
        ({"iat": 600}, "not_yet_valid"),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"aud": "another-api"}, "audience"),
        ({"sub": None}, "missing_claim"),
    ],
    ids=["expired", "nbf-future", "iat-future", "wrong-issuer", "wrong-audience", "no-subject"],
)
def test_claims_are_checked(claims: dict[str, Any], code: str) -> None:
    now = int(time.time())
    claims = {k: now + v if k in ("exp", "nbf", "iat") else v for k, v in claims.items()}
    token = auth_issuer().token("admin", **claims)
    if claims.get("sub", "") is None:  # drop the claim itself
        header, payload, signature = token.split(".")
        body = json.loads(base64.urlsafe_b64decode(payload + "=="))
        body.pop("sub")
        token = jwt.encode(body, auth_issuer().private_key, "ES256", headers={"kid": KID})
    assert rejected(token) == code


def test_the_skew_allowance_accepts_a_token_just_expired() -> None:
    token = auth_issuer().token("admin", exp=int(time.time()) - 10)
    assert verifier().verify(token).id == "usr_test_admin"
    assert rejected(token, leeway=0) == "expired"


def test_a_tampered_payload_fails_the_signature() -> None:
    header, payload, signature = auth_issuer().token("customer", "cus_1").split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=="))
    body["roles"] = ["admin"]
    forged = ".".join([header, b64(json.dumps(body).encode()), signature])
    assert rejected(forged) == "signature"


def test_alg_none_is_refused() -> None:
    body = jwt.decode(auth_issuer().token("admin"), options={"verify_signature": False})
    unsigned = (
        b64(json.dumps({"alg": "none", "kid": KID}).encode()) + "." + b64(json.dumps(body).encode()) + "."
    )
    assert rejected(unsigned) == "algorithm"


def test_hs256_signed_with_the_public_key_is_refused() -> None:
    """The RS/HS confusion (RFC 8725 §2.1): an HMAC 'signed' with the published public key."""
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True), "kid": "rsa-1"}
    pem = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    body = jwt.decode(auth_issuer().token("admin"), options={"verify_signature": False})
    header = b64(json.dumps({"alg": "HS256", "kid": "rsa-1", "typ": "JWT"}).encode())
    payload = b64(json.dumps(body).encode())
    signature = b64(hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest())
    keys = PinnedKeys({"keys": [jwk]})
    assert rejected(f"{header}.{payload}.{signature}", keys=keys) == "algorithm"
    # even with HS256 "allowed", the key's type does not fit the algorithm
    assert (
        rejected(f"{header}.{payload}.{signature}", keys=keys, algorithms=("HS256", "RS256")) == "algorithm"
    )


def test_a_key_whose_type_does_not_fit_the_algorithm_is_refused() -> None:
    token = auth_issuer().token("admin")  # signed with the EC key, then relabelled RS256
    header, payload, signature = token.split(".")
    lying = b64(json.dumps({"alg": "RS256", "kid": KID, "typ": "at+jwt"}).encode())
    assert rejected(f"{lying}.{payload}.{signature}") == "algorithm"


def test_an_unknown_kid_and_a_missing_kid_are_refused() -> None:
    assert rejected(auth_issuer().token("admin", headers={"kid": "other"})) == "unknown_kid"
    token = jwt.encode({"sub": "x"}, auth_issuer().private_key, "ES256")
    assert rejected(token) == "malformed"
    assert rejected("not.a.jwt") == "malformed"


def test_allowed_clients_and_the_roles_claim_are_configurable() -> None:
    token = auth_issuer().token(None, "user-1", client_id="web", **{"cognito:groups": ["admin"]})
    principal = verifier(audience=None, client_ids=("web",), roles_claim="cognito:groups").verify(token)
    assert principal.roles == frozenset({Role.ADMIN})
    assert rejected(token, audience=None, client_ids=("mobile",)) == "client"
