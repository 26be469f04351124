"""Errors of the notifications area. Each maps to one problem+json type in ``entrypoints/errors.py``.

None of them carries an email address, a phone number or a message text: their messages reach logs and
problem documents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reference_service.service_layer.errors import ProviderError, ServiceError


class UnknownEmailTemplate(ServiceError):
    """No email template has this name."""

    def __init__(self, template: str, known: Sequence[str]) -> None:
        super().__init__(f"unknown email template {template!r}; use one of {', '.join(known)}")
        self.template = template
        self.known = list(known)


class EmailVariablesInvalid(ServiceError):
    """Required template variables are missing (every one is named) or have the wrong shape; nothing sent."""

    def __init__(
        self, template: str, missing: Sequence[str], invalid: Mapping[str, str] | None = None
    ) -> None:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if invalid:
            parts.append(f"invalid {', '.join(sorted(invalid))}")
        super().__init__(f"template {template} cannot be rendered: {'; '.join(parts)}")
        self.template = template
        self.missing = list(missing)
        self.invalid = dict(invalid or {})


class RecipientSuppressed(ServiceError):
    """The address hard-bounced or complained before; SES feedback put it on the suppression list."""

    def __init__(self, reason: str, notification_id: str | None = None) -> None:
        super().__init__(f"the recipient is on the suppression list ({reason}); nothing was sent")
        self.reason = reason
        self.notification_id = notification_id


class InvalidPhoneNumber(ServiceError):
    """Not a valid E.164 number (``+`` country code and subscriber number); rejected before any provider."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not a valid E.164 phone number: {reason}")
        self.reason = reason


class SmsRegionUnsupported(ServiceError):
    """No configured SMS provider sends to the number's region (``SMS_<PROVIDER>_REGIONS``)."""

    def __init__(self, region: str) -> None:
        super().__init__(f"no SMS provider is configured to send to region {region}")
        self.region = region


class SmsRecipientRejected(ProviderError):
    """A provider refused the recipient for good (invalid number, opted out, not SMS-capable).

    Another provider would refuse it too, so the router does not fail over. ``code`` is the service's
    (INVALID_NUMBER, RECIPIENT_OPTED_OUT, NOT_SMS_CAPABLE), ``provider_code`` the provider's (21211...).
    """

    def __init__(self, provider: str, code: str, message: str, *, provider_code: str | None = None) -> None:
        super().__init__(provider, code, message, retryable=False, status=422, provider_code=provider_code)
        self.tried: list[str] = [provider]
        self.notification_id: str | None = None


@dataclass(frozen=True)
class ProviderFailure:
    """Why one provider did not take an SMS."""

    provider: str
    code: str
    retryable: bool
    provider_code: str | None = None


class AllSmsProvidersFailedException(ServiceError):
    """Every provider that could take the SMS failed, or was unavailable (open circuit); the seed's name.

    ``tried`` lists the providers called, in order; ``failures`` why each failed; ``skipped`` the providers
    that were not called and why (``circuit_open``). Retrying later may help.
    """

    retryable = True

    def __init__(
        self,
        tried: Sequence[str],
        failures: Sequence[ProviderFailure],
        skipped: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__("All SMS providers are unavailable")
        self.tried = list(tried)
        self.failures = list(failures)
        self.skipped = dict(skipped or {})
        self.notification_id: str | None = None


#: every error above (``entrypoints/errors.py`` renders each as its own problem type)
NOTIFICATION_ERRORS = (
    UnknownEmailTemplate,
    EmailVariablesInvalid,
    RecipientSuppressed,
    InvalidPhoneNumber,
    SmsRegionUnsupported,
    SmsRecipientRejected,
    AllSmsProvidersFailedException,
)
