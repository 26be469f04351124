"""The AWS simulator's own API handlers (the routes of ``urls.API_ROUTES``; moto serves everything else).

* ``GetSigningCertificate``: the SNS signing certificate as PEM (404 for any other key id).
* ``ConfirmSubscription`` and ``Unsubscribe``: what an SNS ``SubscribeURL`` / ``UnsubscribeURL`` does
  when a receiver GETs it, answered with SNS's XML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from simulators.aws.exceptions import NAMESPACES, AwsError, Protocol, invalid_parameter
from simulators.kernel.api import Response
from simulators.kernel.wsgi import SimRequest

if TYPE_CHECKING:
    from simulators.aws.models import MotoBridge


class AwsResponses:
    """Handlers named after the operations of ``urls.API_ROUTES``."""

    def __init__(self, bridge: MotoBridge) -> None:
        self.bridge = bridge

    def GetSigningCertificate(self, request: SimRequest, key_id: str) -> Response:
        """``GET /SimpleNotificationService-<id>.pem``."""
        if request.path[1:] != self.bridge.key.file_name:
            raise AwsError(
                "NotFound", "The specified certificate does not exist.", 404, protocol=Protocol("s3")
            )
        return Response(self.bridge.key.pem, 200, "application/x-x509-ca-cert")

    def ConfirmSubscription(self, request: SimRequest) -> Response:
        """``GET /?Action=ConfirmSubscription&TopicArn=...&Token=...`` (a ``SubscribeURL``)."""
        from moto.sns.exceptions import SNSInvalidParameter

        request_id = self.bridge.runtime.ids.uuid4()
        try:
            arn = self.bridge.sns.confirm(
                request.query_value("Token", ""), request.query_value("TopicArn", ""), authenticated=False
            )
        except SNSInvalidParameter:
            raise invalid_parameter("Invalid parameter: Token", request_id) from None
        xml = (
            f'<ConfirmSubscriptionResponse xmlns="{NAMESPACES["sns"]}"><ConfirmSubscriptionResult>'
            f"<SubscriptionArn>{escape(arn)}</SubscriptionArn></ConfirmSubscriptionResult>"
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
            "</ConfirmSubscriptionResponse>"
        )
        return Response(xml.encode(), 200, "text/xml")

    def Unsubscribe(self, request: SimRequest) -> Response:
        """``GET /?Action=Unsubscribe&SubscriptionArn=...`` (an ``UnsubscribeURL``)."""
        request_id = self.bridge.runtime.ids.uuid4()
        if not self._unsubscribe(request.query_value("SubscriptionArn", "") or ""):
            raise AwsError("NotFound", "Subscription does not exist", 404, request_id=request_id)
        xml = (
            f'<UnsubscribeResponse xmlns="{NAMESPACES["sns"]}"><ResponseMetadata><RequestId>{request_id}'
            "</RequestId></ResponseMetadata></UnsubscribeResponse>"
        )
        return Response(xml.encode(), 200, "text/xml")

    @staticmethod
    def _unsubscribe(arn: str) -> bool:
        from moto.sns.models import sns_backends
        from moto.utilities.arns import parse_arn

        try:
            parsed = parse_arn(arn)
        except (ValueError, IndexError):
            return False
        backend = sns_backends[parsed.account][parsed.region]
        if arn not in backend.subscriptions:
            return False
        backend.unsubscribe(arn)
        return True
