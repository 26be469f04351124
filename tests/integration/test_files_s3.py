"""Files against the AWS simulator (moto) through boto3, the whole service in-process: what a plain HTTP
client downloads through the presigned URL is the uploaded bytes (same SHA-256) until the URL expires;
objects are encrypted at rest with S3's SHA-256 checksum; large files go up in parts; an upload over the
limit, a failing PutObject or a failing database leaves no object and no row; the bucket's lifecycle
rules are set and checked; a presigned POST uploads straight to S3; reconcile removes leftovers."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
import requests
from flask.testing import FlaskClient
from sqlalchemy.exc import OperationalError

from reference_service.bootstrap import Container, bootstrap
from reference_service.bootstrap.files import categories
from reference_service.config import load_settings
from reference_service.domain.files import FileCategoryName
from reference_service.entrypoints.app import create_app
from reference_service.service_layer.handlers.files import reconcile_files
from simulators.testing import RunningSimulator
from tests.auth import auth_issuer, authorized_client
from tests.fakes import FixedClock

MB = 1024 * 1024
BUCKET = "genai-demo-files"


def pdf(size: int) -> bytes:
    return b"%PDF-1.7\n" + os.urandom(size - 9)


@dataclass
class Lab:
    client: FlaskClient
    container: Container
    s3: Any
    sim: RunningSimulator
    clock: FixedClock

    def keys(self) -> list[str]:
        return [o["Key"] for o in self.s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]

    def rows(self) -> int:
        with self.container.engines.read.connect() as conn:
            return int(conn.exec_driver_sql("select count(*) from files").scalar_one())

    def upload(self, data: bytes, category: str = "return_documents") -> Any:
        body = {"category": category, "file": (io.BytesIO(data), "doc.pdf")}
        return self.client.post("/api/v1/files", data=body, content_type="multipart/form-data")


@pytest.fixture
def lab(aws_sim: RunningSimulator, sqlite_url: str) -> Iterator[Lab]:
    settings = load_settings(
        database_url=sqlite_url,
        outbox_relay_enabled=False,
        aws_endpoint_url=aws_sim.url,
        provider_retry_initial_seconds=0.0,
        provider_health_cache_seconds=0.0,
        files_multipart_threshold_bytes=5 * MB,
        files_max_bytes={"return_documents": 12 * MB},
        **auth_issuer().settings(),
    )
    clock = FixedClock(datetime.now(UTC))
    container = bootstrap(settings, clock=clock)
    assert container.files.provision() == "ok"
    s3 = boto3.client(
        "s3",
        endpoint_url=aws_sim.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    try:
        app = create_app(settings, container, start_relay=False)
        yield Lab(authorized_client(app, "admin"), container, s3, aws_sim, clock)
    finally:
        container.close()


def test_a_plain_http_client_downloads_the_same_bytes_until_the_url_expires(lab: Lab) -> None:
    data = pdf(300_000)
    resp = lab.upload(data)
    assert resp.status_code == 201, resp.json
    body = resp.json
    got = requests.get(body["url"], timeout=10)
    assert got.status_code == 200 and got.content == data
    assert hashlib.sha256(got.content).hexdigest() == body["sha256"] == hashlib.sha256(data).hexdigest()
    head = lab.s3.head_object(Bucket=BUCKET, Key=body["key"], ChecksumMode="ENABLED")
    assert head["ServerSideEncryption"] == "AES256" and head["ContentType"] == "application/pdf"
    assert head["ChecksumSHA256"]  # S3 verified the SHA-256 botocore sent, and keeps it
    assert head["Metadata"]["original-name"] == "doc.pdf"
    # the simulator's clock never goes back (other tests share it), so expire a 1-second URL
    short = lab.container.files.storage.presigned_get(body["key"], 1)
    assert requests.get(short, timeout=10).status_code == 200
    lab.sim.advance(2)
    late = requests.get(short, timeout=10)
    assert late.status_code == 403 and b"Request has expired" in late.content
    assert requests.get(body["url"], timeout=10).content == data  # the 1 h URL still works


def test_a_large_file_goes_up_in_parts_and_keeps_its_checksum(lab: Lab) -> None:
    data = pdf(11 * MB)
    resp = lab.upload(data)
    assert resp.status_code == 201, resp.json
    operations = {e.get("operation") for e in lab.sim.journal()}
    assert {"CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"} <= operations
    got = requests.get(resp.json["url"], timeout=30)
    assert hashlib.sha256(got.content).hexdigest() == resp.json["sha256"]


def test_over_the_limit_is_refused_mid_stream_leaving_no_object_or_part(lab: Lab) -> None:
    resp = lab.upload(pdf(12 * MB + 1))
    assert resp.status_code == 413 and resp.json["type"] == "/problems/file-too-large"
    assert lab.keys() == [] and lab.rows() == 0
    assert not lab.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads")


def test_a_failing_put_object_answers_file_upload_failed_and_leaves_nothing(lab: Lab) -> None:
    lab.sim.fault({"operation": "PutObject"}, {"type": "status", "status": 503})
    resp = lab.upload(pdf(10_000))
    assert resp.status_code == 503 and resp.json["detail"] == "File upload failed"
    attempts = [e for e in lab.sim.journal() if e.get("operation") == "PutObject"]
    assert len(attempts) == 3  # the seed's retry policy: 3 attempts
    assert lab.keys() == [] and lab.rows() == 0


def test_a_failing_database_leaves_no_object(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_file: Any) -> None:
        raise OperationalError("UPDATE files", {}, Exception("disk I/O error"))

    monkeypatch.setattr(lab.container.files.files, "save", broken)
    resp = lab.upload(pdf(10_000))
    assert resp.status_code == 503 and resp.json["detail"] == "File upload failed"
    assert lab.keys() == []


def test_lifecycle_rules_are_set_per_category_and_checked(lab: Lab) -> None:
    rules = lab.s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    expiring = {r["Filter"]["Prefix"]: r["Expiration"]["Days"] for r in rules if "Expiration" in r}
    assert expiring == {"invoices/": 3650, "shipping-labels/": 365, "return-documents/": 730}
    lab.s3.delete_bucket_lifecycle(Bucket=BUCKET)
    assert lab.container.files.check_lifecycle() == "mismatch"
    health = lab.client.get("/health").json
    assert health["checks"]["files"]["status"] == "DOWN"
    assert lab.container.files.provision() == "ok"


def test_a_presigned_post_uploads_straight_to_s3_then_confirm_stores_it(lab: Lab) -> None:
    data = pdf(40_000)
    start = lab.client.post(
        "/api/v1/files/uploads",
        json={"category": "return_documents", "content_type": "application/pdf", "size": len(data)},
    )
    assert start.status_code == 201, start.json
    form = start.json["upload"]
    posted = requests.post(form["url"], data=form["fields"], files={"file": ("doc.pdf", data)}, timeout=10)
    assert posted.status_code in (200, 204), posted.text
    done = lab.client.post(start.json["confirm_url"])
    assert done.status_code == 200 and done.json["sha256"] == hashlib.sha256(data).hexdigest()
    assert requests.get(done.json["url"], timeout=10).content == data


def test_reconcile_removes_abandoned_uploads_and_orphan_objects(lab: Lab) -> None:
    kept = lab.upload(pdf(5_000)).json
    abandoned = lab.client.post(
        "/api/v1/files/uploads",
        json={"category": "return_documents", "content_type": "application/pdf", "size": 100},
    ).json
    lab.s3.put_object(Bucket=BUCKET, Key="return-documents/ORPHAN.pdf", Body=b"%PDF-1.4 orphan")
    deps = lab.container.files.deps()
    assert reconcile_files(deps).as_dict()["pending_removed"] == 0  # too young: maybe in progress
    lab.clock.advance(2 * 3600)
    dry = reconcile_files(deps, dry_run=True).as_dict()
    assert (dry["pending_removed"], dry["orphan_objects_deleted"]) == (1, 1)
    assert len(lab.keys()) == 2
    done = reconcile_files(deps).as_dict()
    assert (done["pending_removed"], done["orphan_objects_deleted"]) == (1, 1)
    assert lab.keys() == [kept["key"]] and lab.container.files.files.get(abandoned["id"]) is None
    assert reconcile_files(deps).as_dict()["orphan_objects_deleted"] == 0


def test_categories_take_their_limits_from_the_settings() -> None:
    cats = categories(load_settings(files_max_bytes={"invoices": 1234}, retention_files_days={"invoices": 0}))
    assert cats[FileCategoryName.INVOICES].max_bytes == 1234
    assert cats[FileCategoryName.INVOICES].retention_days is None
