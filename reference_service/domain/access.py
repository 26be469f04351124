"""Who may do what: roles, permissions, the grants that join them, and the caller (``Principal``).

Pure domain: the HTTP layer authenticates a request (a bearer JWT or an API key) into a
:class:`Principal` and asks :func:`grant_for` whether one of its roles grants the permission a route
declares, and with which :class:`Reach`: ``ANY`` object, or only the caller's ``OWN`` (a customer's
orders are those whose ``customer_ref`` is the token's subject). Deny by default: a permission no role
grants is refused, and so is a route that declares none (see ``entrypoints/access.py``).

=========  ==========================================================================================
customer   create, read and cancel their own orders; pay them; read their own deliveries; read, upload
           (return documents) and delete their own files; erase their own personal data
support    read everything (orders, payments, notifications, deliveries, files, events, SMS providers,
           health and metrics) and resend notifications
admin      everything, including stock, API keys, the audit trail, events and retention
service    a machine client (the storefront's backend): orders and payments for any customer, and
           notifications
=========  ==========================================================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from types import MappingProxyType


class Role(StrEnum):
    CUSTOMER = "customer"
    SUPPORT = "support"
    ADMIN = "admin"
    SERVICE = "service"


class Permission(StrEnum):
    ORDERS_CREATE = "orders:create"
    ORDERS_READ = "orders:read"
    ORDERS_CANCEL = "orders:cancel"
    PAYMENTS_CREATE = "payments:create"
    PAYMENTS_READ = "payments:read"
    PAYMENTS_CAPTURE = "payments:capture"
    NOTIFICATIONS_SEND = "notifications:send"
    NOTIFICATIONS_READ = "notifications:read"
    DELIVERIES_READ = "deliveries:read"
    DELIVERIES_MANAGE = "deliveries:manage"
    FILES_READ = "files:read"
    FILES_MANAGE = "files:manage"
    EVENTS_READ = "events:read"
    SMS_PROVIDERS_READ = "sms-providers:read"
    SMS_PROVIDERS_MANAGE = "sms-providers:manage"
    NOTIFICATIONS_PROVISION = "notifications:provision"
    INVENTORY_READ = "inventory:read"
    INVENTORY_MANAGE = "inventory:manage"
    RETENTION_MANAGE = "retention:manage"
    #: erase a customer's personal data (the right to erasure): admins, and a customer for themselves
    PERSONAL_DATA_ERASE = "personal-data:erase"
    API_KEYS_MANAGE = "api-keys:manage"
    AUDIT_READ = "audit:read"
    PLATFORM_READ = "platform:read"


class Reach(Enum):
    """How far a grant reaches: every object, or only the caller's own."""

    OWN = "own"
    ANY = "any"


_CUSTOMER_OWN = (
    Permission.ORDERS_CREATE,
    Permission.ORDERS_READ,
    Permission.ORDERS_CANCEL,
    Permission.PAYMENTS_CREATE,
    Permission.PAYMENTS_READ,
    Permission.PAYMENTS_CAPTURE,
    Permission.DELIVERIES_READ,
    Permission.FILES_READ,
    Permission.FILES_MANAGE,
    Permission.PERSONAL_DATA_ERASE,
)
_SUPPORT_ANY = (
    Permission.ORDERS_READ,
    Permission.PAYMENTS_READ,
    Permission.NOTIFICATIONS_READ,
    Permission.NOTIFICATIONS_SEND,
    Permission.DELIVERIES_READ,
    Permission.FILES_READ,
    Permission.EVENTS_READ,
    Permission.SMS_PROVIDERS_READ,
    Permission.INVENTORY_READ,
    Permission.PLATFORM_READ,
)
_SERVICE_ANY = (
    Permission.ORDERS_CREATE,
    Permission.ORDERS_READ,
    Permission.ORDERS_CANCEL,
    Permission.PAYMENTS_CREATE,
    Permission.PAYMENTS_READ,
    Permission.PAYMENTS_CAPTURE,
    Permission.NOTIFICATIONS_SEND,
    Permission.NOTIFICATIONS_READ,
    Permission.DELIVERIES_READ,
    Permission.DELIVERIES_MANAGE,
)

#: role -> permission -> reach; the one table of who may do what
GRANTS: Mapping[Role, Mapping[Permission, Reach]] = MappingProxyType(
    {
        Role.CUSTOMER: MappingProxyType(dict.fromkeys(_CUSTOMER_OWN, Reach.OWN)),
        Role.SUPPORT: MappingProxyType(dict.fromkeys(_SUPPORT_ANY, Reach.ANY)),
        Role.ADMIN: MappingProxyType(dict.fromkeys(Permission, Reach.ANY)),
        Role.SERVICE: MappingProxyType(dict.fromkeys(_SERVICE_ANY, Reach.ANY)),
    }
)


def roles_from(names: Iterable[object]) -> frozenset[Role]:
    """The known roles among ``names`` (a token's role claim); unknown names grant nothing."""
    known = {r.value for r in Role}
    return frozenset(Role(n) for n in names if isinstance(n, str) and n in known)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: ``kind`` (``token`` or ``api_key``), ``id`` (the token's ``sub`` or the
    key's id), its roles, and the OAuth client it came through (tokens only). ``subject`` is who owns
    objects: a customer's ``customer_ref``."""

    kind: str
    id: str
    roles: frozenset[Role]
    client_id: str | None = None

    @property
    def subject(self) -> str:
        return self.id

    @property
    def label(self) -> str:
        """``token:<sub>`` or ``api_key:<key id>``: the rate-limit bucket and the audit actor."""
        return f"{self.kind}:{self.id}"


def grant_for(principal: Principal, permission: Permission) -> Reach | None:
    """The widest reach any of the principal's roles grants for ``permission`` (``None``: denied)."""
    best: Reach | None = None
    for role in principal.roles:
        reach = GRANTS[role].get(permission)
        if reach is Reach.ANY:
            return reach
        if reach is not None:
            best = reach
    return best
