"""problem+json (RFC 9457): the one way the service reports an error.

Every error, whether raised by pydantic, the domain, the service layer, an adapter or Werkzeug, is
rendered by ``render_problem`` as ``application/problem+json`` with a stable ``type``. The types are
listed in ``PROBLEM_TYPES``; each is a relative URI (``/problems/validation-error``) that the service
itself serves, so ``curl localhost:8000/problems/validation-error`` explains it. 4xx problems about
the request name the bad field in ``errors[].field`` (dotted path) and ``errors[].pointer`` (JSON
Pointer). A 500 never shows internals: its ``detail`` is generic and the log line carries the
traceback under the same ``request_id``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, g, request
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge

from reference_service.domain.errors import IllegalTransition, InvalidOrder, UnchargeableAmount
from reference_service.domain.inventory import InvalidStock
from reference_service.entrypoints.api.schemas import FieldErrorOut, ProblemOut
from reference_service.service_layer import delivery_errors as deliveries
from reference_service.service_layer import errors as svc
from reference_service.service_layer import file_errors as files
from reference_service.service_layer import notification_errors as notif

logger = logging.getLogger(__name__)
#: errors that mean the database could not be reached or dropped the connection (not a constraint or a bug)
DB_UNAVAILABLE = (OperationalError, InterfaceError)

PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: str
    description: str


PROBLEM_TYPES: dict[str, ProblemType] = {
    p.slug: p
    for p in (
        ProblemType(
            "validation-error",
            422,
            "Request validation failed",
            "The body or query string is well-formed but breaks the schema; `errors` names each bad field.",
        ),
        ProblemType(
            "malformed-request",
            400,
            "Malformed request",
            "The body is not valid JSON, or a header has an invalid value; `errors` says which.",
        ),
        ProblemType(
            "unsupported-media-type",
            415,
            "Unsupported media type",
            "Send request bodies as `Content-Type: application/json`.",
        ),
        ProblemType(
            "payload-too-large",
            413,
            "Request body too large",
            "The body exceeds the configured limit (`MAX_REQUEST_BYTES`).",
        ),
        ProblemType("not-found", 404, "Not found", "No route, or no resource with that id."),
        ProblemType(
            "method-not-allowed", 405, "Method not allowed", "The route exists; see the `Allow` header."
        ),
        ProblemType(
            "invalid-state-transition",
            409,
            "Invalid state transition",
            "The resource's status machine does not allow this change from its current status.",
        ),
        ProblemType(
            "concurrent-modification",
            409,
            "Concurrent modification",
            "Another request changed the resource at the same time; retry.",
        ),
        ProblemType(
            "idempotency-key-reused",
            422,
            "Idempotency-Key reused",
            "The Idempotency-Key was first used with a different request body.",
        ),
        ProblemType("invalid-order", 422, "Invalid order", "The order breaks a business rule."),
        ProblemType(
            "amount-out-of-range",
            422,
            "Amount out of range",
            "The order's total is outside what the payment providers charge: at most 99,999,999 minor "
            "units, and at least the currency's minimum (50 for USD and EUR, 30 for GBP...).",
        ),
        ProblemType(
            "payment-request-rejected",
            422,
            "Payment request rejected",
            "The payment provider refused the request as invalid (not a decline): `provider_code` and "
            "the detail give its reason. Change the request; retrying it as it is fails again.",
        ),
        ProblemType(
            "invalid-stock",
            422,
            "Invalid stock",
            "The stock change breaks a rule (e.g. below what is reserved).",
        ),
        ProblemType(
            "payment-declined",
            402,
            "Payment declined",
            "The provider declined the payment. `code` is the service's code (CARD_DECLINED, "
            "INSUFFICIENT_FUNDS, EXPIRED_CARD, PAYMENT_ERROR, ...) and `detail` what the customer sees.",
        ),
        ProblemType(
            "payment-conflict",
            409,
            "Payment conflict",
            "The order cannot take a payment now: it is paid, or `payment_id` is still in progress.",
        ),
        ProblemType(
            "provider-unavailable",
            503,
            "Provider unavailable",
            "A provider kept failing after the retry policy; nothing was charged twice. Retry later "
            "(see `Retry-After`): the same request resumes the same payment attempt.",
        ),
        ProblemType(
            "webhook-signature-invalid",
            400,
            "Webhook signature invalid",
            "The webhook's signature is missing, malformed, stale or does not match; nothing was applied.",
        ),
        ProblemType(
            "provider-error",
            502,
            "Provider error",
            "An external provider failed; `code` is the service's stable code and `retryable` says "
            "whether trying again may help.",
        ),
        ProblemType(
            "rate-limited",
            429,
            "Too many requests",
            "The client (API key, token subject, else IP) made more requests than its limit allows "
            "(`limit`); `Retry-After` says when to retry, `RateLimit-*` how much is left.",
        ),
        ProblemType(
            "webhook-forbidden",
            403,
            "Webhook signature rejected",
            "The callback's X-Twilio-Signature does not verify against SERVICE_PUBLIC_URL and the form; "
            "nothing was applied.",
        ),
        ProblemType(
            "webhook-not-ready",
            503,
            "Webhook arrived early",
            "The delivery is about something the service is still recording (an email whose SendEmail "
            "answer is being saved); nothing was lost. The sender delivers it again (SNS retries 5xx).",
        ),
        ProblemType(
            "unknown-email-template",
            422,
            "Unknown email template",
            "No email template has this `type`; `known` lists the templates (ORDER_CONFIRMATION, ...).",
        ),
        ProblemType(
            "email-variables-invalid",
            422,
            "Email template variables invalid",
            "Required template variables are missing or malformed; `errors` names every one "
            "(`variables.<name>`). Nothing was sent.",
        ),
        ProblemType(
            "email-recipient-suppressed",
            422,
            "Recipient suppressed",
            "The address hard-bounced or complained before (SES feedback), so it is never emailed again. "
            "The refused attempt is recorded as `notification_id`.",
        ),
        ProblemType(
            "invalid-phone-number",
            422,
            "Invalid phone number",
            "The number is not a valid E.164 number (`+`, country code, subscriber number); no SMS "
            "provider was called.",
        ),
        ProblemType(
            "sms-region-unsupported",
            422,
            "SMS region unsupported",
            "No configured SMS provider sends to the number's region (`region`).",
        ),
        ProblemType(
            "sms-recipient-rejected",
            422,
            "SMS recipient rejected",
            "A provider refused the recipient for good (INVALID_NUMBER, RECIPIENT_OPTED_OUT, "
            "NOT_SMS_CAPABLE); no other provider was tried. `tried` lists the providers called.",
        ),
        ProblemType(
            "all-sms-providers-failed",
            503,
            "All SMS providers failed",
            "Every SMS provider that could take the message failed or had its circuit open "
            "(`tried`, `failures`, `skipped`). Retry later (see `Retry-After`).",
        ),
        ProblemType(
            "address-invalid",
            422,
            "Address invalid",
            "The carrier could not verify the shipping address; `errors` gives its reason for each field "
            "(`code` is the carrier's, e.g. E.ADDRESS.NOT_FOUND).",
        ),
        ProblemType(
            "shipping-address-missing",
            422,
            "Shipping address missing",
            "The order has no `shipping_address` to quote or ship to.",
        ),
        ProblemType(
            "shipping-quote-invalid",
            422,
            "Shipping quote invalid",
            "The quote is unknown to the carrier, expired, or made for another order; ask for new quotes.",
        ),
        ProblemType(
            "delivery-conflict",
            409,
            "Delivery conflict",
            "The order already has a delivery (`delivery_id`) for another quote; cancel it first.",
        ),
        ProblemType(
            "delivery-not-cancellable",
            409,
            "Delivery not cancellable",
            "The carrier has the parcel already (it scanned the label), so the label cannot be refunded.",
        ),
        ProblemType(
            "unauthorized",
            401,
            "Authentication required",
            "Send a bearer access token from the configured issuer (`Authorization: Bearer <jwt>`) or an "
            "API key (`X-API-Key: gdk_...`). `WWW-Authenticate` says what was wrong (RFC 6750).",
        ),
        ProblemType(
            "file-type-not-allowed",
            415,
            "File type not allowed",
            "The file's bytes (magic numbers, not its Content-Type) are not a type its category accepts; "
            "nothing was stored.",
        ),
        ProblemType(
            "file-too-large",
            413,
            "File too large",
            "The file is larger than its category allows (`max_bytes`); nothing was stored.",
        ),
        ProblemType(
            "file-invalid",
            422,
            "File invalid",
            "No file, an empty file, or an unknown category; `errors` names the field.",
        ),
        ProblemType(
            "file-not-uploaded",
            409,
            "File not uploaded",
            "Nothing was posted to S3 for this direct upload yet; post the form, then confirm.",
        ),
        ProblemType(
            "file-upload-failed",
            503,
            "File upload failed",
            "The file store kept failing after the retry policy. Nothing was left behind (no object, no "
            "record); retry later.",
        ),
        ProblemType(
            "storage-unavailable",
            503,
            "Storage unavailable",
            "The file store could not be reached; nothing changed. Retry later.",
        ),
        ProblemType(
            "forbidden",
            403,
            "Forbidden",
            "The credential is valid but none of its roles grants `permission` on this route.",
        ),
        ProblemType(
            "authentication-unavailable",
            503,
            "Authentication unavailable",
            "The issuer's keys could not be fetched and none are cached, so no token can be checked now; "
            "retry later (see `Retry-After`). API keys still work.",
        ),
        ProblemType(
            "database-unavailable",
            503,
            "Database unavailable",
            "The database did not answer (a restart, a failover, a dropped connection). The request's "
            "transaction was rolled back; retry after Retry-After, with the same Idempotency-Key where "
            "the operation takes one, so a commit that did happen is replayed, not repeated.",
        ),
        ProblemType(
            "rate-limit-unavailable",
            503,
            "Rate limiter unavailable",
            "The rate-limit storage did not answer and RATELIMIT_ON_STORAGE_ERROR=closed; retry later.",
        ),
        ProblemType(
            "internal-error",
            500,
            "Internal server error",
            "An unexpected error; quote the `request_id` when reporting it.",
        ),
        ProblemType("http-error", 400, "HTTP error", "A protocol-level error reported by the web server."),
    )
}


@dataclass
class FieldError:
    field: str
    message: str
    code: str
    pointer: str = ""


def _pointer(dotted: str) -> str:
    parts: list[str] = []
    for chunk in dotted.replace("]", "").replace("[", ".").split("."):
        if chunk:
            parts.append(chunk.replace("~", "~0").replace("/", "~1"))
    return "/" + "/".join(parts) if parts else ""


@dataclass
class Problem(Exception):
    """Raise anywhere in an entrypoint to answer with a problem document."""

    slug: str
    detail: str
    errors: list[FieldError] = field(default_factory=list)
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.slug}: {self.detail}"


def render_problem(problem: Problem) -> Response:
    ptype = PROBLEM_TYPES[problem.slug]
    status = problem.status or ptype.status
    errors = [
        FieldErrorOut(field=e.field, pointer=e.pointer or _pointer(e.field), message=e.message, code=e.code)
        for e in problem.errors
    ]
    body = ProblemOut(
        type=f"/problems/{ptype.slug}",
        title=ptype.title,
        status=status,
        detail=problem.detail,
        instance=request.path,
        request_id=getattr(g, "request_id", None),
        errors=errors or None,
        **problem.extra,
    )
    resp = Response(json.dumps(body.model_dump(mode="json")), status=status, mimetype=PROBLEM_JSON)
    for k, v in problem.headers.items():
        resp.headers[k] = v
    return resp


def to_problem(exc: BaseException) -> Problem:
    """Translate any exception into a ``Problem`` (the one mapping table of the service)."""
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, svc.NotFound):
        return Problem(
            "not-found", str(exc), extra={"resource": exc.resource, "resource_id": exc.resource_id}
        )
    if isinstance(exc, IllegalTransition):
        return Problem(
            "invalid-state-transition",
            str(exc),
            extra={"current_status": exc.current, "requested_status": exc.target},
        )
    if isinstance(exc, UnchargeableAmount):
        return Problem("amount-out-of-range", str(exc), [FieldError("items", str(exc), "out_of_range")])
    if isinstance(exc, InvalidOrder):
        errors = [FieldError(exc.field, str(exc), "invalid")] if exc.field else []
        return Problem("invalid-order", str(exc), errors)
    if isinstance(exc, InvalidStock):
        errors = [FieldError(exc.field, str(exc), "invalid")] if exc.field else []
        return Problem("invalid-stock", str(exc), errors)
    if isinstance(exc, svc.IdempotencyKeyReused):
        return Problem(
            "idempotency-key-reused", str(exc), [FieldError("Idempotency-Key", str(exc), "reused")]
        )
    if isinstance(exc, svc.ConcurrencyConflict):
        return Problem("concurrent-modification", str(exc))
    if isinstance(exc, svc.PaymentConflict):
        return Problem("payment-conflict", str(exc), extra={"payment_id": exc.payment_id})
    if isinstance(exc, svc.PaymentDeclined):
        return Problem(
            "payment-declined",
            exc.message,
            extra={
                "code": exc.code,
                "provider": exc.provider,
                "decline_code": exc.decline_code,
                "payment_id": exc.payment_id,
                "retryable": False,
            },
        )
    if isinstance(exc, notif.NOTIFICATION_ERRORS):
        return _notification_problem(exc)
    if isinstance(exc, deliveries.DELIVERY_ERRORS):
        return _delivery_problem(exc)
    if isinstance(exc, files.FILE_ERRORS):
        return _file_problem(exc)
    if isinstance(exc, svc.ProviderError):
        extra = {
            "code": exc.code,
            "provider": exc.provider,
            "retryable": exc.retryable,
            "payment_id": exc.payment_id,
        }
        if exc.retryable:
            return Problem("provider-unavailable", exc.message, headers={"Retry-After": "5"}, extra=extra)
        if exc.code == "PAYMENT_REQUEST_REJECTED":
            return Problem(
                "payment-request-rejected", exc.message, extra={**extra, "provider_code": exc.provider_code}
            )
        return Problem("provider-error", exc.message, status=exc.status, extra=extra)
    if isinstance(exc, DB_UNAVAILABLE) or (isinstance(exc, DBAPIError) and exc.connection_invalidated):
        # the class only: SQLAlchemy's message holds the statement and its parameters
        logger.warning("database unavailable: %s", type(getattr(exc, "orig", None) or exc).__name__)
        return Problem(
            "database-unavailable",
            "The database is unavailable; nothing was changed. Retry later.",
            headers={"Retry-After": "2"},
        )
    if isinstance(exc, RequestEntityTooLarge):
        # the body was not read: say that the connection closes (RFC 9110 15.5.14), or a client may reuse it
        # while granian discards the rest of the body and closes it anyway, and lose its next request
        return Problem(
            "payload-too-large", "The request body exceeds the size limit.", headers={"Connection": "close"}
        )
    if isinstance(exc, MethodNotAllowed):
        allowed = sorted(exc.valid_methods or [])
        return Problem(
            "method-not-allowed",
            f"{request.method} is not allowed here; use {', '.join(allowed)}.",
            headers={"Allow": ", ".join(allowed)},
        )
    if isinstance(exc, NotFound):
        return Problem("not-found", f"No route for {request.method} {request.path}.")
    if isinstance(exc, HTTPException):
        code = exc.code or 500
        if code == 429:
            return Problem("rate-limited", exc.description or "Too many requests.")
        return Problem("http-error", exc.description or exc.name, status=code)
    return Problem("internal-error", "An unexpected error occurred.")


def _notification_problem(exc: svc.ServiceError) -> Problem:
    """The notifications area's errors (``service_layer/notification_errors.py``)."""
    if isinstance(exc, notif.UnknownEmailTemplate):
        return Problem(
            "unknown-email-template",
            str(exc),
            [FieldError("type", f"one of {', '.join(exc.known)}", "unknown")],
            extra={"known": exc.known},
        )
    if isinstance(exc, notif.EmailVariablesInvalid):
        errors = [FieldError(f"variables.{n}", f"{n!r} is required", "missing") for n in exc.missing]
        errors += [FieldError(f"variables.{n}", why, "invalid") for n, why in sorted(exc.invalid.items())]
        return Problem("email-variables-invalid", str(exc), errors, extra={"missing": exc.missing})
    if isinstance(exc, notif.RecipientSuppressed):
        suppressed = {"reason": exc.reason, "notification_id": exc.notification_id}
        return Problem("email-recipient-suppressed", str(exc), extra=suppressed)
    if isinstance(exc, notif.InvalidPhoneNumber):
        return Problem("invalid-phone-number", str(exc), [FieldError("phone", exc.reason, "invalid")])
    if isinstance(exc, notif.SmsRegionUnsupported):
        return Problem("sms-region-unsupported", str(exc), extra={"region": exc.region})
    if isinstance(exc, notif.SmsRecipientRejected):
        extra: dict[str, Any] = {
            "code": exc.code,
            "provider": exc.provider,
            "provider_code": exc.provider_code,
            "retryable": False,
            "tried": exc.tried,
            "notification_id": exc.notification_id,
        }
        return Problem("sms-recipient-rejected", exc.message, extra=extra)
    if isinstance(exc, notif.AllSmsProvidersFailedException):
        extra = {
            "code": "ALL_PROVIDERS_FAILED",
            "retryable": True,
            "tried": exc.tried,
            "failures": [dataclasses.asdict(failure) for failure in exc.failures],
            "skipped": exc.skipped,
            "notification_id": exc.notification_id,
        }
        return Problem("all-sms-providers-failed", str(exc), headers={"Retry-After": "5"}, extra=extra)
    return Problem("internal-error", "An unexpected error occurred.")


