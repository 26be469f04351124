"""Steps about files (``features/files/files.feature``), against a lab with the AWS (moto), Stripe and
carrier simulators in-process and the service as a real process that provisions its bucket at start.

Remembered values: ``file`` (the last upload's answer), ``order_id`` (from the shipping steps).

Vocabulary::

    Given the files lab is running
    Given S3 answers every PutObject with 503                     (cleared after the scenario)
    When I upload a PDF of <n> bytes as "<category>"
    When I upload an executable named "<name>" as "<category>"
    When I delete the file
    Then downloading the file's URL with a plain HTTP client gives the same bytes and checksum
    Then the bucket holds no object for the file / under "<prefix>"
    Then the order soon lists a|an "<category>" file of type "<content type>"
    Then the order's "<category>" file downloads as a PDF
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import boto3
import requests
from pytest_bdd import given, then, when

from tests.bdd.common_steps import p, wait_until
from tests.bdd.world import ApiWorld
from tests.support_lab import LabHandle

BUCKET = "genai-demo-files"


def bucket_keys(lab: LabHandle, prefix: str = "") -> list[str]:
    s3 = boto3.client(
        "s3",
        endpoint_url=lab.sim("aws").url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]


def upload(world: ApiWorld, data: bytes, name: str, category: str) -> None:
    resp = world.session.post(
        world.base_url + "/api/v1/files",
        data={"category": category},
        files={"file": (name, data)},
        timeout=60,
    )
    world.history.append(resp)
    world.saved["sent"] = data
    if resp.status_code == 201:
        world.saved["file"] = resp.json()


@given("the files lab is running")
def files_lab(lab: LabHandle) -> None:
    health = requests.get(lab.url + "/health", timeout=10, headers=lab.http.headers).json()
    assert health["checks"]["files"]["status"] == "UP", health


@given("S3 answers every PutObject with 503")
def s3_down(lab: LabHandle) -> None:
    lab.sim("aws").fault({"operation": "PutObject"}, {"type": "status", "status": 503})


@when(p('I upload a PDF of {size:d} bytes as "{category:Q}"'))
def upload_pdf(world: ApiWorld, size: int, category: str) -> None:
    upload(world, b"%PDF-1.7\n" + os.urandom(size - 9), "document.pdf", category)


@when(p('I upload an executable named "{name:Q}" as "{category:Q}"'))
def upload_exe(world: ApiWorld, name: str, category: str) -> None:
    upload(world, b"MZ\x90\x00" + os.urandom(4000), name, category)


@when("I delete the file")
def delete_file(world: ApiWorld) -> None:
    world.send("DELETE", f"/api/v1/files/{world.saved['file']['id']}")


@then("downloading the file's URL with a plain HTTP client gives the same bytes and checksum")
def download(world: ApiWorld) -> None:
    file = world.saved["file"]
    got = requests.get(file["url"], timeout=30)  # no credentials: the URL is the permission
    assert got.status_code == 200 and got.content == world.saved["sent"]
    assert hashlib.sha256(got.content).hexdigest() == file["sha256"]


@then("the bucket holds no object for the file")
def no_object(lab: LabHandle, world: ApiWorld) -> None:
    assert bucket_keys(lab, world.saved["file"]["key"]) == []


@then(p('the bucket holds no object under "{prefix:Q}"'))
def no_object_under(lab: LabHandle, prefix: str) -> None:
    assert bucket_keys(lab, prefix) == []


def order_files(world: ApiWorld) -> list[dict[str, Any]]:
    resp = world.session.get(world.base_url + world.expand("/api/v1/orders/{order_id}"), timeout=10)
    files: list[dict[str, Any]] = resp.json()["files"]
    return files


@then(p('the order soon lists an "{category:Q}" file of type "{content_type:Q}"'))
@then(p('the order soon lists a "{category:Q}" file of type "{content_type:Q}"'))
def order_lists(world: ApiWorld, category: str, content_type: str) -> None:
    wait_until(lambda: any(f["category"] == category for f in order_files(world)), f"{category} stored")
    [file] = [f for f in order_files(world) if f["category"] == category]
    assert file["content_type"] == content_type and file["size"] > 0
    world.saved[category] = file


@then(p('the order\'s "{category:Q}" file downloads as a PDF'))
def downloads_pdf(world: ApiWorld, category: str) -> None:
    file = world.saved[category]
    got = requests.get(file["url"], timeout=30)
    assert got.status_code == 200 and got.content.startswith(b"%PDF-")
    assert hashlib.sha256(got.content).hexdigest() == file["sha256"]
