"""Masks what the console shows: secrets and personal data never reach the page in clear.

The simulators' journal already masks credential headers; request and webhook **bodies** are shown as
recorded, so :func:`mask_body` masks them here: in JSON and form bodies every value under a key that names
a credential (password, secret, token, key, signature, card number, cvc...) becomes ``****``, and anywhere
in a body e-mail addresses keep their first letter and domain (``a***@example.com``), phone numbers their
last two digits, bearer tokens and JWTs nothing. :func:`mask_headers` does the same to headers (the
webhook attempts' request headers are masked by the simulators too; this is a second line).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

MASK = "****"
#: key names whose values are credentials (compared in lower case, as substrings)
_SECRET_KEYS = (
    "password",
    "passwd",
    "secret",
    "token",
    "signature",
    "credential",
    "authorization",
    "api_key",
    "apikey",
    "private",
    "cvc",
    "cvv",
    "card[number]",
    "card_number",
)
#: keys that name a credential-looking thing that is not one
_ALLOWED_KEYS = ("idempotency", "token_type", "payment_method", "next_page_token")
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PHONE = re.compile(r"(?<![\w.])\+\d{6,13}(\d{2})(?!\w)")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
#: known key formats (Stripe secret/restricted keys, webhook secrets, the service's API keys)
_KEYS = re.compile(r"\b(sk|rk|whsec|gdk)_[A-Za-z0-9_]{6,}")
#: signed URLs (S3 presigned links): their signature and credential parameters
_SIGNED = re.compile(r"(?i)\b(x-amz-signature|x-amz-credential|x-amz-security-token|signature)=[^&\s\"']+")


def secret_key(name: str) -> bool:
    """Whether a field or header called ``name`` holds a credential."""
    lowered = name.lower()
    if any(allowed in lowered for allowed in _ALLOWED_KEYS):
        return False
    return any(word in lowered for word in _SECRET_KEYS)


def mask_text(text: str) -> str:
    """Mask e-mail addresses, phone numbers, JWTs, bearer/basic credentials, known key formats and the
    signature of signed URLs."""
    text = _JWT.sub(MASK, text)
    text = _SIGNED.sub(lambda m: f"{m.group(1)}={MASK}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _KEYS.sub(lambda m: f"{m.group(1)}_{MASK}", text)
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    return _PHONE.sub(lambda m: f"+{'*' * 8}{m.group(1)}", text)


def mask_value(value: Any, key: str = "") -> Any:
    """A JSON value with credential fields replaced and personal data masked, recursively."""
    if key and secret_key(key) and value not in (None, "", [], {}):
        return MASK
    if isinstance(value, Mapping):
        return {k: mask_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_value(v, key) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


def mask_body(body: str | None, content_type: str | None = None) -> str:
    """A request or webhook body ready to show: JSON pretty-printed, forms decoded one field a line, both
    masked field by field; anything else masked as text."""
    if not body:
        return ""
    stripped = body.strip()
    if stripped[:1] in "{[":
        try:
            return json.dumps(mask_value(json.loads(stripped)), indent=2, sort_keys=True)
        except ValueError:
            return mask_text(body)
    form = "x-www-form-urlencoded" in (content_type or "") or ("=" in stripped and " " not in stripped)
    if form:
        pairs = parse_qsl(stripped, keep_blank_values=True)
        if pairs:
            masked = [(k, MASK if secret_key(k) and v else mask_text(v)) for k, v in pairs]
            return "\n".join(f"{k} = {v}" for k, v in masked)
    return mask_text(body)


def mask_headers(headers: Mapping[str, Any] | list[Any] | None) -> list[tuple[str, str]]:
    """Headers as (name, value) pairs with credentials masked (the simulators' masks are kept)."""
    if headers is None:
        return []
    pairs: list[tuple[str, str]]
    if isinstance(headers, Mapping):
        pairs = [(str(k), str(v)) for k, v in headers.items()]
    else:
        pairs = [(str(h[0]), str(h[1])) for h in headers if isinstance(h, (list, tuple)) and len(h) == 2]
    return [(k, MASK if secret_key(k) and k.lower() != "idempotency-key" else mask_text(v)) for k, v in pairs]
