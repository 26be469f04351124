"""Fetching the certificates that sign provider webhooks: only from allowed hosts, checked, cached.

Both PayPal (``PAYPAL-CERT-URL``) and Amazon SNS (``SigningCertURL``) tell the receiver where to fetch
the certificate that signed a delivery, so a forger could point at its own certificate. ``HostPolicy``
decides which URLs may be fetched at all (a provider's own hosts over https, plus configured hosts;
loopback hosts such as the lab's simulators may use plain http); ``SigningCertificates`` fetches without
following redirects, requires the certificate to be valid now and issued to one of the provider's
names (PayPal's SDK checks ``*.paypal.com``; SNS certificates are ``*.amazonaws.com``), and caches the
public key per URL (bounded). Every refusal is ``UrlRejected`` with the reason; callers turn it into
their own error.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from urllib.parse import urlparse

import requests
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class UrlRejected(Exception):
    """The URL may not be fetched, or what it served is not an acceptable signing certificate."""


class HostPolicy:
    """Which URLs may be fetched: hosts ``trusted`` by the provider's rule (https only) or configured."""

    def __init__(
        self, extra_hosts: Iterable[str], trusted: Callable[[str], bool] = lambda _host: False
    ) -> None:
        self.extra = frozenset(h.strip().lower() for h in extra_hosts if h.strip())
        self.trusted = trusted

    def check(self, url: str, what: str) -> None:
        parsed = urlparse(url)
        host = (parsed.hostname or "").lower()
        official = self.trusted(host)
        if not (official or host in self.extra):
            raise UrlRejected(f"{what} host {host or url!r} is not allowed")
        if parsed.scheme != "https" and not (parsed.scheme == "http" and host in LOOPBACK and not official):
            raise UrlRejected(f"{what} must use https")


class SigningCertificates:
    """Public keys of signing certificates, by URL (see the module docstring)."""

    def __init__(
        self,
        policy: HostPolicy,
        *,
        common_name_suffixes: tuple[str, ...],
        path_suffix: str | None = None,
        ttl: float = 3600.0,
        timeout: float = 5.0,
        max_entries: int = 32,
        fetch: Callable[[str], bytes] | None = None,
    ) -> None:
        self.policy = policy
        self.common_name_suffixes = common_name_suffixes
        self.path_suffix = path_suffix
        self.ttl = ttl
        self.max_entries = max_entries
        self._timeout = timeout
        self._fetch = fetch or self._http_get
        self._cache: OrderedDict[str, tuple[float, rsa.RSAPublicKey]] = OrderedDict()
        self._lock = threading.Lock()
        self.fetches = 0

    def _http_get(self, url: str) -> bytes:
        resp = requests.get(url, timeout=self._timeout, allow_redirects=False)
        resp.raise_for_status()
        return resp.content

    def public_key(self, url: str, what: str = "certificate URL") -> rsa.RSAPublicKey:
        self.policy.check(url, what)
        if self.path_suffix and not urlparse(url).path.endswith(self.path_suffix):
            raise UrlRejected(f"{what} is not a {self.path_suffix} certificate")
        with self._lock:
            cached = self._cache.get(url)
            if cached is not None and time.monotonic() - cached[0] < self.ttl:
                return cached[1]
        try:
            self.fetches += 1
            cert = x509.load_pem_x509_certificate(self._fetch(url))
        except (requests.RequestException, ValueError) as exc:
            raise UrlRejected(f"cannot load the signing certificate: {type(exc).__name__}") from None
        now = datetime.now(UTC)
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            raise UrlRejected("the signing certificate is not valid now")
        names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        common_name = str(names[0].value) if names else ""
        if not common_name.endswith(self.common_name_suffixes):
            raise UrlRejected(
                "the signing certificate is not the provider's "
                f"(CN must end in {' or '.join(self.common_name_suffixes)})"
            )
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise UrlRejected("the signing certificate does not hold an RSA key")
        with self._lock:
            self._cache[url] = (time.monotonic(), key)
            self._cache.move_to_end(url)
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return key
