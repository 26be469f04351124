"""The files API in-process (SQLite rows, the in-memory ``FakeFileStorage``): upload, read, delete, direct
uploads, refusals as problem+json, ownership, and that a failure of S3 or of the database leaves neither
an object nor a row behind. The same flows against the moto simulator are in ``test_files_s3.py``."""

from __future__ import annotations

import hashlib
import io
import os

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from reference_service.bootstrap import Container
from reference_service.domain.files import FileCategoryName
from reference_service.service_layer.errors import ProviderError
from tests.auth import authorized_client
from tests.fakes import FakeFileRepository, FakeFileStorage

PDF = b"%PDF-1.7\n" + os.urandom(3000) + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(500)
EXE = b"MZ\x90\x00" + os.urandom(500)


def upload(
    client: FlaskClient, data: bytes, category: str = "return_documents", name: str = "a.pdf", **form: str
):  # type: ignore[no-untyped-def]
    body = {"category": category, "file": (io.BytesIO(data), name), **form}
    return client.post("/api/v1/files", data=body, content_type="multipart/form-data")


def storage(container: Container) -> FakeFileStorage:
    assert isinstance(container.files.storage, FakeFileStorage)
    return container.files.storage


def rows(container: Container) -> int:
    with container.engines.read.connect() as conn:
        return int(conn.exec_driver_sql("select count(*) from files").scalar_one())


