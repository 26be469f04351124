"""The credentials the Twilio simulator accepts (see :class:`AccountRegistry`).

An account is *live-like* (its messages go through the delivery lifecycle and fire status callbacks) or
*test*, Twilio's test credentials: only magic From numbers work, nothing is sent, no callbacks fire, and
the messages cannot be read back (20008). Accounts from the environment are ``configured`` and survive
``/_sim/reset``; accounts added with ``POST /_sim/twilio/accounts`` do not.
"""

from __future__ import annotations

import hmac
import threading
from dataclasses import dataclass
from typing import Any


@dataclass
class Account:
    """An account the simulator accepts: AccountSid, AuthToken and kind."""

    sid: str
    auth_token: str
    test: bool = False
    friendly_name: str = ""
    configured: bool = False

    def to_json(self) -> dict[str, Any]:
        """Control-API view (the token is shown: tests register accounts to learn it)."""
        return {
            "account_sid": self.sid,
            "auth_token": self.auth_token,
            "test": self.test,
            "friendly_name": self.friendly_name,
            "configured": self.configured,
        }


class AccountRegistry:
    """Thread-safe accounts by AccountSid."""

    def __init__(self) -> None:
        self._items: dict[str, Account] = {}
        self._lock = threading.Lock()

    def add(self, account: Account) -> Account:
        """Register (or replace) an account."""
        with self._lock:
            self._items[account.sid] = account
        return account

    def remove(self, sid: str) -> Account | None:
        """Forget an account."""
        with self._lock:
            return self._items.pop(sid, None)

    def get(self, sid: str) -> Account | None:
        """The account with AccountSid ``sid``."""
        return self._items.get(sid)

    def authenticate(self, sid: str, token: str) -> Account | None:
        """The account if ``token`` is its AuthToken (constant-time compare), else ``None``."""
        account = self._items.get(sid)
        if account is None or not hmac.compare_digest(account.auth_token.encode(), token.encode()):
            return None
        return account

    def all(self) -> list[Account]:
        """Every account, in registration order."""
        return list(self._items.values())

    def reset(self) -> None:
        """Drop accounts added through the control API; keep the configured ones."""
        with self._lock:
            self._items = {sid: a for sid, a in self._items.items() if a.configured}
