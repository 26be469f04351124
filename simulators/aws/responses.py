"""The AWS simulator's WSGI app: a few routes of its own in front of moto's server app.

:class:`AwsFrontApp` makes a :class:`~simulators.aws.context.RequestContext` current for every request
(so the wrapped moto methods know which simulator they serve and its public URL), answers the paths of
``urls.py`` (SNS signing certificate, ``SubscribeURL``/``UnsubscribeURL`` GETs, moto's reset) and hands
everything else to moto's ``DomainDispatcherApplication``. The public base URL in ``SubscribeURL``,
``UnsubscribeURL`` and ``SigningCertURL`` is ``AWS_SIM_PUBLIC_URL`` when set, else the scheme and
``Host`` of the request being served.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from simulators.aws import urls
from simulators.aws.context import RequestContext, activate
from simulators.aws.exceptions import NAMESPACES, AwsError, Protocol
from simulators.kernel.wsgi import Environ, StartResponse, WSGIApp, read_body

if TYPE_CHECKING:
    from simulators.aws.bridge import MotoBridge

log = logging.getLogger(__name__)


def _respond(start_response: StartResponse, status: str, body: bytes, content_type: str) -> Iterable[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _error(start_response: StartResponse, error: AwsError) -> Iterable[bytes]:
    rendered = error.to_response()
    return _respond(start_response, f"{error.status} Error", rendered.body, rendered.content_type)


class AwsFrontApp:
    """WSGI app: the simulator's own AWS routes, then moto (see the module docstring)."""

    def __init__(self, bridge: MotoBridge, moto_app: WSGIApp, public_url: str | None = None) -> None:
        self.bridge = bridge
        self.moto_app = moto_app
        self.public_url = public_url.rstrip("/") if public_url else None

    def base_url(self, environ: Environ) -> str:
        """The URL receivers use to reach this simulator."""
        if self.public_url:
            return self.public_url
        host = (
            environ.get("HTTP_HOST")
            or f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT')}"
        )
        return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        body = read_body(environ)
        ctx = RequestContext(
            self.bridge,
            self.base_url(environ),
            environ.get("sim.account"),
            body,
            str(environ.get("CONTENT_TYPE") or ""),
        )
        path = str(environ.get("PATH_INFO") or "/")
        method = str(environ.get("REQUEST_METHOD") or "GET").upper()
        with activate(ctx):
            try:
                if method in ("GET", "HEAD") and urls.CERT_PATH.match(path):
                    return self._certificate(path, start_response)
                if method == "GET" and path == urls.ROOT and not environ.get("HTTP_AUTHORIZATION"):
                    query = parse_qs(str(environ.get("QUERY_STRING") or ""))
                    action = (query.get("Action") or [""])[0]
                    if action in urls.URL_ACTIONS:
                        return self._url_action(action, query, ctx, start_response)
            except Exception:
                log.exception("AWS simulator route %s %s failed", method, path)
                return _error(start_response, AwsError("InternalFailure", "Internal error", 500))
            if method == "POST" and path == urls.MOTO_RESET:
                result = list(self.moto_app(environ, start_response))
                self.bridge.reset()
                return result
            return self.moto_app(environ, start_response)

    # -- SNS URLs ----------------------------------------------------------------------------------------
    def _certificate(self, path: str, start_response: StartResponse) -> Iterable[bytes]:
        if path[1:] != self.bridge.key.file_name:
            error = AwsError(
                "NotFound", "The specified certificate does not exist.", 404, protocol=Protocol("s3")
            )
            return _error(start_response, error)
        return _respond(start_response, "200 OK", self.bridge.key.pem, "application/x-x509-ca-cert")

    def _url_action(
        self, action: str, query: dict[str, list[str]], ctx: RequestContext, start_response: StartResponse
    ) -> Iterable[bytes]:
        from moto.sns.exceptions import SNSInvalidParameter

        request_id = self.bridge.runtime.ids.uuid4()
        ns = NAMESPACES["sns"]
        if action == "ConfirmSubscription":
            token = (query.get("Token") or [""])[0]
            topic_arn = (query.get("TopicArn") or [""])[0]
            try:
                arn = self.bridge.sns.confirm(token, topic_arn, authenticated=False)
            except SNSInvalidParameter:
                error = AwsError("InvalidParameter", "Invalid parameter: Token", 400, request_id=request_id)
                return _error(start_response, error)
            xml = (
                f'<ConfirmSubscriptionResponse xmlns="{ns}"><ConfirmSubscriptionResult>'
                f"<SubscriptionArn>{escape(arn)}</SubscriptionArn></ConfirmSubscriptionResult>"
                f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
                "</ConfirmSubscriptionResponse>"
            )
            return _respond(start_response, "200 OK", xml.encode(), "text/xml")
        arn = (query.get("SubscriptionArn") or [""])[0]
        if not self._unsubscribe(arn):
            error = AwsError("NotFound", "Subscription does not exist", 404, request_id=request_id)
            return _error(start_response, error)
        xml = (
            f'<UnsubscribeResponse xmlns="{ns}"><ResponseMetadata><RequestId>{request_id}</RequestId>'
            "</ResponseMetadata></UnsubscribeResponse>"
        )
        return _respond(start_response, "200 OK", xml.encode(), "text/xml")

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
