"""AWS error bodies, so botocore parses a real AWS error code from any simulated failure.

* Query-protocol services (SNS, SES v1, SQS query, STS...): ``text/xml``
  ``<ErrorResponse xmlns=...><Error><Type>Sender|Receiver</Type><Code/><Message/></Error>
  <RequestId/></ErrorResponse>`` (botocore ``QueryParser._do_error_parse``).
* S3 (rest-xml): ``application/xml`` ``<Error><Code/><Message/><RequestId/><HostId/></Error>``
  (botocore ``RestXMLParser._parse_error_from_body``).
* JSON-protocol services (an ``X-Amz-Target`` header): ``{"__type": code, "message": ...}``.

:func:`error_for_status` picks the code AWS uses for a bare HTTP status (what a kernel ``status`` or
``rate_limit`` fault answers): 400/429 ``Throttling`` "Rate exceeded" (S3: ``SlowDown``), 500
``InternalError`` (SNS and S3; SES and others: ``InternalFailure``), 503 ``ServiceUnavailable`` (S3:
``SlowDown``), 403 ``InvalidClientTokenId`` (S3: ``AccessDenied``). botocore retries ``Throttling``,
``SlowDown``, ``InternalError`` and every 500/502/503/504 in both its legacy and standard retry modes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus
from xml.sax.saxutils import escape

from simulators.kernel.errors import ErrorResponse, ProviderError

NAMESPACES = {
    "sns": "http://sns.amazonaws.com/doc/2010-03-31/",
    "ses": "http://ses.amazonaws.com/doc/2010-12-01/",
    "email": "http://ses.amazonaws.com/doc/2010-12-01/",
    "sqs": "http://queue.amazonaws.com/doc/2012-11-05/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}


@dataclass(frozen=True)
class Protocol:
    """How to render an error for one request: the signing service and whether it speaks JSON."""

    service: str | None = None
    json: bool = False


class AwsError(ProviderError):
    """An AWS error with its code, HTTP status and fault side, rendered for the request's protocol."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        protocol: Protocol | None = None,
        request_id: str = "",
    ) -> None:
        super().__init__(message, status)
        self.code = code
        self.protocol = protocol or Protocol("sns")
        self.request_id = request_id

    @property
    def fault(self) -> str:
        """``Sender`` for 4xx, ``Receiver`` for 5xx."""
        return "Receiver" if self.status >= 500 else "Sender"

    def to_response(self) -> ErrorResponse:
        """The body in the request's protocol (see the module docstring)."""
        if self.protocol.json:
            body = {"__type": self.code, "message": self.message}
            return ErrorResponse(json.dumps(body).encode(), "application/x-amz-json-1.0")
        code, msg, rid = escape(self.code), escape(self.message), escape(self.request_id)
        if self.protocol.service == "s3":
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{code}</Code><Message>{msg}</Message>"
                f"<RequestId>{rid}</RequestId><HostId>{rid}</HostId></Error>"
            )
            return ErrorResponse(xml.encode(), "application/xml")
        namespace = NAMESPACES.get(self.protocol.service or "", "http://amazonaws.com/doc/")
        xml = (
            f'<ErrorResponse xmlns="{namespace}"><Error><Type>{self.fault}</Type><Code>{code}</Code>'
            f"<Message>{msg}</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
        )
        return ErrorResponse(xml.encode(), "text/xml")


def error_for_status(status: int, protocol: Protocol, request_id: str = "") -> AwsError:
    """The error AWS answers with a bare HTTP ``status`` (see the module docstring)."""
    s3 = protocol.service == "s3"
    if status in (400, 429):
        code, message = (
            ("SlowDown", "Please reduce your request rate.") if s3 else ("Throttling", "Rate exceeded")
        )
    elif status == 403:
        code, message = (
            ("AccessDenied", "Access Denied")
            if s3
            else ("InvalidClientTokenId", "The security token included in the request is invalid.")
        )
    elif status == 404:
        code, message = (
            ("NoSuchKey", "The specified key does not exist.") if s3 else ("NotFound", "Not Found")
        )
    elif status == 500:
        if s3 or protocol.service == "sns":
            code, message = "InternalError", "We encountered an internal error. Please try again."
        else:
            code, message = (
                "InternalFailure",
                "The request processing has failed because of an unknown error.",
            )
    elif status == 503:
        code, message = (
            ("SlowDown", "Please reduce your request rate.")
            if s3
            else ("ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
        )
    else:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        code, message = ("InternalFailure", phrase) if status >= 500 else (phrase.replace(" ", ""), phrase)
    return AwsError(code, message, status, protocol=protocol, request_id=request_id)


def invalid_parameter(message: str, request_id: str = "") -> AwsError:
    """SNS ``InvalidParameter`` (400)."""
    return AwsError("InvalidParameter", message, 400, protocol=Protocol("sns"), request_id=request_id)
