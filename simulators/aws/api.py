"""The AWS simulator's API app, and reading AWS requests without running them.

:class:`AwsApi` is the kernel's :class:`~simulators.kernel.api.ProviderApi` with moto's server app as the
``fallback``: the routes of ``urls.API_ROUTES`` (the SNS certificate and ``SubscribeURL``/``UnsubscribeURL``
GETs, :mod:`simulators.aws.responses`) are the simulator's, anything else is moto's. Around every request it
makes a :class:`~simulators.aws.patches.RequestContext` current, so the wrapped moto methods know which
simulator they serve and its public URL: ``AWS_SIM_PUBLIC_URL`` when set, else the scheme and ``Host`` of
the request. After moto's own ``POST /moto-api/reset`` the simulator forgets what it keeps beside moto.

Reading a request (the kernel's ``account_for`` / ``operation_for`` / ``error_for``):

* The access key id comes from a SigV4 ``Authorization: AWS4-HMAC-SHA256 Credential=AKID/date/region/
  service/aws4_request, ...`` header, a presigned URL's ``X-Amz-Credential``, SigV2 ``AWS AKID:sig`` or
  ``AWSAccessKeyId``. It is the kernel's *account* (journal and fault ``account``).
* The operation is the AWS action name: ``Action`` of a query-protocol request (form body or query
  string: SNS ``Publish``, SES ``SendEmail``), the part after the dot of ``X-Amz-Target`` for JSON
  protocols, a small table for SES v2's REST paths, and the method/path/sub-resource for S3
  (``PutObject``, ``GetObject``, ``ListObjectsV2``, ``CreateBucket``...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from simulators.aws import urls
from simulators.aws.exceptions import AwsError, Protocol
from simulators.aws.patches import RequestContext, activate
from simulators.aws.responses import AwsResponses
from simulators.kernel.api import ProviderApi
from simulators.kernel.errors import ProviderError
from simulators.kernel.wsgi import Environ, SimRequest, StartResponse, WSGIApp

if TYPE_CHECKING:
    from simulators.aws.models import MotoBridge
    from simulators.aws.provider import AwsProvider

_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_SUBRESOURCES = (
    "policy",
    "versioning",
    "cors",
    "lifecycle",
    "tagging",
    "acl",
    "location",
    "notification",
    "encryption",
    "website",
    "logging",
    "replication",
)
_SESV2 = {
    ("POST", "/v2/email/outbound-emails"): "SendEmail",
    ("POST", "/v2/email/identities"): "CreateEmailIdentity",
    ("GET", "/v2/email/identities"): "ListEmailIdentities",
    ("GET", "/v2/email/account"): "GetAccount",
}


@dataclass(frozen=True)
class AwsRequestInfo:
    """What the kernel needs to know about one AWS request."""

    access_key: str | None = None
    service: str | None = None
    region: str | None = None


def request_info(req: SimRequest) -> AwsRequestInfo:
    """Access key, signing service and region of a request (all ``None`` when unsigned)."""
    auth = req.header("Authorization") or ""
    match = _SCOPE.search(auth)
    if match:
        return AwsRequestInfo(match.group(1), match.group(3).lower(), match.group(2))
    if auth.startswith("AWS "):
        return AwsRequestInfo(auth[4:].partition(":")[0] or None, "s3", None)
    query = req.query
    credential = (query.get("X-Amz-Credential") or [""])[0]
    parts = credential.split("/")
    if len(parts) == 5:
        return AwsRequestInfo(parts[0], parts[3].lower(), parts[2])
    legacy = (query.get("AWSAccessKeyId") or [""])[0]
    if legacy:
        return AwsRequestInfo(legacy, "s3", None)
    return AwsRequestInfo()


def _form_action(req: SimRequest) -> str | None:
    action = (req.query.get("Action") or [""])[0]
    if action:
        return action
    if not req.body or b"Action=" not in req.body[:4096]:
        return None
    form = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
    return (form.get("Action") or [""])[0] or None


def _s3_operation(req: SimRequest) -> str | None:
    method = req.method.upper()
    path = req.path.strip("/")
    query = req.query
    if not path:
        return "ListBuckets" if method == "GET" else None
    bucket_level = "/" not in path
    verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete", "HEAD": "Head", "POST": "Post"}.get(
        method, method
    )
    for sub in _SUBRESOURCES:
        if sub in query:
            noun = "Bucket" if bucket_level else "Object"
            return f"{verb}{noun}{sub.capitalize()}"
    if bucket_level:
        if method == "GET":
            return "ListObjectsV2" if query.get("list-type") == ["2"] else "ListObjects"
        if method == "POST" and "delete" in query:
            return "DeleteObjects"
        return {"PUT": "CreateBucket", "DELETE": "DeleteBucket", "HEAD": "HeadBucket"}.get(method)
    if "uploads" in query:
        return "CreateMultipartUpload"
    if "uploadId" in query:
        return {
            "PUT": "UploadPart",
            "POST": "CompleteMultipartUpload",
            "DELETE": "AbortMultipartUpload",
            "GET": "ListParts",
        }.get(method)
    if method == "PUT" and req.header("X-Amz-Copy-Source"):
        return "CopyObject"
    return {"GET": "GetObject", "PUT": "PutObject", "DELETE": "DeleteObject", "HEAD": "HeadObject"}.get(
        method
    )


def operation_name(req: SimRequest, info: AwsRequestInfo | None = None) -> str | None:
    """The AWS operation of a request (see the module docstring), or ``None`` (``/moto-api``...)."""
    if req.path.startswith("/moto-api"):
        return None
    action = _form_action(req)
    if action:
        return action
    target = req.header("X-Amz-Target")
    if target:
        return target.rpartition(".")[2] or None
    if req.path.startswith("/v2/email/"):
        return _SESV2.get((req.method.upper(), req.path.rstrip("/")))
    info = info or request_info(req)
    if info.service == "s3":
        return _s3_operation(req)
    return None


class AwsApi(ProviderApi):
    """The simulator's own AWS routes, then moto (see the module docstring)."""

    def __init__(
        self, provider: AwsProvider, bridge: MotoBridge, moto_app: WSGIApp, public_url: str | None = None
    ) -> None:
        super().__init__(provider, urls.API_ROUTES, AwsResponses(bridge), fallback=self._moto)
        self.bridge = bridge
        self.moto_app = moto_app
        self.public_url = public_url.rstrip("/") if public_url else None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        request = SimRequest.of(environ)
        ctx = RequestContext(self.bridge, self.public_url or request.host_url, request)
        with activate(ctx):
            return super().__call__(environ, start_response)

    def crash_error(self, request: SimRequest) -> ProviderError:
        return AwsError("InternalFailure", "Internal error", 500)

    def _moto(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        request = SimRequest.of(environ)
        if request.method.upper() == "POST" and request.path == urls.MOTO_RESET:
            result = list(self.moto_app(environ, start_response))
            self.bridge.reset()
            return result
        expired = self._presign_expired(request)
        if expired is not None:
            return self.send(self.render(expired, request), request, start_response)
        return self.moto_app(environ, start_response)

    def _presign_expired(self, request: SimRequest) -> AwsError | None:
        """S3's answer to a SigV4 presigned URL used after ``X-Amz-Date`` + ``X-Amz-Expires`` on the
        simulated clock (moto 5 does not check it): 403 ``AccessDenied`` "Request has expired", as S3
        answers (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html)."""
        query = request.query
        signed_at, expires = query.get("X-Amz-Date"), query.get("X-Amz-Expires")
        if not signed_at or not expires:
            return None
        try:
            start = datetime.strptime(signed_at[0], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            lifetime = int(expires[0])
        except ValueError:
            return None
        now = self.bridge.runtime.clock.datetime()
        if now <= start + timedelta(seconds=lifetime):
            return None
        protocol = Protocol(request_info(request).service)
        return AwsError("AccessDenied", "Request has expired", 403, protocol=protocol)
