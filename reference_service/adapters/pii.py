"""PII encryption at rest (the seed's "PII Encryption: personal identifiable information encrypted
storage"): Fernet tokens (AES-128-CBC + HMAC-SHA256) keyed by ``PII_ENCRYPTION_KEY``.

Several keys may be given, comma-separated, newest first: new data is encrypted with the first, old data
still decrypts with the others (``MultiFernet``), so keys can be rotated. Inspect a stored value with
``python -c "from cryptography.fernet import Fernet; print(Fernet(KEY).decrypt(TOKEN))"`` (never log it).
"""

from __future__ import annotations

from cryptography.fernet import Fernet, MultiFernet


class FernetCipher:
    def __init__(self, keys: str) -> None:
        self._fernet = MultiFernet([Fernet(k.strip()) for k in keys.split(",") if k.strip()])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self._fernet.decrypt(token.encode()).decode()
