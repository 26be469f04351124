"""The Twilio resources as Twilio renders them (no state, no HTTP): the Message resource in the field order
of twilio-oai's examples (``api.v2010.account.message``), with RFC 2822 dates and the URIs of ``urls.py``.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from typing import Any

from simulators.twilio import urls
from simulators.twilio.models import API_VERSION, Message


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
