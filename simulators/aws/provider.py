"""AWS (SES, SNS, S3) through moto behind the simulator kernel (``genai-demo sim aws``, port 12115).

Point boto3 at it with ``endpoint_url`` (any access key and secret; region as you like). moto's server
app runs in the simulator's own process (the granian worker), so ``/_sim/reset`` resets moto's backends
in place and the SNS/SES additions see the same state. The kernel gives it the same ``/_sim/`` API as
every simulator:

* faults match ``path`` and ``operation`` = the AWS action (``Publish``, ``SendEmail``, ``PutObject``...;
  see :mod:`simulators.aws.api`) and ``account`` = the access key id; a ``status``/``rate_limit``
  fault answers AWS's own error XML (:mod:`simulators.aws.exceptions`) so boto3 raises ``ClientError``
  with a real code;
* the journal masks ``Authorization`` and ``X-Amz-Security-Token``.

Beyond moto: signed SNS HTTP/S deliveries (:mod:`simulators.aws.webhooks`) and the confirmation handshake
(:mod:`simulators.aws.models_sns`), SES mailbox-simulator feedback (:mod:`simulators.aws.models_ses`), SMS
attributes and opt-outs (:mod:`simulators.aws.models`), inspection under ``/_sim/aws/``
(:mod:`simulators.aws.control`). moto's own ``/moto-api/`` stays reachable. moto's state is process-wide:
two AWS simulators in one process share it (and a reset of one resets both).
"""

from __future__ import annotations

import logging
from typing import Any

from simulators.aws import patches, urls
from simulators.aws.api import AwsApi, operation_name, request_info
from simulators.aws.control import AwsControls
from simulators.aws.exceptions import Protocol, error_for_status
from simulators.aws.models import MotoBridge
from simulators.aws.webhooks import CONTENT_TYPE, RETRY_SCHEDULE, SnsHeaderSigner
from simulators.kernel import ErrorResponse, SimRequest, SimulatorProvider

log = logging.getLogger(__name__)


class AwsProvider(SimulatorProvider):
    """moto's server app with the kernel's faults, journal and webhook dispatcher (module docstring)."""

    name = "aws"
    description = "AWS SES, SNS and S3 (moto) with signed SNS deliveries and SES feedback"
    default_port = 12115
    request_id_header = "x-amzn-RequestId"
    retry_schedule = RETRY_SCHEDULE
    webhook_content_type = CONTENT_TYPE
    masked_headers = frozenset({"x-amz-security-token"})
    api_routes = urls.API_ROUTES
    control_routes = urls.CONTROL_ROUTES

    def setup(self) -> None:
        """Wrap moto's methods (once per process) and build the bridge and its signing key."""
        patches.install()
        self.public_url = self.env.get("AWS_SIM_PUBLIC_URL") or None
        self.bridge = MotoBridge(self.runtime)

    def reset(self) -> None:
        """Reset moto's backends in place (``POST /moto-api/reset``) and the bridge's state."""
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        self.bridge.reset()

    # -- kernel hooks ----------------------------------------------------------------------------------
    def account_for(self, request: SimRequest) -> str | None:
        """The access key id (SigV4 credential scope, presigned URL or SigV2)."""
        return request_info(request).access_key

    def operation_for(self, request: SimRequest) -> str | None:
        """The AWS action (``Publish``, ``SendEmail``, ``PutObject``...), or the simulator's own route's."""
        return self.api.operation(request) or operation_name(request)

    def new_request_id(self) -> str:
        """A uuid4, like ``x-amzn-RequestId`` (also put in the body of a fault's error)."""
        return self.runtime.ids.uuid4()

    def error_for(self, status: int, request: SimRequest | None) -> ErrorResponse:
        """AWS's error body for ``status`` in the protocol of ``request`` (its signing service; JSON when it
        has an ``X-Amz-Target``), with its request id."""
        if request is None:
            return error_for_status(status, Protocol("sns"), self.runtime.ids.uuid4()).to_response()
        protocol = Protocol(request_info(request).service, json=request.header("X-Amz-Target") is not None)
        rid = request.request_id or self.runtime.ids.uuid4()
        return error_for_status(status, protocol, rid).to_response()

    def signer(self) -> SnsHeaderSigner:
        """SNS signs bodies, not headers: see :class:`~simulators.aws.models_sns.SnsHeaderSigner`."""
        return SnsHeaderSigner()

    def new_webhook_secret(self) -> str | None:
        """SNS endpoints have no shared secret (signatures use the certificate)."""
        return None

    def health(self) -> dict[str, Any]:
        """The signing certificate's file name."""
        return {"sns_certificate": self.bridge.key.file_name}

    # -- HTTP ------------------------------------------------------------------------------------------
    def build_api(self) -> AwsApi:
        """The simulator's own routes in front of moto's ``DomainDispatcherApplication``."""
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        moto_app = DomainDispatcherApplication(create_backend_app)
        return AwsApi(self, self.bridge, moto_app, self.public_url)

    def control_handlers(self) -> AwsControls:
        """``/_sim/aws/...`` (see :mod:`simulators.aws.control`)."""
        return AwsControls(self.bridge, self.public_url)
