"""Stored files: the categories a file may belong to, and the metadata the service keeps of each one.

Pure domain. A :class:`FileCategory` says where its objects live in the bucket (``path``), which content
types it accepts (checked against the bytes, never only the client's header), how large one may be and
how long it is kept (``retention_days``; ``None``: until deleted). ``CATEGORIES`` is the one table; the
service's settings may shorten or lengthen a category's retention and size (``FILES_*`` settings).

A file's object key is ``<category path>/<ULID><.ext>``: the ULID makes it unique and sortable, the
extension is the sanitised one of the original name (or the one of the detected type). The original
name is kept as metadata only. A file row is ``PENDING`` until its object is known to be in the bucket
(uploaded by the service, or confirmed after a presigned POST), then ``STORED``; ``genai-demo reconcile
files`` removes what a crash left half-done (see ``service_layer/handlers/files.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

_EXTENSION = re.compile(r"^[a-z0-9]{1,10}$")

#: the extension to use for a detected content type when the original name has none we accept
EXTENSIONS: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "application/pdf": "pdf",
}


class FileStatus(StrEnum):
    PENDING = "PENDING"
    STORED = "STORED"


class FileCategoryName(StrEnum):
    PRODUCT_IMAGES = "product_images"
    INVOICES = "invoices"
    SHIPPING_LABELS = "shipping_labels"
    RETURN_DOCUMENTS = "return_documents"


@dataclass(frozen=True)
class FileCategory:
    """Where files of one kind go and what they may be."""

    name: FileCategoryName
    path: str
    content_types: frozenset[str]
    max_bytes: int
    #: days an object is kept after it was stored (``None``: until deleted)
    retention_days: int | None
    #: whether a customer may upload into it (their own return documents); other categories are the
    #: service's (invoices, labels) or the shop's (product images)
    customer_upload: bool = False

    def accepts(self, content_type: str) -> bool:
        return content_type in self.content_types

    def with_limits(self, *, max_bytes: int | None = None, retention_days: int | None = -1) -> FileCategory:
        """This category with another size limit and/or retention (``-1``: keep the retention)."""
        return replace(
            self,
            max_bytes=self.max_bytes if max_bytes is None else max_bytes,
            retention_days=self.retention_days if retention_days == -1 else retention_days,
        )


_IMAGES = frozenset({"image/jpeg", "image/png", "image/webp"})
_MB = 1024 * 1024

#: the default categories (the settings adjust sizes and retentions: ``FileCategories.from_settings``)
CATEGORIES: dict[FileCategoryName, FileCategory] = {
    c.name: c
    for c in (
        FileCategory(FileCategoryName.PRODUCT_IMAGES, "product-images", _IMAGES, 10 * _MB, None),
        # invoices are kept 10 years (commercial and tax records, e.g. HGB §257 / most EU member states)
        FileCategory(FileCategoryName.INVOICES, "invoices", frozenset({"application/pdf"}), 5 * _MB, 3650),
        FileCategory(
            FileCategoryName.SHIPPING_LABELS,
            "shipping-labels",
            frozenset({"application/pdf", "image/png", "image/gif"}) | _IMAGES,
            5 * _MB,
            365,
        ),
        FileCategory(
            FileCategoryName.RETURN_DOCUMENTS,
            "return-documents",
            frozenset({"application/pdf"}) | _IMAGES,
            20 * _MB,
            730,
            customer_upload=True,
        ),
    )
}


def sanitised_extension(filename: str | None, content_type: str) -> str:
    """The extension for a stored object: the original name's, lower-cased, if it is plain ASCII
    letters/digits and matches what the bytes are; else the usual one of ``content_type``."""
    wanted = EXTENSIONS.get(content_type, "bin")
    if filename and "." in filename:
        ext = filename.rsplit(".", 1)[1].strip().lower()
        if _EXTENSION.match(ext) and (ext == wanted or (ext == "jpeg" and wanted == "jpg")):
            return ext
    return wanted


def sanitised_name(filename: str | None) -> str | None:
    """The original name as metadata: its last path segment, printable, at most 200 characters."""
    if not filename:
        return None
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return cleaned[:200] or None


def object_key(category: FileCategory, file_id: str, extension: str) -> str:
    return f"{category.path}/{file_id}.{extension}"


@dataclass
class StoredFile:
    """The metadata row of one object in the bucket."""

    id: str
    key: str
    category: FileCategoryName
    content_type: str
    status: FileStatus
    created_at: datetime
    size: int | None = None
    #: hex SHA-256 of the content (the service computed it while streaming; S3 verified it)
    sha256: str | None = None
    original_name: str | None = None
    #: the customer who owns it (``customer_ref``), if any
    owner_ref: str | None = None
    #: the order it belongs to (invoices, labels), if any
    order_id: str | None = None
    stored_at: datetime | None = None
    #: the largest size a presigned POST may upload (``PENDING`` direct uploads only)
    max_bytes: int | None = None

    def stored(self, *, size: int, sha256: str, at: datetime) -> None:
        self.size, self.sha256, self.stored_at, self.status = size, sha256, at, FileStatus.STORED
