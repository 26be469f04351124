"""Files use cases: upload (through the service, or direct to S3 with a presigned POST and a confirm),
read with a fresh presigned URL, delete, and reconcile what a crash left half-done.

**Nothing is left behind.** A row is written ``PENDING`` before the object is sent, and becomes ``STORED``
only once S3 has the object. If S3 fails (after the retry policy), the object is deleted and the row
removed, and the client gets "File upload failed". If the database fails after the object was stored,
the object is deleted before the error propagates. Should that clean-up fail as well (S3 and the
database down at once, or a crash between two steps), ``reconcile_files`` (``genai-demo reconcile
files``) later removes ``PENDING`` rows older than ``FILES_ORPHAN_GRACE_SECONDS`` with their objects,
and objects that no row names.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from reference_service.domain.files import (
    FileCategory,
    FileCategoryName,
    FileStatus,
    StoredFile,
    object_key,
    sanitised_extension,
    sanitised_name,
)
from reference_service.ports import Clock, IdGenerator
from reference_service.ports_files import FileRepository, FileStorage, PresignedPost
from reference_service.service_layer.errors import NotFound, ProviderError
from reference_service.service_layer.file_errors import (
    FileRejected,
    FileTooLarge,
    FileUploadFailed,
    StorageUnavailable,
)

logger = logging.getLogger(__name__)

SNIFF_BYTES = 4096


@dataclass
class FileDeps:
    """What the files use cases need (``bootstrap/files.py`` builds it; tests pass fakes)."""

    storage: FileStorage
    files: FileRepository
    categories: Mapping[FileCategoryName, FileCategory]
    clock: Clock
    ids: IdGenerator
    url_expiry_seconds: int = 3600
    orphan_grace: timedelta = field(default=timedelta(hours=1))

    def category(self, name: str) -> FileCategory:
        try:
            return self.categories[FileCategoryName(name)]
        except ValueError:
            known = ", ".join(c.value for c in FileCategoryName)
            message = f"Unknown category {name!r}; use one of {known}."
            raise FileRejected("category", message, field="category") from None


@dataclass(frozen=True)
class FileLink:
    """A stored file and a presigned GET valid until ``expires_at``."""

    file: StoredFile
    url: str
    expires_at: datetime


@dataclass(frozen=True)
class DirectUpload:
    file: StoredFile
    post: PresignedPost


class _Prefixed:
    """``head`` then the rest of ``stream``: a one-shot stream whose first bytes were already read."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self._head, self._stream = head, stream

    def read(self, amount: int = -1) -> bytes:
        if not self._head:
            return self._stream.read(amount)
        if amount < 0:
            data, self._head = self._head + self._stream.read(), b""
            return data
        data, self._head = self._head[:amount], self._head[amount:]
        return data


def _new_file(deps: FileDeps, category: FileCategory, content_type: str, filename: str | None) -> StoredFile:
    file_id = deps.ids.new_id("file")
    ulid = file_id.partition("_")[2] or file_id
    return StoredFile(
        id=file_id,
        key=object_key(category, ulid, sanitised_extension(filename, content_type)),
        category=category.name,
        content_type=content_type,
        status=FileStatus.PENDING,
        created_at=deps.clock.now(),
        original_name=sanitised_name(filename),
    )


def _discard(deps: FileDeps, file: StoredFile) -> None:
    """Remove ``file``'s object and row, as far as the store and the database let us (the rest is
    ``reconcile_files``'s)."""
    try:
        deps.storage.delete(file.key)
    except ProviderError:
        logger.warning("could not delete object of file %s; reconcile will", file.id)
        return  # keep the PENDING row: it is how reconcile finds the object
    try:
        deps.files.remove(file.id)
    except Exception:
        logger.warning("could not remove PENDING row of file %s; reconcile will", file.id, exc_info=True)


def upload_file(
    deps: FileDeps,
    stream: IO[bytes],
    *,
    category: str,
    filename: str | None,
    owner_ref: str | None = None,
    order_id: str | None = None,
) -> FileLink:
    """Check the bytes' type, store the stream under a new key (see the module docstring) and return
    the stored file with a presigned URL. Raises ``FileRejected`` (type, size, empty, category) or
    ``FileUploadFailed``; in every case nothing is left behind."""
    cat = deps.category(category)
    seekable = bool(getattr(stream, "seekable", lambda: False)())
    start = stream.tell() if seekable else 0
    head = stream.read(SNIFF_BYTES)
    if not head:
        raise FileRejected("empty", "The file is empty.")
    content_type = deps.storage.detect(head)
    if content_type is None or not cat.accepts(content_type):
        raise FileRejected(
            "type",
            f"The file's content is {content_type or 'of an unknown type'}; the {cat.name.value} category "
            f"accepts {', '.join(sorted(cat.content_types))}.",
        )
    if seekable:
        stream.seek(start)
        body: Any = stream
    else:
        body = _Prefixed(head, stream)
    file = _new_file(deps, cat, content_type, filename)
    file.owner_ref, file.order_id = owner_ref, order_id
    try:
        deps.files.add(file)  # PENDING first: a crash from here on is found by reconcile
    except Exception as exc:  # the database: nothing was sent yet
        logger.warning("recording file %s failed (%s)", file.id, type(exc).__name__)
        raise FileUploadFailed() from exc
    metadata = {"file-id": file.id}
    if file.original_name:
        metadata["original-name"] = file.original_name.encode("ascii", "replace").decode()
    try:
        stored = deps.storage.put(
            file.key, body, content_type=content_type, max_bytes=cat.max_bytes, metadata=metadata
        )
    except FileRejected:
        _discard(deps, file)
        raise
    except ProviderError as exc:
        logger.warning("upload of file %s failed: %s (%s)", file.id, exc.code, exc.provider_code)
        _discard(deps, file)
        raise FileUploadFailed() from exc
    file.stored(size=stored.size, sha256=stored.sha256, at=deps.clock.now())
    try:
        deps.files.save(file)
    except Exception as exc:  # the database: the object must not outlive its missing record
        logger.warning("recording file %s failed (%s); removing its object", file.id, type(exc).__name__)
        _discard(deps, file)
        raise FileUploadFailed() from exc
    return link(deps, file)


