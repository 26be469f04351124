"""The Twilio API handlers: authenticate, parse, call the model, render Twilio's JSON.

No state lives here. Each handler is named after Twilio's operationId (the operations of
``urls.API_ROUTES``), receives the request explicitly from the kernel's
:class:`~simulators.kernel.api.ProviderApi`, authenticates with HTTP Basic ``AccountSid:AuthToken``
(401/20003 otherwise, also when the AccountSid in the path is not the authenticated one, as for subaccount
credentials used on another account), and renders the Message resource (:mod:`simulators.twilio.resources`).
"""

from __future__ import annotations

import email.utils
from datetime import UTC, date, datetime, time, timedelta

from simulators.kernel.api import Response
from simulators.kernel.wsgi import SimRequest
from simulators.twilio import exceptions as exc
from simulators.twilio import urls
from simulators.twilio.auth import Account, AccountRegistry
from simulators.twilio.models import DateFilter, ListQuery, Message, TwilioBackend
from simulators.twilio.resources import message_resource
from simulators.twilio.validation import list_paging

_DATE_FORMATS = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S")


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
    """The API handlers, one per operation of ``urls.API_ROUTES``."""

    def __init__(self, backend: TwilioBackend, accounts: AccountRegistry) -> None:
        self.backend = backend
        self.accounts = accounts

    # -- helpers -------------------------------------------------------------------------------------------
    def _authenticate(self, request: SimRequest, account_sid: str) -> Account:
        credentials = request.basic_auth()
        if credentials is None or not credentials[0]:
            raise exc.TwilioAuthenticationError()
        account = self.accounts.authenticate(*credentials)
        if account is None or account.sid != account_sid:
            raise exc.TwilioAuthenticationError()
        return account

    def _readable(self, request: SimRequest, account_sid: str) -> Account:
        account = self._authenticate(request, account_sid)
        if account.test:
            raise exc.test_credentials_forbidden()
        return account

    def _message(self, request: SimRequest, account: Account, sid: str) -> Message:
        message = self.backend.get_message(account.sid, sid)
        if message is None:
            raise exc.TwilioNotFoundError(request.path)
        return message

    # -- views ----------------------------------------------------------------------------------------------
    def CreateMessage(self, request: SimRequest, account_sid: str) -> Response:
        """``POST …/Messages.json``: 201 with the new Message."""
        account = self._authenticate(request, account_sid)
        message = self.backend.create_message(account, request.form())
        return Response.json(message_resource(message), 201)

    def FetchMessage(self, request: SimRequest, account_sid: str, sid: str) -> Response:
        """``GET …/Messages/{Sid}.json``."""
        account = self._readable(request, account_sid)
        return Response.json(message_resource(self._message(request, account, sid)))

    def UpdateMessage(self, request: SimRequest, account_sid: str, sid: str) -> Response:
        """``POST …/Messages/{Sid}.json``: ``Body=""`` redacts; ``Status=canceled`` only for scheduled
        messages (this simulator schedules none, so it is 30409); anything else is 30400."""
        account = self._readable(request, account_sid)
        self._message(request, account, sid)
        body = request.form_value("Body")
        status = request.form_value("Status")
        if (body is None) == (status is None) or (body is not None and body != ""):
            raise exc.invalid_update()
        if status is not None:
            if status != "canceled":
                raise exc.invalid_update()
            raise exc.cannot_cancel()
        message = self.backend.redact(account.sid, sid)
        if message is None:
            raise exc.TwilioNotFoundError(request.path)
        return Response.json(message_resource(message))

    def DeleteMessage(self, request: SimRequest, account_sid: str, sid: str) -> Response:
        """``DELETE …/Messages/{Sid}.json``: 204."""
        account = self._readable(request, account_sid)
        if not self.backend.delete(account.sid, sid):
            raise exc.TwilioNotFoundError(request.path)
        return Response.empty()

    def ListMessage(self, request: SimRequest, account_sid: str) -> Response:
        """``GET …/Messages.json``: newest first, Twilio's paging envelope."""
        account = self._readable(request, account_sid)
        arg = request.query_value
        page, page_size = list_paging(arg("Page"), arg("PageSize"))
        filters = [(k, v) for k in ("To", "From", "DateSent", "DateSent<", "DateSent>") if (v := arg(k))]
        query = ListQuery(
            to=arg("To") or None,
            from_=arg("From") or None,
            dates=date_filter(arg("DateSent"), arg("DateSent<"), arg("DateSent>")),
            page=page,
            page_size=page_size,
            page_token=arg("PageToken") or None,
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
        return Response.json(envelope)
