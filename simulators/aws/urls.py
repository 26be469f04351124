"""Every path the AWS simulator serves itself (moto serves the rest) and its control routes.

* ``GET /SimpleNotificationService-<id>.pem``: the SNS signing certificate (AWS's path shape).
* ``GET /?Action=ConfirmSubscription&TopicArn=...&Token=...``: an SNS ``SubscribeURL`` (unsigned).
* ``GET /?Action=Unsubscribe&SubscriptionArn=...``: an SNS ``UnsubscribeURL`` (unsigned).
* ``POST /moto-api/reset``: moto's own reset; the simulator also forgets what it keeps beside moto.

Control routes are mounted under ``/_sim/aws``.
"""

from __future__ import annotations

import re

CERT_PATH = re.compile(r"^/SimpleNotificationService-[0-9A-Za-z]+\.pem$")
ROOT = "/"
URL_ACTIONS = frozenset({"ConfirmSubscription", "Unsubscribe"})
MOTO_RESET = "/moto-api/reset"

CONTROL_PREFIX = "/_sim/aws"

#: (rule under CONTROL_PREFIX, endpoint, methods)
CONTROL_ROUTES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/sent-emails", "sent_emails", ("GET",)),
    ("/sms", "sms_messages", ("GET",)),
    ("/sms/opt-out", "opt_out", ("POST",)),
    ("/sms/opt-outs", "opted_out", ("GET",)),
    ("/sms/opt-out/<number>", "opt_in", ("DELETE",)),
    ("/sns/subscriptions", "subscriptions", ("GET",)),
    ("/sns/certificate", "certificate", ("GET",)),
)