def _delivery_problem(exc: svc.ServiceError) -> Problem:
    """The deliveries area's errors (``service_layer/delivery_errors.py``)."""
    if isinstance(exc, deliveries.AddressInvalid):
        errors = [FieldError(_address_field(i.field), i.message, i.code) for i in exc.issues]
        return Problem("address-invalid", str(exc), errors)
    if isinstance(exc, deliveries.ShippingQuoteInvalid):
        return Problem("shipping-quote-invalid", str(exc), [FieldError("quote_id", str(exc), "invalid")])
    if isinstance(exc, deliveries.DeliveryConflict):
        return Problem("delivery-conflict", str(exc), extra={"delivery_id": exc.delivery_id})
    if isinstance(exc, deliveries.DeliveryNotCancellable):
        return Problem("delivery-not-cancellable", str(exc), extra={"delivery_id": exc.delivery_id})
    if isinstance(exc, deliveries.ShippingAddressMissing):
        return Problem(
            "shipping-address-missing", str(exc), [FieldError("shipping_address", "required", "missing")]
        )
    return Problem("internal-error", "An unexpected error occurred.")


def _file_problem(exc: svc.ServiceError) -> Problem:
    """The files area's errors (``service_layer/file_errors.py``)."""
    if isinstance(exc, files.FileTooLarge):
        return Problem(
            "file-too-large",
            str(exc),
            [FieldError(exc.field, str(exc), "too_large")],
            extra={"max_bytes": exc.max_bytes},
        )
    if isinstance(exc, files.FileRejected):
        if exc.reason == "type":
            return Problem("file-type-not-allowed", str(exc), [FieldError(exc.field, str(exc), "type")])
        if exc.reason == "missing":
            return Problem("file-not-uploaded", str(exc))
        return Problem("file-invalid", str(exc), [FieldError(exc.field, str(exc), exc.reason)])
    if isinstance(exc, files.FileUploadFailed):
        return Problem("file-upload-failed", files.UPLOAD_FAILED, headers={"Retry-After": "30"})
    return Problem("storage-unavailable", str(exc), headers={"Retry-After": "30"})


