"""Request and response models of the files API (``entrypoints/api/files.py``) and the files of an order.
The OpenAPI document is rendered from them; ``contracts/schemas/api/files/`` holds the same shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reference_service.domain.files import FileCategoryName, FileStatus, StoredFile
from reference_service.entrypoints.api.schemas import OrderOut, Timestamp
from reference_service.service_layer.handlers.files import DirectUpload, FileLink


class FileOut(BaseModel):
    """A stored file with a presigned GET URL valid until ``url_expires_at`` (1 h by default)."""

    id: str
    object: Literal["file"] = "file"
    key: str
    category: FileCategoryName
    content_type: str
    size: int
    sha256: str = Field(description="Hex SHA-256 of the content (S3 verified it on upload).")
    original_name: str | None
    owner_ref: str | None
    order_id: str | None
    status: FileStatus
    created_at: Timestamp
    stored_at: Timestamp | None
    url: str
    url_expires_at: Timestamp

    @classmethod
    def from_link(cls, link: FileLink) -> FileOut:
        f = link.file
        return cls(
            id=f.id,
            key=f.key,
            category=f.category,
            content_type=f.content_type,
            size=f.size or 0,
            sha256=f.sha256 or "",
            original_name=f.original_name,
            owner_ref=f.owner_ref,
            order_id=f.order_id,
            status=f.status,
            created_at=f.created_at,
            stored_at=f.stored_at,
            url=link.url,
            url_expires_at=link.expires_at,
        )


class DeletedFileOut(BaseModel):
    id: str
    object: Literal["file"] = "file"
    deleted: Literal[True] = True


class DirectUploadRequest(BaseModel):
    """Ask for a presigned POST to upload straight to S3 (a browser form)."""

    model_config = ConfigDict(extra="forbid")

    category: FileCategoryName
    content_type: str = Field(min_length=3, max_length=100, pattern=r"^[a-z]+/[a-z0-9.+-]+$")
    size: int = Field(gt=0, description="The file's size in bytes; the policy allows no more.")
    filename: str | None = Field(None, max_length=255)
    owner_ref: str | None = Field(None, max_length=128, description="Admins only: whose file it is.")


class PresignedPostOut(BaseModel):
    url: str
    fields: dict[str, str]
    expires_at: Timestamp


class DirectUploadOut(BaseModel):
    """POST ``upload.fields`` plus the file (as the last form field ``file``) to ``upload.url``, then
    ``POST /api/v1/files/uploads/{id}/confirm``."""

    id: str
    object: Literal["file_upload"] = "file_upload"
    key: str
    category: FileCategoryName
    content_type: str
    status: FileStatus
    upload: PresignedPostOut
    confirm_url: str

    @classmethod
    def from_domain(cls, upload: DirectUpload) -> DirectUploadOut:
        f = upload.file
        return cls(
            id=f.id,
            key=f.key,
            category=f.category,
            content_type=f.content_type,
            status=f.status,
            upload=PresignedPostOut(
                url=upload.post.url, fields=upload.post.fields, expires_at=upload.post.expires_at
            ),
            confirm_url=f"/api/v1/files/uploads/{f.id}/confirm",
        )


class OrderFileOut(BaseModel):
    """A file of an order (its invoice, its shipping label) with a fresh presigned URL."""

    id: str
    category: FileCategoryName
    content_type: str
    size: int
    sha256: str
    created_at: Timestamp
    url: str
    url_expires_at: Timestamp

    @classmethod
    def of(cls, file: StoredFile, url: str, expires_at: datetime) -> OrderFileOut:
        return cls(
            id=file.id,
            category=file.category,
            content_type=file.content_type,
            size=file.size or 0,
            sha256=file.sha256 or "",
            created_at=file.created_at,
            url=url,
            url_expires_at=expires_at,
        )


class OrderDetailOut(OrderOut):
    """An order with its stored files (``GET /api/v1/orders/{id}``)."""

    files: list[OrderFileOut] = Field(default_factory=list)
