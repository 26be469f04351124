"""Provider state: keyed by account, created on first use, dropped on reset, bounded in size, kept out of the
cyclic GC's way (:class:`GcHousekeeper`).

A provider creates one :class:`AccountBackends` per model family through ``runtime.backends(factory)``
(which registers it for ``POST /_sim/reset``), then reads ``backends[account]`` in its handlers. Two
accounts never see each other's objects. Inspect which accounts hold state with :meth:`accounts`.

Every map that grows with traffic is a :class:`BoundedMap`: past its cap the oldest entries are evicted
(``on_evict`` can drop what they own elsewhere), so a long benchmark keeps memory flat.
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

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


class BoundedMap(OrderedDict[K, V], Generic[K, V]):
    """An insertion-ordered map that keeps at most ``cap`` entries (an int, or a callable read at every
    insert so a setting can change it), evicting the oldest and calling ``on_evict(key, value)`` for each.
    ``evicted`` counts evictions. Not locked: the owner's lock guards it."""

    def __init__(
        self, cap: int | Callable[[], int], on_evict: Callable[[K, V], object] | None = None
    ) -> None:
        super().__init__()
        self._cap: Callable[[], int] = cap if callable(cap) else (lambda: cap)
        self._on_evict = on_evict
        self.evicted = 0

    @property
    def cap(self) -> int:
        """The current cap."""
        return self._cap()

    def add(self, key: K, value: V) -> V:
        """Insert ``key`` as the newest entry (moving it if present) and evict past the cap."""
        if key in self:
            self.move_to_end(key)
        self[key] = value
        cap = self._cap()
        while len(self) > cap:
            self.evict_oldest()
        return value

    def evict_oldest(self) -> tuple[K, V]:
        """Remove the oldest entry (calling ``on_evict``) and return it."""
        key, value = self.popitem(last=False)
        self.evicted += 1
        if self._on_evict is not None:
            self._on_evict(key, value)
        return key, value

    def oldest(self) -> tuple[K, V] | None:
        """The oldest entry, or ``None`` when empty."""
        return next(iter(self.items()), None)


class GcHousekeeper:
    """Keeps the cyclic GC from rescanning stored objects: every ``every`` new objects it collects the objects
    allocated since the last time (``gc.collect()``: only they are scanned) and moves the survivors to the
    permanent generation (``gc.freeze()``).

    A provider calls :meth:`tick` for each object it stores (PayPal: an order; EasyPost: a shipment). 10,000
    stored PayPal orders are ~300,000 GC-tracked objects. Without this, CPython's full collections walked all
    of them (about 100 ms each, measured over 60,000 in-process creates with ``gc.callbacks``) about once a
    second under load, and set the p99. Collecting before freezing means no cyclic garbage is frozen (a plain
    periodic ``gc.freeze()`` leaked the request cycles it caught); stored objects must hold no reference
    cycles, so evicted ones are freed at once by reference counting. Inspect with ``gc.get_freeze_count()``.
    """

    def __init__(self, every: int = 256) -> None:
        self.every = every
        self._count = 0
        self._lock = threading.Lock()

    def tick(self) -> None:
        """Count one new stored object; collect and freeze on the first and then every ``every``."""
        with self._lock:
            self._count += 1
            due = self._count % self.every == 1 or self.every == 1  # the first freezes start-up state
        if due:
            gc.collect()
            gc.freeze()
