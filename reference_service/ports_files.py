"""Ports of the files area (kept beside ``ports.py``, which is past its size budget): the object store,
the invoice renderer and the source of carrier labels. Each has a real adapter (``adapters/s3_store.py``,
``adapters/invoice_pdf.py``, ``adapters/label_source.py``) and a fake in ``tests/fakes.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any, Protocol

from reference_service.domain.files import StoredFile
from reference_service.domain.orders import Order


@dataclass(frozen=True)
class StoredObject:
    """What the store says it holds after an upload: ``sha256`` is hex, computed while streaming."""

    size: int
    sha256: str
    content_type: str


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    last_modified: datetime
    content_type: str | None = None


@dataclass(frozen=True)
class PresignedPost:
    """A browser upload form: POST ``fields`` (then the file) to ``url`` before ``expires_at``."""

    url: str
    fields: dict[str, str]
    expires_at: datetime


@dataclass(frozen=True)
class LifecycleRule:
    """Objects under ``prefix`` expire ``days`` after they were stored (S3 lifecycle ``Expiration``)."""

    prefix: str
    days: int
    id: str = field(default="")

    @property
    def rule_id(self) -> str:
        return self.id or f"expire-{self.prefix.strip('/')}"


class FileStorage(Protocol):
    """An object store (S3). Every failing call raises ``ProviderError`` (``retryable`` says whether the
    retry policy may help) after that policy has run; content problems raise ``FileRejected``."""

    def detect(self, head: bytes) -> str | None:
        """The content type the first bytes of a file show (magic numbers), or ``None``."""
        ...

    def put(
        self,
        key: str,
        stream: IO[bytes],
        *,
        content_type: str,
        max_bytes: int,
        metadata: Mapping[str, str],
    ) -> StoredObject:
        """Store ``stream`` (from its current position) under ``key``: read in chunks, never whole, and
        refused as soon as it passes ``max_bytes`` (``FileTooLarge``; nothing is left in the bucket).
        Large files go up in parts. The store verifies the SHA-256 and encrypts at rest. A seekable
        stream is retried under the retry policy."""
        ...

    def sniff(self, key: str) -> str | None:
        """The content type of the stored object's first bytes (``None``: not a known type)."""
        ...

    def digest(self, key: str) -> tuple[int, str]:
        """Size and hex SHA-256 of a stored object, read as a stream."""
        ...

    def head(self, key: str) -> ObjectInfo | None:
        """The object's size and date, or ``None`` if there is none."""
        ...

    def read(self, key: str) -> bytes:
        """The whole object (small ones only: tests, a label check)."""
        ...

    def presigned_get(self, key: str, expires_in: int) -> str:
        """A URL any HTTP client may GET for ``expires_in`` seconds."""
        ...

    def presigned_post(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int
    ) -> PresignedPost:
        """A form whose policy allows exactly ``key``, ``content_type`` and at most ``max_bytes``."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; removing a missing one is not an error."""
        ...

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Every object under ``prefix``, page by page."""
        ...

    def ensure_bucket(self, rules: Collection[LifecycleRule]) -> None:
        """Create the bucket if missing and set its lifecycle to ``rules`` (replacing the service's own)."""
        ...

    def lifecycle(self) -> list[LifecycleRule]:
        """The expiration rules the bucket has now."""
        ...

    def check_health(self) -> dict[str, Any]:
        """Raises if the bucket cannot be reached."""
        ...


class InvoiceRenderer(Protocol):
    def render(self, order: Order, *, invoice_number: str, issued_at: datetime) -> bytes:
        """The invoice of a paid order as a PDF document."""
        ...


class LabelSource(Protocol):
    def fetch(self, url: str, max_bytes: int) -> IO[bytes]:
        """Download the carrier's label image at ``url`` into a temporary file (rewound), refusing more
        than ``max_bytes``; raises ``ProviderError`` (retryable for network errors and 5xx)."""
        ...


class FileRepository(Protocol):
    """The metadata rows of stored files (each call is its own transaction)."""

    def add(self, file: StoredFile) -> None:
        """Insert a new row (its ``key`` is unique)."""
        ...

    def save(self, file: StoredFile) -> None:
        """Write back a row's changed fields."""
        ...

    def get(self, file_id: str) -> StoredFile | None: ...

    def remove(self, file_id: str) -> None: ...

    def find(self, order_id: str, category: str) -> StoredFile | None:
        """The file of ``category`` produced for an order (its invoice, its label), if any."""
        ...

    def for_order(self, order_id: str) -> list[StoredFile]: ...

    def owned_by(self, owner_ref: str) -> list[StoredFile]: ...

    def by_key(self, key: str) -> StoredFile | None: ...

    def pending_before(self, cutoff: datetime, limit: int) -> list[StoredFile]:
        """``PENDING`` rows created before ``cutoff``: uploads abandoned mid-way."""
        ...