def link(deps: FileDeps, file: StoredFile) -> FileLink:
    expires_at = deps.clock.now() + timedelta(seconds=deps.url_expiry_seconds)
    return FileLink(file, deps.storage.presigned_get(file.key, deps.url_expiry_seconds), expires_at)


def get_stored(deps: FileDeps, file_id: str) -> StoredFile:
    file = deps.files.get(file_id)
    if file is None or file.status is not FileStatus.STORED:
        raise NotFound("file", file_id)
    return file


def delete_file(deps: FileDeps, file_id: str) -> StoredFile:
    """Delete the object, then its row (a failing S3 keeps the row: the client may retry)."""
    file = deps.files.get(file_id)
    if file is None:
        raise NotFound("file", file_id)
    try:
        deps.storage.delete(file.key)
    except ProviderError as exc:
        raise StorageUnavailable("The file store is unavailable; retry later.") from exc
    deps.files.remove(file.id)
    return file


def start_direct_upload(
    deps: FileDeps,
    *,
    category: str,
    content_type: str,
    size: int,
    filename: str | None,
    owner_ref: str | None,
) -> DirectUpload:
    """A ``PENDING`` row and a presigned POST whose policy allows exactly this key, type and at most
    ``size`` bytes; the client posts the file to S3, then calls :func:`confirm_direct_upload`."""
    cat = deps.category(category)
    if not cat.accepts(content_type):
        raise FileRejected(
            "type",
            f"The {cat.name.value} category accepts {', '.join(sorted(cat.content_types))}.",
            field="content_type",
        )
    if size > cat.max_bytes:
        raise FileTooLarge(cat.max_bytes)
    file = _new_file(deps, cat, content_type, filename)
    file.owner_ref, file.max_bytes = owner_ref, size
    deps.files.add(file)
    post = deps.storage.presigned_post(
        file.key, content_type=content_type, max_bytes=size, expires_in=deps.url_expiry_seconds
    )
    return DirectUpload(file, post)


def confirm_direct_upload(deps: FileDeps, file_id: str) -> FileLink:
    """Check what the client posted (it exists, is within the size it declared, and its bytes are the
    declared type), record its size and SHA-256, and mark it ``STORED``. A bad object is deleted.
    Confirming a stored file again answers the same file."""
    file = deps.files.get(file_id)
    if file is None:
        raise NotFound("file", file_id)
    if file.status is FileStatus.STORED:
        return link(deps, file)
    try:
        info = deps.storage.head(file.key)
        if info is None:
            raise FileRejected("missing", "Nothing was uploaded for this file yet.", field="file_id")
        if file.max_bytes is not None and info.size > file.max_bytes:
            deps.storage.delete(file.key)
            raise FileTooLarge(file.max_bytes)
        found = deps.storage.sniff(file.key)
        if found != file.content_type:
            deps.storage.delete(file.key)
            what = found or "of an unknown type"
            raise FileRejected("type", f"The uploaded bytes are {what}, not {file.content_type}.")
        size, sha256 = deps.storage.digest(file.key)
    except ProviderError as exc:
        raise StorageUnavailable("The file store is unavailable; retry later.") from exc
    file.stored(size=size, sha256=sha256, at=deps.clock.now())
    deps.files.save(file)
    return link(deps, file)


@dataclass
class ReconcileReport:
    pending_removed: int = 0
    orphans_deleted: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "pending_removed": self.pending_removed,
            "orphan_objects_deleted": self.orphans_deleted,
            "dry_run": self.dry_run,
        }


def reconcile_files(deps: FileDeps, *, dry_run: bool = False, batch: int = 500) -> ReconcileReport:
    """Make rows and objects agree (see the module docstring); only what is older than the grace period
    is touched, so uploads in progress are left alone."""
    report = ReconcileReport(dry_run=dry_run)
    cutoff = deps.clock.now() - deps.orphan_grace
    seen: set[str] = set()
    while True:
        pending = [f for f in deps.files.pending_before(cutoff, batch) if f.id not in seen]
        if not pending:
            break
        for file in pending:
            seen.add(file.id)
            report.pending_removed += 1
            if not dry_run:
                deps.storage.delete(file.key)
                deps.files.remove(file.id)
    for cat in deps.categories.values():
        for obj in deps.storage.list_objects(cat.path + "/"):
            if obj.last_modified >= cutoff:
                continue
            row = deps.files.by_key(obj.key)
            if row is None:
                report.orphans_deleted += 1
                if not dry_run:
                    deps.storage.delete(obj.key)
    return report
