"""Provider state keyed by account, created on first use and dropped on reset.

A provider creates one :class:`AccountBackends` per model family through ``runtime.backends(factory)``
(which registers it for ``POST /_sim/reset``), then reads ``backends[account]`` in its handlers. Two
accounts never see each other's objects. Inspect which accounts hold state with :meth:`accounts`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

Account = str | None


class AccountBackends(Generic[T]):
    """Thread-safe ``account -> state`` map whose entries are built by ``factory(account)``."""

    def __init__(self, factory: Callable[[Account], T]) -> None:
        self._factory = factory
        self._items: dict[Account, T] = {}
        self._lock = threading.Lock()

    def __getitem__(self, account: Account) -> T:
        item = self._items.get(account)
        if item is not None:
            return item
        with self._lock:
            item = self._items.get(account)
            if item is None:
                item = self._factory(account)
                self._items[account] = item
            return item

    def get(self, account: Account) -> T | None:
        """The state of ``account`` if it exists, without creating it."""
        return self._items.get(account)

    def accounts(self) -> list[Account]:
        """Accounts that currently hold state."""
        return list(self._items)

    def items(self) -> Iterator[tuple[Account, T]]:
        """Snapshot of ``(account, state)`` pairs."""
        return iter(list(self._items.items()))

    def reset(self) -> None:
        """Drop every account's state."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)
