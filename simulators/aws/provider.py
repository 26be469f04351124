"""AWS (SES, SNS, S3) through moto behind the simulator kernel (``genai-demo sim aws``, port 12115).

Point boto3 at it with ``endpoint_url`` (any access key and secret; region as you like). moto's server
app runs in the simulator's own process (the granian worker), so ``/_sim/reset`` resets moto's backends
in place and the SNS/SES additions see the same state. The kernel gives it the same ``/_sim/`` API as
every simulator:

* faults match ``path`` and ``operation`` = the AWS action (``Publish``, ``SendEmail``, ``PutObject``...;
  see :mod:`simulators.aws.protocol`) and ``account`` = the access key id; a ``status``/``rate_limit``
  fault answers AWS's own error XML (:mod:`simulators.aws.exceptions`) so boto3 raises ``ClientError``
  with a real code;
* the journal masks ``Authorization`` and ``X-Amz-Security-Token``.

Beyond moto: signed SNS HTTP/S deliveries and the confirmation handshake (:mod:`simulators.aws.sns`),
SES mailbox-simulator feedback (:mod:`simulators.aws.ses`), SMS attributes and opt-outs
(:mod:`simulators.aws.bridge`), inspection under ``/_sim/aws/`` (:mod:`simulators.aws.control`).
moto's own ``/moto-api/`` stays reachable. moto's state is process-wide: two AWS simulators in one
process share it (and a reset of one resets both).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Blueprint, has_request_context, request

from simulators.aws import patches
from simulators.aws.bridge import MotoBridge
from simulators.aws.control import build_control_blueprint, control_openapi_paths
from simulators.aws.exceptions import Protocol, error_for_status
from simulators.aws.protocol import operation_name, request_info
from simulators.aws.responses import AwsFrontApp
from simulators.aws.sns import CONTENT_TYPE, SnsHeaderSigner
from simulators.kernel import ErrorResponse, SimRequest, SimulatorProvider
from simulators.kernel.wsgi import WSGIApp

log = logging.getLogger(__name__)


class AwsProvider(SimulatorProvider):
    """moto's server app with the kernel's faults, journal and webhook dispatcher (module docstring)."""

    name = "aws"
    description = "AWS SES, SNS and S3 (moto) with signed SNS deliveries and SES feedback"
    default_port = 12115
    request_id_header = "x-amzn-RequestId"
    # SNS's default HTTP/S delivery policy: 3 retries, 20 s apart (linear backoff).
    retry_schedule = (20.0, 20.0, 20.0)
    webhook_content_type = CONTENT_TYPE
    masked_headers = frozenset({"x-amz-security-token"})

    def setup(self) -> None:
        """Wrap moto's methods (once per process) and build the bridge and its signing key."""
        patches.install()
        self.public_url = self.env.get("AWS_SIM_PUBLIC_URL") or None
        self.bridge = MotoBridge(self.runtime)
        self._protocol = threading.local()

    def reset(self) -> None:
        """Reset moto's backends in place (``POST /moto-api/reset``) and the bridge's state."""
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        self.bridge.reset()

    # -- kernel hooks ----------------------------------------------------------------------------------
    def account_for(self, request: SimRequest) -> str | None:
        """The access key id (SigV4 credential scope, presigned URL or SigV2)."""
        info = request_info(request)
        # Remember how to render an error for this request: error_response() gets only a status and is
        # called by the kernel middleware on this same thread right after this method.
        self._protocol.value = Protocol(info.service, json=request.header("X-Amz-Target") is not None)
        self._protocol.request_id = None
        return info.access_key

    def operation_for(self, request: SimRequest) -> str | None:
        """The AWS action name (``Publish``, ``SendEmail``, ``PutObject``...)."""
        return operation_name(request)

    def new_request_id(self) -> str:
        """A uuid4, like ``x-amzn-RequestId`` (also put in the body of a fault's error)."""
        rid = self.runtime.ids.uuid4()
        self._protocol.request_id = rid
        return rid

    def error_response(self, status: int) -> ErrorResponse:
        """AWS's error body for ``status`` in the protocol of the request being served."""
        protocol = getattr(self._protocol, "value", None) or Protocol("sns")
        rid = getattr(self._protocol, "request_id", None) or self.runtime.ids.uuid4()
        return error_for_status(status, protocol, rid).to_response()

    def signer(self) -> SnsHeaderSigner:
        """SNS signs bodies, not headers: see :class:`~simulators.aws.sns.SnsHeaderSigner`."""
        return SnsHeaderSigner()

    def new_webhook_secret(self) -> str | None:
        """SNS endpoints have no shared secret (signatures use the certificate)."""
        return None

    def health(self) -> dict[str, Any]:
        """The signing certificate's file name."""
        return {"sns_certificate": self.bridge.key.file_name}

    # -- HTTP ------------------------------------------------------------------------------------------
    def build_wsgi_app(self) -> WSGIApp:
        """moto's ``DomainDispatcherApplication`` behind :class:`AwsFrontApp`."""
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        moto_app = DomainDispatcherApplication(create_backend_app)
        return AwsFrontApp(self.bridge, moto_app, self.public_url)

    def base_url(self) -> str:
        """The simulator's public URL as seen by the current control request."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return request.host_url.rstrip("/") if has_request_context() else ""

    def control_blueprint(self) -> Blueprint:
        """``/_sim/aws/...`` (see :mod:`simulators.aws.control`)."""
        return build_control_blueprint(self.bridge, self.base_url)

    def control_openapi_paths(self) -> dict[str, Any]:
        return control_openapi_paths()
