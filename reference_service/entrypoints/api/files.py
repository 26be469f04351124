"""Files: ``POST /api/v1/files`` (multipart upload through the service), ``GET``/``DELETE
/api/v1/files/{id}``, and direct uploads to S3 (``POST /api/v1/files/uploads`` for a presigned POST, then
``POST /api/v1/files/uploads/{id}/confirm``).

Who may: ``files:manage`` uploads and deletes, ``files:read`` reads. A customer's grants reach only their
own files, and they may upload and delete only in a category open to customers (``return_documents``):
they read their invoices and labels but cannot delete them. Admins may name the owner (``owner_ref``)
and the order (``order_id``).

Try it against the lab (``genai-demo up``; ``TOKEN=$(genai-demo token --role admin)``)::

    curl -s localhost:8000/api/v1/files -H "Authorization: Bearer $TOKEN" \\
      -F category=return_documents -F file=@receipt.pdf
    URL=$(curl -s localhost:8000/api/v1/files/$ID -H "Authorization: Bearer $TOKEN" | jq -r .url)
    curl -s "$URL" -o copy.pdf

The multipart body is parsed by Werkzeug, which spools a file part over 500 KiB to a temporary file, so a
large upload never sits in memory; the body may be as large as the largest category allows.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from werkzeug.datastructures import FileStorage as UploadedFile

from reference_service.bootstrap import Container
from reference_service.domain.access import Permission
from reference_service.domain.files import FileCategoryName, StoredFile
from reference_service.entrypoints.access import current_access, requires
from reference_service.entrypoints.api.file_schemas import (
    DeletedFileOut,
    DirectUploadOut,
    DirectUploadRequest,
    FileOut,
)
from reference_service.entrypoints.api.responses import render
from reference_service.entrypoints.api.spec import ApiSpec
from reference_service.entrypoints.errors import FieldError, Problem
from reference_service.service_layer.handlers import files as handlers

UPLOAD_FAILED = "file-upload-failed: S3 kept failing after the retry policy; nothing was stored"
#: room for the multipart envelope and the form's other fields around the file
_ENVELOPE = 64 * 1024


def build_blueprint(container: Container, spec: ApiSpec) -> Blueprint:
    bp = Blueprint("files", __name__, url_prefix="/api/v1")
    tags = ["files"]

    def visible(file_id: str) -> StoredFile:
        """The stored file, or 404 for a file that does not exist or is someone else's."""
        file = handlers.get_stored(container.files.deps(), file_id)
        current_access().require_owner(file.owner_ref or "", "file", file_id)
        return file

    def owner_for(category: FileCategoryName, requested: str | None) -> str | None:
        """Whose file an upload is: a customer's own (only where customers may upload); else as asked."""
        access = current_access()
        if access.owner is None:
            return requested
        if not container.files.categories[category].customer_upload:
            raise Problem(
                "forbidden",
                f"Customers cannot upload {category.value}.",
                [FieldError("category", "not open to customers", "forbidden")],
            )
        if requested not in (None, access.owner):
            raise Problem("forbidden", "A customer uploads only their own files.")
        return access.owner

    spec.document(
        "/api/v1/files",
        "POST",
        operation_id="uploadFile",
        summary="Upload a file (multipart/form-data: file, category, and for admins owner_ref, order_id)",
        tags=tags,
        raw_request=(
            "multipart/form-data",
            "Fields `category` (product_images, invoices, shipping_labels, return_documents), `file`, and "
            "optionally `owner_ref` and `order_id`. The content type is taken from the file's bytes.",
            {
                "type": "object",
                "required": ["category", "file"],
                "properties": {
                    "category": {"enum": [c.value for c in FileCategoryName]},
                    "file": {"type": "string", "format": "binary"},
                    "owner_ref": {"type": "string"},
                    "order_id": {"type": "string"},
                },
            },
        ),
        responses={
            201: (FileOut, "Stored: its key, size, SHA-256 and a presigned GET URL valid 1 h"),
            413: (None, "file-too-large: over the category's maximum (nothing was stored)"),
            415: (None, "file-type-not-allowed: the bytes are not a type the category accepts"),
            422: (None, "validation-error: no file, an empty file, or an unknown category"),
            503: (None, UPLOAD_FAILED),
        },
    )

    @bp.post("/files")
    @requires(Permission.FILES_MANAGE, owned=True)
    def upload_file() -> Response:
        categories = container.files.categories
        request.max_content_length = max(c.max_bytes for c in categories.values()) + _ENVELOPE
        if request.mimetype != "multipart/form-data":
            raise Problem(
                "unsupported-media-type",
                f"Content-Type must be multipart/form-data, got {request.content_type or 'none'}.",
            )
        upload: UploadedFile | None = request.files.get("file")
        category = request.form.get("category", "")
        errors = []
        if upload is None:
            errors.append(FieldError("file", "a file part named 'file' is required", "missing"))
        if category not in {c.value for c in FileCategoryName}:
            known = ", ".join(c.value for c in FileCategoryName)
            errors.append(FieldError("category", f"one of {known}", "enum"))
        if errors or upload is None:
            raise Problem(
                "validation-error", "Invalid upload: " + ", ".join(e.field for e in errors) + ".", errors
            )
        owner = owner_for(FileCategoryName(category), request.form.get("owner_ref") or None)
        order_id = request.form.get("order_id") or None
        if order_id is not None and current_access().owner is not None:
            raise Problem("forbidden", "A customer cannot attach files to an order.")
        link = handlers.upload_file(
            container.files.deps(),
            upload.stream,
            category=category,
            filename=upload.filename,
            owner_ref=owner,
            order_id=order_id,
        )
        return render(FileOut.from_link(link), 201, {"Location": f"/api/v1/files/{link.file.id}"})

    @spec.operation(
        bp,
        "/files/<file_id>",
        "GET",
        operation_id="getFile",
        summary="A file's metadata with a fresh presigned GET URL (valid 1 h)",
        tags=tags,
        responses={200: (FileOut, "The file")},
        errors={404: "not-found: no stored file has this id"},
    )
    @requires(Permission.FILES_READ, owned=True)
    def get_file(file_id: str) -> Response:
        file = visible(file_id)
        return render(FileOut.from_link(handlers.link(container.files.deps(), file)))

    @spec.operation(
        bp,
        "/files/<file_id>",
        "DELETE",
        operation_id="deleteFile",
        summary="Delete a file: its object, then its metadata",
        tags=tags,
        responses={200: (DeletedFileOut, "Deleted")},
        errors={404: "not-found: no file has this id", 503: "storage-unavailable: retry later"},
    )
    @requires(Permission.FILES_MANAGE, owned=True)
    def delete_file(file_id: str) -> Response:
        file = container.files.files.get(file_id)
        access = current_access()
        if file is not None:
            access.require_owner(file.owner_ref or "", "file", file_id)
            if access.owner is not None and not container.files.categories[file.category].customer_upload:
                raise Problem("forbidden", f"Customers cannot delete {file.category.value}.")
        handlers.delete_file(container.files.deps(), file_id)
        return render(DeletedFileOut(id=file_id))

    @spec.operation(
        bp,
        "/files/uploads",
        "POST",
        operation_id="startDirectUpload",
        summary="A presigned POST to upload one file straight to S3 (then confirm it)",
        tags=tags,
        body=DirectUploadRequest,
        responses={201: (DirectUploadOut, "The form to post to S3 and the confirm URL")},
        errors={
            413: "file-too-large: `size` is over the category's maximum",
            415: "file-type-not-allowed: the category does not accept `content_type`",
        },
    )
    @requires(Permission.FILES_MANAGE, owned=True)
    def start_direct_upload(body: DirectUploadRequest) -> Response:
        owner = owner_for(body.category, body.owner_ref)
        upload = handlers.start_direct_upload(
            container.files.deps(),
            category=body.category.value,
            content_type=body.content_type,
            size=body.size,
            filename=body.filename,
            owner_ref=owner,
        )
        return render(DirectUploadOut.from_domain(upload), 201)

    @spec.operation(
        bp,
        "/files/uploads/<file_id>/confirm",
        "POST",
        operation_id="confirmDirectUpload",
        summary="Check a direct upload (exists, size, type from its bytes), record its SHA-256, store it",
        tags=tags,
        responses={200: (FileOut, "Stored")},
        errors={
            404: "not-found: no upload has this id",
            409: "file-not-uploaded: nothing was posted to S3 for it yet",
            413: "file-too-large: more than the size declared (the object was deleted)",
            415: "file-type-not-allowed: the bytes are not the declared type (the object was deleted)",
        },
    )
    @requires(Permission.FILES_MANAGE, owned=True)
    def confirm_direct_upload(file_id: str) -> Response:
        file = container.files.files.get(file_id)
        if file is not None:
            current_access().require_owner(file.owner_ref or "", "file", file_id)
        return render(FileOut.from_link(handlers.confirm_direct_upload(container.files.deps(), file_id)))

    return bp
