"""Files scenario: customers upload a return document through ``POST /api/v1/files`` (multipart, 100 KB
PDF by default) and download it through its presigned S3 URL, as a browser would, checking the bytes'
SHA-256 against the one the service reported; some re-read the file's metadata (a fresh URL).

Each simulated user is one customer with their own token (``load/common/auth.py``). Task weights per 10
actions, about: 4 uploads, 4 presigned downloads, 2 metadata reads. The download goes straight to the
bucket (the AWS simulator in the lab), not through the service, so its time is S3's.

Thresholds (a ``quitting`` listener enforces them): ``MAX_ERROR_RATE = 0.01``; ``P95_MS = 800``: on the
lab's shared 2-core machine 10 users measured the figures in docs/files.md (uploads are the slowest: the
service streams each file to moto and verifies its checksum); 800 ms leaves room for slower hosts and
still catches an upload that buffers or retries.

Run it::

    python -m load.run files --users 10 --run-time 30s --host http://127.0.0.1:8000

``LOAD_FILE_BYTES`` changes the upload size (default 100000).
"""

from __future__ import annotations

import hashlib
import os
import random
from collections import deque
from typing import Any

from locust import FastHttpUser, between, events, task

from load.common.auth import bearer
from load.common.payloads import customer_ref
from load.common.thresholds import Thresholds, enforce

MAX_ERROR_RATE = 0.01
P95_MS = 800
FILES = "/api/v1/files"

enforce(events, Thresholds(max_error_rate=MAX_ERROR_RATE, p95_ms=P95_MS))


def multipart(category: str, filename: str, data: bytes, boundary: str) -> bytes:
    """A ``multipart/form-data`` body with the ``category`` field and the ``file`` part (RFC 7578)."""
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="category"\r\n\r\n{category}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode()


class FileCustomer(FastHttpUser):
    """A customer uploading return documents and downloading them again."""

    host = "http://127.0.0.1:8000"
    wait_time = between(0.05, 0.25)

    def on_start(self) -> None:
        self.rng = random.Random()
        self.auth = bearer(customer_ref(self.rng), "customer")
        self.size = int(os.environ.get("LOAD_FILE_BYTES", "100000"))
        self.files: deque[dict[str, Any]] = deque(maxlen=20)
        self.upload()

    @task(4)
    def upload(self) -> None:
        data = b"%PDF-1.7\n" + self.rng.randbytes(self.size - 9)
        boundary = f"load{self.rng.getrandbits(64):016x}"
        body = multipart("return_documents", "return.pdf", data, boundary)
        headers = {**self.auth, "Content-Type": f"multipart/form-data; boundary={boundary}"}
        with self.client.post(FILES, data=body, headers=headers, name=FILES, catch_response=True) as resp:
            if resp.status_code != 201:
                resp.failure(f"expected 201, got {resp.status_code}: {str(resp.text)[:200]}")
                return
            file = resp.json()
            if file["sha256"] != hashlib.sha256(data).hexdigest() or file["size"] != len(data):
                resp.failure("the service reported another size or checksum")
                return
            self.files.append(file)

    @task(4)
    def download(self) -> None:
        if not self.files:
            return
        file = self.rng.choice(self.files)
        with self.client.get(file["url"], name="S3 presigned URL", catch_response=True) as resp:
            if resp.status_code != 200:
                resp.failure(f"expected 200, got {resp.status_code}")
            elif hashlib.sha256(resp.content or b"").hexdigest() != file["sha256"]:
                resp.failure("downloaded bytes differ from the upload")

    @task(2)
    def metadata(self) -> None:
        if not self.files:
            return
        file = self.rng.choice(self.files)
        with self.client.get(
            f"{FILES}/{file['id']}", headers=self.auth, name=f"{FILES}/{{id}}", catch_response=True
        ) as resp:
            if resp.status_code != 200 or resp.json()["id"] != file["id"]:
                resp.failure(f"expected the file, got {resp.status_code}")
