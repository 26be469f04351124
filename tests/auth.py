"""How the test suite authenticates: one test issuer, trusted by every service the tests start.

:func:`auth_issuer` is an ES256 key pair made once per test process. Its public JWK Set is given to the
service as ``AUTH_JWKS`` (the pinned-keys setting, so nothing is fetched) with ``AUTH_ISSUER`` and
``AUTH_AUDIENCE`` (:meth:`TestIssuer.env`, :meth:`TestIssuer.settings`), and it signs RFC 9068 access
tokens for any role and subject (:meth:`TestIssuer.token`). The shared fixtures attach one:

* in-process: ``client`` sends an admin token; ``client_as(role, sub=...)`` another caller;
* processes: ``LiveProcess.http`` / ``LabHandle.http`` are ``requests`` sessions with an admin token,
  ``.session_as(role, sub)`` another caller; ``tests/support.run_service`` passes :meth:`TestIssuer.env`;
* Locust scenarios sign their users' tokens with its key (:meth:`TestIssuer.load_env`).

The tests of authentication itself use the identity simulator (``identity_sim``) and ``genai-demo up``:
this issuer stands in for it everywhere else, so a test that is not about security still runs as an
authenticated caller and never needs a switch that turns authentication off.
"""

from __future__ import annotations

import functools
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import requests
import requests.adapters
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskClient
from jwt.algorithms import ECAlgorithm
from urllib3.util.retry import Retry

ISSUER = "https://issuer.test.genai-demo.example"
AUDIENCE = "genai-demo-api"
KID = "test-issuer-key-1"
#: the subject each role signs in as by default (customers own orders whose customer_ref is their sub)
#: a pooled connection idle this long is not reused: the service closes a kept-alive connection that sends
#: no request headers within SERVICE_HEADER_READ_TIMEOUT_SECONDS (10 s), and a request sent on it at that
#: moment is lost (RemoteDisconnected), a POST included
MAX_IDLE_SECONDS = 5.0


class FreshConnectionsAdapter(requests.adapters.HTTPAdapter):
    """An adapter that drops its pooled connections when it has sent nothing for ``MAX_IDLE_SECONDS``, so a
    request never goes out on a connection the server may be closing for idleness."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._last_send = time.monotonic()

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        now = time.monotonic()
        if now - self._last_send > MAX_IDLE_SECONDS:
            self.poolmanager.clear()  # closes the idle connections; the next request opens a new one
        self._last_send = now
        return super().send(request, *args, **kwargs)


DEFAULT_SUBJECTS = {"admin": "usr_test_admin", "support": "usr_test_support", "service": "svc_test"}


class TestIssuer:
    """An ES256 issuer for tests (see the module docstring)."""

    __test__ = False  # not a test class

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        jwk = ECAlgorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        self.jwks: dict[str, Any] = {"keys": [{**jwk, "kid": KID, "use": "sig", "alg": "ES256"}]}
        self._key_file: Path | None = None

    def env(self) -> dict[str, str]:
        """The service's environment trusting this issuer."""
        return {"AUTH_ISSUER": ISSUER, "AUTH_AUDIENCE": AUDIENCE, "AUTH_JWKS": json.dumps(self.jwks)}

    def load_env(self) -> dict[str, str]:
        """The environment that makes Locust scenarios sign their users' tokens with this issuer's key
        (``load/common/auth.py``); the key is written once to a private temporary file."""
        if self._key_file is None:
            self._key_file = Path(tempfile.mkdtemp(prefix="test-issuer-")) / "key.pem"
        path = self._key_file
        if not path.exists():
            pem = self.private_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            path.write_bytes(pem)
        return {
            "LOAD_SIGNING_KEY_FILE": str(path),
            "LOAD_TOKEN_ISSUER": ISSUER,
            "LOAD_TOKEN_KID": KID,
            "LOAD_TOKEN_AUDIENCE": AUDIENCE,
        }

    def settings(self) -> dict[str, Any]:
        """The same as ``load_settings`` overrides."""
        return {k.lower(): v for k, v in self.env().items()}

    def token(
        self,
        role: str | None = "admin",
        sub: str | None = None,
        *,
        ttl: int = 3600,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A signed access token for ``sub`` (default: the role's test subject) with ``roles: [role]``;
        ``claims`` override or add claims (``iss=``, ``aud=``, ``exp=``...), ``headers`` the JOSE header."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": ISSUER,
            "sub": sub or DEFAULT_SUBJECTS.get(role or "", f"cus_test_{uuid.uuid4().hex[:8]}"),
            "aud": AUDIENCE,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
            "client_id": "genai-demo-tests",
            "roles": [role] if role else [],
            **claims,
        }
        header = {"kid": KID, "typ": "at+jwt", **(headers or {})}
        return jwt.encode(body, self.private_key, algorithm="ES256", headers=header)

    def headers(self, role: str | None = "admin", sub: str | None = None) -> dict[str, str]:
        """``{"Authorization": "Bearer <token>"}``."""
        return {"Authorization": f"Bearer {self.token(role, sub)}"}

    def session(self, role: str | None = "admin", sub: str | None = None) -> requests.Session:
        """A ``requests`` session that sends a token for ``role``.

        A connection idle for ``MAX_IDLE_SECONDS`` is not reused (a module-wide session sits idle between
        tests, and the service closes idle connections). A GET or HEAD that still finds its kept-alive
        connection closed by the server at that very moment (``RemoteDisconnected``) is sent once more on a
        new connection; nothing else is retried, and every answer (a 429 or 503 with Retry-After included)
        reaches the caller."""
        session = requests.Session()
        session.headers.update(self.headers(role, sub))
        # status=0 alone is not enough: urllib3 would still retry a 429 or 503 that has a Retry-After, find
        # its status budget spent and raise, where the caller must see the answer and decide
        retry = Retry(
            total=1,
            connect=0,
            read=1,
            status=0,
            allowed_methods=frozenset({"GET", "HEAD"}),
            respect_retry_after_header=False,
            raise_on_status=False,
        )
        adapter = FreshConnectionsAdapter(max_retries=retry)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session


@functools.cache
def auth_issuer() -> TestIssuer:
    """The one test issuer of this process."""
    return TestIssuer()


def authorized_client(app: Flask, role: str | None = "admin", sub: str | None = None) -> FlaskClient:
    """A Flask test client of ``app`` sending a token of the test issuer for ``role`` (and ``sub``)."""
    test_client = app.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = "Bearer " + auth_issuer().token(role, sub)
    return test_client
