"""The lab's demo identities: documented test values, like a provider's test cards.

Every identity simulator starts with them (they survive ``/_sim/reset``), so a fresh lab can sign in at
once: ``genai-demo up`` prints a token for each, and ``genai-demo token --role <role>`` mints one. Users
sign in with the password grant through the public client ``genai-demo-web``; the machine client
``genai-demo-service`` uses the client-credentials grant. A customer's ``sub`` is its ``customer_ref`` in
the reference service (an order belongs to the customer whose token subject equals its
``customer_ref``), so the two demo customers look like the service's customer references.

These passwords and the client secret are lab values, printed by ``genai-demo up``; never reuse them.
"""

from __future__ import annotations

from dataclasses import dataclass

WEB_CLIENT_ID = "genai-demo-web"
SERVICE_CLIENT_ID = "genai-demo-service"
SERVICE_CLIENT_SECRET = "genai-demo-service-secret"
DEFAULT_AUDIENCE = "genai-demo-api"


@dataclass(frozen=True)
class DemoUser:
    """A demo user: sign-in name, password, subject and roles."""

    username: str
    password: str
    sub: str
    roles: tuple[str, ...]


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("ada", "ada-lab-password", "cus_ada", ("customer",)),
    DemoUser("grace", "grace-lab-password", "cus_grace", ("customer",)),
    DemoUser("sam", "sam-lab-password", "usr_support_sam", ("support",)),
    DemoUser("root", "root-lab-password", "usr_admin_root", ("admin",)),
)

#: the demo user ``genai-demo token --role <role>`` signs in as (``service`` uses the machine client)
USER_FOR_ROLE = {"customer": "ada", "customer2": "grace", "support": "sam", "admin": "root"}