def _address_field(carrier_field: str) -> str:
    """The carrier's field name as the request's (``address`` is the whole address: ``street1``)."""
    return "street1" if carrier_field in ("address", "") else carrier_field


def install_error_handlers(app: Flask) -> None:
    """Register the single handler that renders every error as problem+json."""
    from reference_service.entrypoints.access import public  # access renders its refusals with Problem

    @app.errorhandler(Exception)
    def _handle(exc: Exception) -> Response:
        problem = to_problem(exc)
        if problem.slug == "internal-error":
            logger.exception("unhandled error on %s %s", request.method, request.url_rule or "<unmatched>")
        return render_problem(problem)

    @app.get("/problems")
    @public("what each problem type means")
    def _problem_index() -> Response:
        return Response(
            json.dumps([_type_doc(p) for p in PROBLEM_TYPES.values()]), mimetype="application/json"
        )

    @app.get("/problems/<slug>")
    @public("what each problem type means")
    def _problem_doc(slug: str) -> Response:
        if slug not in PROBLEM_TYPES:
            raise Problem("not-found", f"No problem type {slug!r}.")
        return Response(json.dumps(_type_doc(PROBLEM_TYPES[slug])), mimetype="application/json")


def _type_doc(p: ProblemType) -> dict[str, Any]:
    return {"type": f"/problems/{p.slug}", "title": p.title, "status": p.status, "description": p.description}
