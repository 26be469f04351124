"""The ``FileStorage`` port on S3, through boto3 (the lab's moto simulator, or real S3 when
``AWS_ENDPOINT_URL`` is unset).

An upload (:meth:`S3FileStorage.put`):

1. the service layer first reads 4 KiB and asks :meth:`S3FileStorage.detect` (``puremagic``: magic
   bytes, not the client's ``Content-Type``) what they are: a type the category does not allow is refused
   before anything is sent;
2. streams the rest through :class:`CheckedStream`, which hashes (SHA-256) and counts every chunk and
   raises ``FileTooLarge`` the moment the count passes the limit. The file is never read whole: boto3's
   transfer manager reads ``FILES_MULTIPART_THRESHOLD_BYTES`` at a time and switches to a multipart upload
   for larger files (aborted by the transfer manager when a part fails or the limit is passed);
3. asks S3 to verify a SHA-256 of every request body (``ChecksumAlgorithm=SHA256``) and to encrypt at
   rest (``ServerSideEncryption``: ``S3_SSE``, ``AES256`` by default, or ``aws:kms`` with
   ``S3_SSE_KMS_KEY_ID``); for a single-part object it then compares S3's stored checksum with its own.

Every call goes through ``ProviderCall`` (metrics per attempt, the shared retry policy; errors classified
as for SES/SNS in ``adapters/aws.py``). A seekable stream (Flask's spooled upload) is rewound and retried;
a one-shot stream is tried once. Inspect a lab bucket with
``aws --endpoint-url http://127.0.0.1:12115 s3 ls s3://genai-demo-files --recursive``.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import threading
from collections.abc import Collection, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import IO, Any

import puremagic
from botocore.exceptions import ClientError

from reference_service.adapters import aws
from reference_service.adapters.provider_call import ErrorPolicy, ProviderCall
from reference_service.adapters.retry import RetryPolicy
from reference_service.config import Settings
from reference_service.observability.metrics import ServiceMetrics
from reference_service.ports_files import LifecycleRule, ObjectInfo, PresignedPost, StoredObject
from reference_service.service_layer.errors import ProviderError
from reference_service.service_layer.file_errors import FileRejected, FileTooLarge

logger = logging.getLogger(__name__)

SNIFF_BYTES = 4096
CHUNK = 1024 * 1024


def _classify(exc: BaseException) -> str:
    """A file refused while streaming (too large) is the client's fault, not S3's."""
    return "client_error" if isinstance(exc, FileRejected) else aws.classify(exc)


ERRORS = ErrorPolicy(_classify, aws.retryable, aws.retry_after)
#: lifecycle rules this service owns in the bucket start with this id prefix
RULE_PREFIX = "genai-demo:"


def sniff(head: bytes) -> str | None:
    """The content type the first bytes of a file declare (magic numbers), or ``None``."""
    if not head:
        return None
    try:
        found = puremagic.from_string(head, mime=True)
    except puremagic.PureError:
        return None
    return str(found) or None


class CheckedStream:
    """A read-only stream over ``head`` then ``rest`` that hashes and counts what is read and raises
    ``FileTooLarge`` as soon as more than ``max_bytes`` went through (boto3 reads it chunk by chunk)."""

    def __init__(self, head: bytes, rest: IO[bytes], max_bytes: int) -> None:
        self._head = head
        self._rest = rest
        self.max_bytes = max_bytes
        self.size = 0
        self._hash = hashlib.sha256()

    def read(self, amount: int = -1) -> bytes:
        if self._head:
            if amount < 0 or amount >= len(self._head):
                data, self._head = self._head, b""
                if amount < 0:
                    data += self._rest.read()
                elif amount > len(data):
                    data += self._rest.read(amount - len(data))
            else:
                data, self._head = self._head[:amount], self._head[amount:]
        else:
            data = self._rest.read(amount)
        self.size += len(data)
        if self.size > self.max_bytes:
            raise FileTooLarge(self.max_bytes)
        self._hash.update(data)
        return data

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


def _s3_client(settings: Settings) -> Any:
    import boto3  # with botocore.config, half a second of start-up for a service that may never store a file
    from botocore.config import Config

    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=settings.aws_endpoint_url or None,
        region_name=settings.aws_region,
        aws_access_key_id=settings.aws_access_key_id.get_secret_value(),
        aws_secret_access_key=settings.aws_secret_access_key.get_secret_value(),
        config=Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=settings.files_timeout_seconds,
            read_timeout=settings.files_timeout_seconds,
            max_pool_connections=32,
            signature_version="s3v4",
            # a custom endpoint (moto) has no per-bucket DNS names
            s3={"addressing_style": "path" if settings.aws_endpoint_url else "auto"},
        ),
    )


def _transfer_config(settings: Settings) -> Any:
    """How uploads are split: multipart above ``FILES_MULTIPART_THRESHOLD_BYTES``, 4 parts at a time."""
    from boto3.s3.transfer import TransferConfig

    transfer = TransferConfig(
        multipart_threshold=settings.files_multipart_threshold_bytes,
        multipart_chunksize=settings.files_multipart_threshold_bytes,
        max_concurrency=4,
        max_io_queue=4,
    )
    # a one-shot stream's parts are read into memory: at most this many at once, so RSS stays flat
    # (s3transfer's setting; boto3's TransferConfig does not take it as an argument)
    transfer.max_in_memory_upload_chunks = 4
    return transfer


class S3FileStorage:
    """``FileStorage`` on one bucket (``S3_BUCKET``); see the module docstring."""

    def __init__(self, settings: Settings, metrics: ServiceMetrics, retry: RetryPolicy) -> None:
        self.bucket = settings.s3_bucket
        self._settings = settings
        self._call = ProviderCall("s3", metrics, retry, ERRORS)
        self._client: Any = None
        self._lock = threading.Lock()
        self._transfer: Any = None  # built on first use, as the client is (boto3 is imported then)

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = _s3_client(self._settings)
        return self._client

    @property
    def transfer(self) -> Any:
        """boto3's ``TransferConfig`` of uploads (built on first use; two racing builds are equal)."""
        if self._transfer is None:
            self._transfer = _transfer_config(self._settings)
        return self._transfer

    def _sse(self) -> dict[str, str]:
        args: dict[str, str] = {"ServerSideEncryption": self._settings.s3_sse}
        if self._settings.s3_sse == "aws:kms" and self._settings.s3_sse_kms_key_id:
            args["SSEKMSKeyId"] = self._settings.s3_sse_kms_key_id
        return args

    # --- uploads -------------------------------------------------------------------------------
    def detect(self, head: bytes) -> str | None:
        return sniff(head)

    def put(
        self,
        key: str,
        stream: IO[bytes],
        *,
        content_type: str,
        max_bytes: int,
        metadata: Mapping[str, str],
    ) -> StoredObject:
        seekable = bool(getattr(stream, "seekable", lambda: False)())
        start = stream.tell() if seekable else 0
        extra = {
            "ContentType": content_type,
            "Metadata": dict(metadata),
            "ChecksumAlgorithm": "SHA256",
            **self._sse(),
        }
        checked: list[CheckedStream] = []

        def attempt() -> None:
            if checked:  # a retry: start again from the first byte
                stream.seek(start)
            body = CheckedStream(b"", stream, max_bytes)
            checked.append(body)
            self.client.upload_fileobj(body, self.bucket, key, ExtraArgs=extra, Config=self.transfer)

        try:
            self._call("PutObject", attempt, retry=seekable)
        except FileRejected:
            raise
        except Exception as exc:
            raise _provider_error(exc, "upload") from exc
        body = checked[-1]
        if body.size <= self._settings.files_multipart_threshold_bytes:
            self._verify_checksum(key, body.sha256)
        return StoredObject(body.size, body.sha256, content_type)

    def _verify_checksum(self, key: str, sha256: str) -> None:
        """S3's stored SHA-256 of a single-part object must be ours (a multipart object's is a checksum
        of its parts' checksums, each verified by S3 on upload)."""
        head = self._call(
            "HeadObject", lambda: self.client.head_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
        )
        stored = head.get("ChecksumSHA256")
        expected = base64.b64encode(bytes.fromhex(sha256)).decode()
        if stored is not None and stored != expected:
            self.delete(key)
            raise ProviderError("s3", "CHECKSUM_MISMATCH", "The stored object's checksum differs.")

    # --- reads ---------------------------------------------------------------------------------
    def head(self, key: str) -> ObjectInfo | None:
        try:
            found = self._call("HeadObject", lambda: self.client.head_object(Bucket=self.bucket, Key=key))
        except ClientError as exc:
            if aws.http_status(exc) == 404:
                return None
            raise _provider_error(exc, "head") from exc
        except Exception as exc:
            raise _provider_error(exc, "head") from exc
        return ObjectInfo(key, int(found["ContentLength"]), found["LastModified"], found.get("ContentType"))

    def _get(self, key: str, **args: Any) -> Any:
        try:
            return self._call(
                "GetObject", lambda: self.client.get_object(Bucket=self.bucket, Key=key, **args)
            )
        except Exception as exc:
            raise _provider_error(exc, "read") from exc

    def sniff(self, key: str) -> str | None:
        body = self._get(key, Range=f"bytes=0-{SNIFF_BYTES - 1}")["Body"]
        with body:
            return sniff(body.read())

    def digest(self, key: str) -> tuple[int, str]:
        body = self._get(key)["Body"]
        digest, size = hashlib.sha256(), 0
        with body:
            for chunk in body.iter_chunks(CHUNK):
                digest.update(chunk)
                size += len(chunk)
        return size, digest.hexdigest()

    def read(self, key: str) -> bytes:
        body = self._get(key)["Body"]
        with body:
            data: bytes = body.read()
        return data

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield ObjectInfo(item["Key"], int(item["Size"]), item["LastModified"])
        except Exception as exc:
            raise _provider_error(exc, "list") from exc

    # --- links ---------------------------------------------------------------------------------
    def presigned_get(self, key: str, expires_in: int) -> str:
        url: str = self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=expires_in
        )
        return url

    def presigned_post(
        self, key: str, *, content_type: str, max_bytes: int, expires_in: int
    ) -> PresignedPost:
        sse = self._settings.s3_sse
        post = self.client.generate_presigned_post(
            self.bucket,
            key,
            Fields={"Content-Type": content_type, "x-amz-server-side-encryption": sse},
            Conditions=[
                {"Content-Type": content_type},
                {"x-amz-server-side-encryption": sse},
                ["content-length-range", 1, max_bytes],
            ],
            ExpiresIn=expires_in,
        )
        expires_at = datetime.now(UTC) + timedelta(seconds=expires_in)
        return PresignedPost(post["url"], {k: str(v) for k, v in post["fields"].items()}, expires_at)

    # --- housekeeping --------------------------------------------------------------------------
    def delete(self, key: str) -> None:
        try:
            self._call("DeleteObject", lambda: self.client.delete_object(Bucket=self.bucket, Key=key))
        except Exception as exc:
            raise _provider_error(exc, "delete") from exc

    def ensure_bucket(self, rules: Collection[LifecycleRule]) -> None:
        client = self.client
        try:
            self._call("HeadBucket", lambda: client.head_bucket(Bucket=self.bucket))
        except ClientError as exc:
            if aws.http_status(exc) != 404:
                raise _provider_error(exc, "bucket") from exc
            args: dict[str, Any] = {"Bucket": self.bucket}
            if self._settings.aws_region != "us-east-1":
                args["CreateBucketConfiguration"] = {"LocationConstraint": self._settings.aws_region}
            self._call("CreateBucket", lambda: client.create_bucket(**args))
        config = {
            "Rules": [
                {
                    "ID": RULE_PREFIX + rule.rule_id,
                    "Filter": {"Prefix": rule.prefix},
                    "Status": "Enabled",
                    "Expiration": {"Days": rule.days},
                }
                for rule in rules
            ]
            + [
                {  # parts of an upload that never completed (a crash mid-multipart) are not kept
                    "ID": RULE_PREFIX + "abort-incomplete-multipart",
                    "Filter": {"Prefix": ""},
                    "Status": "Enabled",
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                }
            ]
        }
        self._call(
            "PutBucketLifecycleConfiguration",
            lambda: client.put_bucket_lifecycle_configuration(
                Bucket=self.bucket, LifecycleConfiguration=config
            ),
        )

    def lifecycle(self) -> list[LifecycleRule]:
        try:
            found = self._call(
                "GetBucketLifecycleConfiguration",
                lambda: self.client.get_bucket_lifecycle_configuration(Bucket=self.bucket),
            )
        except ClientError as exc:
            if aws.error_code(exc) == "NoSuchLifecycleConfiguration":
                return []
            raise _provider_error(exc, "lifecycle") from exc
        rules = []
        for rule in found.get("Rules", []):
            days = rule.get("Expiration", {}).get("Days")
            if days is None or rule.get("Status") != "Enabled":
                continue
            prefix = rule.get("Filter", {}).get("Prefix", rule.get("Prefix", ""))
            rules.append(LifecycleRule(prefix, int(days), str(rule.get("ID", "")).removeprefix(RULE_PREFIX)))
        return rules

    def check_health(self) -> dict[str, Any]:
        self._call("HeadBucket", lambda: self.client.head_bucket(Bucket=self.bucket), retry=False)
        return {"bucket": self.bucket}


def _provider_error(exc: BaseException, what: str) -> ProviderError:
    """An S3 failure as the service's ``ProviderError`` (its message never holds the key or the body)."""
    if isinstance(exc, ProviderError):
        return exc
    code = aws.error_code(exc) or type(exc).__name__
    return ProviderError(
        "s3",
        "STORAGE_ERROR",
        f"S3 {what} failed ({code}).",
        retryable=aws.retryable(exc),
        status=503,
        provider_code=code,
    )
