"""HTTP layer of the Twilio simulator: authenticate, parse, call the model, render Twilio's JSON.

No state lives here. Each view is named after Twilio's operationId (see ``urls.py``), authenticates with
HTTP Basic ``AccountSid:AuthToken`` (401/20003 otherwise, also when the AccountSid in the path is not the
authenticated one, as for subaccount credentials used on another account), and renders the Message
resource in the field order of twilio-oai's examples, with RFC 2822 dates.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Response, request

from simulators.kernel.responses import json_response
from simulators.twilio import exceptions as exc
from simulators.twilio import urls
from simulators.twilio.accounts import Account, AccountRegistry
from simulators.twilio.models import (
    API_VERSION,
    DateFilter,
    ListQuery,
    Message,
    TwilioBackend,
)

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S")


def rfc2822(value: datetime | None) -> str | None:
    """``Thu, 30 Jul 2015 20:12:31 +0000`` (or ``None``)."""
    return email.utils.format_datetime(value.astimezone(UTC)) if value is not None else None


def message_resource(message: Message) -> dict[str, Any]:
    """The Message resource as Twilio renders it (twilio-oai ``api.v2010.account.message``)."""
    return {
        "account_sid": message.account_sid,
        "api_version": API_VERSION,
        "body": message.body,
        "date_created": rfc2822(message.date_created),
        "date_sent": rfc2822(message.date_sent),
        "date_updated": rfc2822(message.date_updated),
        "direction": message.direction,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "from": message.from_,
        "messaging_service_sid": message.messaging_service_sid,
        "num_media": message.num_media,
        "num_segments": message.num_segments,
        "price": message.price,
        "price_unit": message.price_unit,
        "sid": message.sid,
        "status": message.status,
        "subresource_uris": {"media": urls.media_uri(message.account_sid, message.sid)},
        "to": message.to,
        "uri": urls.message_uri(message.account_sid, message.sid),
    }


def _parse_date(raw: str) -> tuple[datetime, bool]:
    """A ``DateSent`` value as a UTC datetime and whether it names a whole day."""
    raw = raw.strip()
    try:
        day = date.fromisoformat(raw)
        return datetime.combine(day, time(), UTC), True
    except ValueError:
        pass  # not a bare date: fall through to the full timestamp formats
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(raw, fmt)
        except ValueError:
            continue
        parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        return parsed, parsed.time() == time()
    try:
        parsed = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        raise exc.TwilioValidationError(f"Invalid value for DateSent: {raw}", 20001) from None
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return parsed, parsed.time() == time()


def date_filter(on: str | None, before: str | None, after: str | None) -> DateFilter:
    """``DateSent`` (that UTC day), ``DateSent<`` (on or before), ``DateSent>`` (on or after)."""
    day = _parse_date(on)[0].date() if on else None
    not_after = not_before = None
    if before:
        value, whole_day = _parse_date(before)
        not_after = value + timedelta(days=1) - timedelta(microseconds=1) if whole_day else value
    if after:
        not_before = _parse_date(after)[0]
    return DateFilter(day, not_after, not_before)


class TwilioResponses:
    """The API views; ``provider.py`` registers them on a blueprint with the rules of ``urls.py``."""

    def __init__(self, backend: TwilioBackend, accounts: AccountRegistry) -> None:
        self.backend = backend
        self.accounts = accounts

    # -- helpers -------------------------------------------------------------------------------------------
    def _authenticate(self, account_sid: str) -> Account:
        auth = request.authorization
        if auth is None or auth.type != "basic" or not auth.username or auth.password is None:
            raise exc.TwilioAuthenticationError()
        account = self.accounts.authenticate(auth.username, auth.password)
        if account is None or account.sid != account_sid:
            raise exc.TwilioAuthenticationError()
        return account

    def _readable(self, account_sid: str) -> Account:
        account = self._authenticate(account_sid)
        if account.test:
            raise exc.test_credentials_forbidden()
        return account

    def _message(self, account: Account, sid: str) -> Message:
        message = self.backend.get_message(account.sid, sid)
        if message is None:
            raise exc.TwilioNotFoundError(request.path)
        return message

    # -- views ----------------------------------------------------------------------------------------------
    def CreateMessage(self, account_sid: str) -> Response:
        """``POST …/Messages.json``: 201 with the new Message."""
        account = self._authenticate(account_sid)
        message = self.backend.create_message(account, request.form.to_dict(flat=False))
        return json_response(message_resource(message), 201)

    def FetchMessage(self, account_sid: str, sid: str) -> Response:
        """``GET …/Messages/{Sid}.json``."""
        account = self._readable(account_sid)
        return json_response(message_resource(self._message(account, sid)))

    def UpdateMessage(self, account_sid: str, sid: str) -> Response:
        """``POST …/Messages/{Sid}.json``: ``Body=""`` redacts; ``Status=canceled`` only for scheduled
        messages (this simulator schedules none, so it is 30409); anything else is 30400."""
        account = self._readable(account_sid)
        self._message(account, sid)
        body = request.form.get("Body")
        status = request.form.get("Status")
        if (body is None) == (status is None) or (body is not None and body != ""):
            raise exc.invalid_update()
        if status is not None:
            if status != "canceled":
                raise exc.invalid_update()
            raise exc.cannot_cancel()
        message = self.backend.redact(account.sid, sid)
        if message is None:
            raise exc.TwilioNotFoundError(request.path)
        return json_response(message_resource(message))

    def DeleteMessage(self, account_sid: str, sid: str) -> Response:
        """``DELETE …/Messages/{Sid}.json``: 204."""
        account = self._readable(account_sid)
        if not self.backend.delete(account.sid, sid):
            raise exc.TwilioNotFoundError(request.path)
        return Response(status=204)

    def ListMessage(self, account_sid: str) -> Response:
        """``GET …/Messages.json``: newest first, Twilio's paging envelope."""
        account = self._readable(account_sid)
        args = request.args
        try:
            page = max(0, int(args.get("Page", "0")))
            page_size = min(MAX_PAGE_SIZE, max(1, int(args.get("PageSize", str(DEFAULT_PAGE_SIZE)))))
        except ValueError:
            raise exc.TwilioValidationError("Invalid paging parameters", 20001) from None
        filters = [(k, args[k]) for k in ("To", "From", "DateSent", "DateSent<", "DateSent>") if args.get(k)]
        query = ListQuery(
            to=args.get("To") or None,
            from_=args.get("From") or None,
            dates=date_filter(args.get("DateSent"), args.get("DateSent<"), args.get("DateSent>")),
            page=page,
            page_size=page_size,
            page_token=args.get("PageToken") or None,
        )
        result = self.backend.list_messages(account.sid, query)
        paging = [("PageSize", str(page_size))]
        current = [*filters, *paging, ("Page", str(page))]
        if query.page_token:
            current.append(("PageToken", query.page_token))
        start = page * page_size
        items = result.items
        next_uri = prev_uri = None
        if result.has_next and items:
            next_uri = urls.list_uri(
                account.sid, [*filters, *paging, ("Page", str(page + 1)), ("PageToken", "PA" + items[-1].sid)]
            )
        if result.has_previous and items and page > 0:
            prev_uri = urls.list_uri(
                account.sid, [*filters, *paging, ("Page", str(page - 1)), ("PageToken", "PB" + items[0].sid)]
            )
        envelope = {
            "end": start + len(items) - 1 if items else start,
            "first_page_uri": urls.list_uri(account.sid, [*filters, *paging, ("Page", "0")]),
            "next_page_uri": next_uri,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": prev_uri,
            "messages": [message_resource(m) for m in items],
            "start": start,
            "uri": urls.list_uri(account.sid, current),
        }
        return json_response(envelope)
