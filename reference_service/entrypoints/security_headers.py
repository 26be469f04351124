"""Security headers on every response (OWASP Secure Headers Project).

* ``Strict-Transport-Security: max-age=<HSTS_MAX_AGE_SECONDS>; includeSubDomains`` on HTTPS responses
  only (RFC 6797 §7.2: a browser ignores it over plain HTTP, and it must not pin a lab that has no TLS);
* ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy: no-referrer``,
  ``Cross-Origin-Opener-Policy: same-origin``;
* ``Content-Security-Policy``: ``default-src 'none'; frame-ancestors 'none'`` for the API; the Swagger UI
  page gets its own policy allowing its bundled script and styles from this origin and, by hash, the
  inline script that starts it;
* ``Cache-Control: no-store`` on ``/api/`` answers that set no caching of their own (they carry personal
  and payment data).
"""

from __future__ import annotations

import base64
import hashlib

from flask import Flask, Response, request

from reference_service.config import Settings

API_CSP = "default-src 'none'; frame-ancestors 'none'"


def docs_csp(inline_script: str) -> str:
    """The Swagger UI page's policy: its files from this origin, its inline start-up script by hash."""
    digest = base64.b64encode(hashlib.sha256(inline_script.encode()).digest()).decode()
    return (
        f"default-src 'self'; script-src 'self' 'sha256-{digest}'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'"
    )


def install_security_headers(app: Flask, settings: Settings, docs_policy: str) -> None:
    hsts = f"max-age={settings.hsts_max_age_seconds}; includeSubDomains"

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        is_docs = request.path == "/docs" or request.path.startswith("/docs/")
        headers.setdefault("Content-Security-Policy", docs_policy if is_docs else API_CSP)
        if request.is_secure and settings.hsts_max_age_seconds:
            headers.setdefault("Strict-Transport-Security", hsts)
        if request.path.startswith("/api/") and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"
        return response
