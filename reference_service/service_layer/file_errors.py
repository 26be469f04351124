"""The files area's errors; each maps to one problem+json type in ``entrypoints/errors.py``."""

from __future__ import annotations

from reference_service.service_layer.errors import ServiceError

#: the seed's ``FileUploadResult.failure`` message, shown to the client as the problem's detail
UPLOAD_FAILED = "File upload failed"


class FileRejected(ServiceError):
    """The file is not acceptable for its category: ``reason`` is ``type`` (its bytes are not an allowed
    content type: 415 ``file-type-not-allowed``) or ``size`` (over the category's maximum: 413
    ``file-too-large``), or ``empty`` / ``category`` (422)."""

    def __init__(self, reason: str, message: str, *, field: str = "file") -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.field = field


class FileTooLarge(FileRejected):
    def __init__(self, max_bytes: int) -> None:
        super().__init__("size", f"The file is larger than this category's maximum of {max_bytes} bytes.")
        self.max_bytes = max_bytes


class FileUploadFailed(ServiceError):
    """The bucket kept failing after the retry policy (503 ``file-upload-failed``, detail "File upload
    failed"); nothing was left behind (the object was removed, and no row points at it)."""

    def __init__(self) -> None:
        super().__init__(UPLOAD_FAILED)


class StorageUnavailable(ServiceError):
    """The bucket could not be reached for a read, a presign check or a delete (503)."""

    retryable = True


FILE_ERRORS = (FileRejected, FileUploadFailed, StorageUnavailable)