def test_upload_returns_key_checksum_and_a_presigned_url_then_get_and_delete(
    client: FlaskClient, container: Container
) -> None:
    resp = upload(client, PDF, name="Receipt March.PDF", owner_ref="cus_1")
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["key"].startswith("return-documents/") and body["key"].endswith(".pdf")
    assert body["size"] == len(PDF) and body["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert body["content_type"] == "application/pdf" and body["original_name"] == "Receipt March.PDF"
    assert body["url"] and body["url_expires_at"] and body["owner_ref"] == "cus_1"
    assert storage(container).objects[body["key"]] == PDF
    assert storage(container).largest_read <= FakeFileStorage.CHUNK  # streamed, never read whole
    got = client.get(f"/api/v1/files/{body['id']}")
    assert got.status_code == 200 and got.json["sha256"] == body["sha256"]
    gone = client.delete(f"/api/v1/files/{body['id']}")
    assert gone.status_code == 200 and gone.json == {"id": body["id"], "object": "file", "deleted": True}
    assert storage(container).objects == {} and rows(container) == 0
    assert client.get(f"/api/v1/files/{body['id']}").status_code == 404


def test_the_type_comes_from_the_bytes_not_the_name_or_header(
    client: FlaskClient, container: Container
) -> None:
    resp = upload(client, EXE, name="invoice.pdf")
    assert resp.status_code == 415 and resp.mimetype == "application/problem+json"
    assert resp.json["type"] == "/problems/file-type-not-allowed"
    assert storage(container).objects == {} and rows(container) == 0
    png = upload(client, PNG, category="product_images", name="photo.jpeg")
    assert png.status_code == 201 and png.json["content_type"] == "image/png"
    assert png.json["key"].endswith(".png")  # the name's extension lied: the detected type's is used


def test_too_large_is_refused_while_streaming_and_nothing_is_left(
    client: FlaskClient, container: Container
) -> None:
    name = FileCategoryName.RETURN_DOCUMENTS
    container.files.categories[name] = container.files.categories[name].with_limits(max_bytes=1000)
    resp = upload(client, PDF)
    assert resp.status_code == 413 and resp.json["type"] == "/problems/file-too-large"
    assert resp.json["max_bytes"] == 1000
    assert storage(container).objects == {} and rows(container) == 0


def test_bad_requests_answer_problem_json(client: FlaskClient) -> None:
    no_file = client.post("/api/v1/files", data={"category": "invoices"}, content_type="multipart/form-data")
    assert no_file.status_code == 422 and {e["field"] for e in no_file.json["errors"]} == {"file"}
    bad_cat = upload(client, PDF, category="selfies")
    assert bad_cat.status_code == 422 and {e["field"] for e in bad_cat.json["errors"]} == {"category"}
    empty = upload(client, b"")
    assert empty.status_code == 422 and empty.json["type"] == "/problems/file-invalid"
    as_json = client.post("/api/v1/files", json={"category": "invoices"})
    assert as_json.status_code == 415


def test_an_s3_outage_answers_file_upload_failed_and_leaves_nothing(
    client: FlaskClient, container: Container
) -> None:
    storage(container).will("put", ProviderError("s3", "STORAGE_ERROR", "S3 upload failed", retryable=True))
    resp = upload(client, PDF)
    assert resp.status_code == 503 and resp.json["detail"] == "File upload failed"
    assert resp.json["type"] == "/problems/file-upload-failed"
    assert storage(container).objects == {} and rows(container) == 0


def test_a_database_failure_after_the_upload_removes_the_object(container: Container, app: Flask) -> None:
    files = FakeFileRepository()
    container.files.files = files
    files.will("save", OperationalError("UPDATE files", {}, Exception("database is locked")))
    resp = upload(authorized_client(app, "admin"), PDF)
    assert resp.status_code == 503 and resp.json["detail"] == "File upload failed"
    assert storage(container).objects == {} and files.rows == {}


def test_customers_upload_return_documents_and_see_only_their_own(app: Flask, container: Container) -> None:
    ada, grace = (
        authorized_client(app, "customer", "cus_ada"),
        authorized_client(app, "customer", "cus_grace"),
    )
    mine = upload(ada, PDF)
    assert mine.status_code == 201 and mine.json["owner_ref"] == "cus_ada"
    assert ada.get(f"/api/v1/files/{mine.json['id']}").status_code == 200
    assert grace.get(f"/api/v1/files/{mine.json['id']}").status_code == 404
    assert grace.delete(f"/api/v1/files/{mine.json['id']}").status_code == 404
    assert upload(ada, PDF, category="invoices").status_code == 403
    assert upload(ada, PDF, owner_ref="cus_grace").status_code == 403
    assert authorized_client(app, "support").get(f"/api/v1/files/{mine.json['id']}").status_code == 200
    invoice = upload(authorized_client(app, "admin"), PDF, category="invoices", owner_ref="cus_ada")
    assert ada.get(f"/api/v1/files/{invoice.json['id']}").status_code == 200
    assert ada.delete(f"/api/v1/files/{invoice.json['id']}").status_code == 403  # bookkeeping stays
    assert ada.delete(f"/api/v1/files/{mine.json['id']}").status_code == 200
    assert upload(authorized_client(app, "support"), PDF).status_code == 403


def test_direct_upload_is_confirmed_from_the_bytes(client: FlaskClient, container: Container) -> None:
    started = client.post(
        "/api/v1/files/uploads",
        json={"category": "return_documents", "content_type": "application/pdf", "size": len(PDF)},
    )
    assert started.status_code == 201, started.json
    body = started.json
    assert body["status"] == "PENDING" and body["upload"]["fields"]["Content-Type"] == "application/pdf"
    confirm = body["confirm_url"]
    assert client.post(confirm).status_code == 409  # nothing posted yet
    storage(container).objects[body["key"]] = PDF  # what the browser's POST to S3 does
    storage(container).meta[body["key"]] = {"content_type": "application/pdf"}
    storage(container).modified[body["key"]] = container.clock.now()
    done = client.post(confirm)
    assert done.status_code == 200 and done.json["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert client.post(confirm).json["id"] == done.json["id"]  # confirming again changes nothing


def test_a_direct_upload_of_other_bytes_is_deleted_on_confirm(
    client: FlaskClient, container: Container
) -> None:
    body = client.post(
        "/api/v1/files/uploads",
        json={"category": "return_documents", "content_type": "application/pdf", "size": 600},
    ).json
    storage(container).objects[body["key"]] = EXE
    storage(container).meta[body["key"]] = {"content_type": "application/pdf"}
    storage(container).modified[body["key"]] = container.clock.now()
    resp = client.post(body["confirm_url"])
    assert resp.status_code == 415 and body["key"] not in storage(container).objects
    refused = client.post(
        "/api/v1/files/uploads", json={"category": "invoices", "content_type": "image/png", "size": 10}
    )
    assert refused.status_code == 415
    huge = client.post(
        "/api/v1/files/uploads",
        json={"category": "return_documents", "content_type": "application/pdf", "size": 10**10},
    )
    assert huge.status_code == 413
