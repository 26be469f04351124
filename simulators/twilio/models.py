"""Twilio Programmable Messaging state: messages and their delivery lifecycle (no HTTP here).

:class:`TwilioBackend` validates and creates messages (:mod:`simulators.twilio.validation`, before
anything is stored), lists/fetches/redacts/deletes them, and walks each message of a live-like account
(:mod:`simulators.twilio.auth`) through ``[accepted ->] queued -> sending -> sent -> delivered`` (or
``-> failed`` / ``sent -> undelivered`` with a 300xx error code) on the simulated clock. Every status,
the first one included, is reported to ``on_status`` (the provider turns it into a signed
StatusCallback). Inspect with ``GET /_sim/twilio/messages`` and ``GET /_sim/transitions``.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pydantic import BaseModel, ConfigDict, Field

from simulators.kernel.backend import AccountBackends
from simulators.kernel.clock import SimClock
from simulators.kernel.ids import IdGenerator
from simulators.kernel.transitions import Timeline
from simulators.twilio.auth import Account, AccountRegistry
from simulators.twilio.magic import MAGIC_OUTCOMES, DeliveryPlan
from simulators.twilio.models_segments import count_segments
from simulators.twilio.validation import first, validate_create

API_VERSION = "2010-04-01"
PRICE_PER_SEGMENT = "0.00790"  # USD, a US long-code SMS segment (twilio.com/en-us/sms/pricing/us)
SERVICE_SENDER = "+15005550006"  # the sender a Messaging Service "picks" from its pool in the simulator
MAX_MESSAGES_PER_ACCOUNT = 50_000  # beyond this the oldest finished messages are forgotten (bounded memory)

FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed", "canceled"})

StatusHook = Callable[["Message", "Account"], None]


@dataclass
class Message:
    """One Message resource and its lifecycle bookkeeping."""

    sid: str
    account_sid: str
    to: str
    from_: str | None
    body: str
    status: str
    num_segments: str
    num_media: str
    date_created: datetime
    date_updated: datetime
    date_sent: datetime | None = None
    messaging_service_sid: str | None = None
    status_callback: str | None = None
    media_urls: list[str] = field(default_factory=list)
    error_code: int | None = None
    error_message: str | None = None
    price: str | None = None
    price_unit: str = "USD"
    direction: str = "outbound-api"
    test: bool = False
    forced: DeliveryPlan | None = None
    done_at: datetime | None = None
    step_due: float = 0.0
    history: list[tuple[str, float]] = field(default_factory=list)

    @property
    def final(self) -> bool:
        """Whether the lifecycle has ended."""
        return self.status in FINAL_STATUSES


class MessageStore:
    """One account's messages in creation order, behind a re-entrant lock. Past ``max_messages`` (default
    :data:`MAX_MESSAGES_PER_ACCOUNT`, ``TWILIO_SIM_MAX_MESSAGES``) the oldest finished ones are forgotten."""

    def __init__(self, max_messages: int = MAX_MESSAGES_PER_ACCOUNT) -> None:
        self.messages: dict[str, Message] = {}
        self.max_messages = max_messages
        self.lock = threading.RLock()


class LifecycleDelays(BaseModel):
    """Simulated seconds spent in each status before the next one (``POST /_sim/twilio/settings``).

    ``queued``: accepted -> queued (Messaging Service only); ``sending``: queued -> sending;
    ``sent``: sending -> sent (or failed); ``final``: sent -> delivered/undelivered.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    queued: float = Field(default=0.5, ge=0, le=86_400)
    sending: float = Field(default=0.5, ge=0, le=86_400)
    sent: float = Field(default=1.0, ge=0, le=86_400)
    final: float = Field(default=2.0, ge=0, le=86_400)


@dataclass(frozen=True)
class DateFilter:
    """``DateSent`` filters: a UTC date, and inclusive datetime bounds."""

    on: date | None = None
    not_after: datetime | None = None
    not_before: datetime | None = None

    def matches(self, sent: datetime | None) -> bool:
        """Whether a message sent at ``sent`` passes (unsent messages never match a date filter)."""
        if self.on is None and self.not_after is None and self.not_before is None:
            return True
        if sent is None:
            return False
        if self.on is not None and sent.date() != self.on:
            return False
        if self.not_after is not None and sent > self.not_after:
            return False
        return not (self.not_before is not None and sent < self.not_before)


@dataclass(frozen=True)
class ListQuery:
    """Filters and paging of ``GET …/Messages.json``."""

    to: str | None = None
    from_: str | None = None
    dates: DateFilter = DateFilter()
    page: int = 0
    page_size: int = 50
    page_token: str | None = None


@dataclass(frozen=True)
class MessagePage:
    """One page of a list: items and whether more exist after/before it."""

    items: list[Message]
    has_next: bool
    has_previous: bool


class TwilioBackend:
    """The Messages API model (see the module docstring). ``on_status(snapshot, account)`` is called
    outside any lock with a copy of the message after every status a live account's message takes."""

    def __init__(
        self,
        *,
        clock: SimClock,
        ids: IdGenerator,
        timeline: Timeline,
        accounts: AccountRegistry,
        stores: AccountBackends[MessageStore],
        on_status: StatusHook,
    ) -> None:
        self.clock = clock
        self.ids = ids
        self.timeline = timeline
        self.accounts = accounts
        self.stores = stores
        self.on_status = on_status
        self.delays = LifecycleDelays()
        self._numbers: dict[str, DeliveryPlan] = {}
        self._numbers_lock = threading.Lock()

    # -- configuration -----------------------------------------------------------------------------------
    def set_number_outcome(self, number: str, plan: DeliveryPlan) -> None:
        """Every later lifecycle step of messages to ``number`` ends with ``plan``."""
        with self._numbers_lock:
            self._numbers[number] = plan

    def remove_number_outcome(self, number: str) -> bool:
        """Forget a configured number; returns whether it was configured."""
        with self._numbers_lock:
            return self._numbers.pop(number, None) is not None

    def number_outcomes(self) -> dict[str, DeliveryPlan]:
        """Configured numbers and their outcomes."""
        return dict(self._numbers)

    def reset(self) -> None:
        """Forget configured numbers and delays (messages live in ``stores``, reset by the kernel)."""
        with self._numbers_lock:
            self._numbers.clear()
        self.delays = LifecycleDelays()

    def plan_for(self, message: Message) -> DeliveryPlan:
        """How ``message`` ends: forced > configured number > magic number > delivered."""
        if message.forced is not None:
            return message.forced
        configured = self._numbers.get(message.to)
        if configured is not None:
            return configured
        return MAGIC_OUTCOMES.get(message.to, DeliveryPlan())

    # -- create --------------------------------------------------------------------------------------------
    def create_message(self, account: Account, params: Mapping[str, Sequence[str]]) -> Message:
        """Validate, store and start the lifecycle of a new outbound message."""
        validate_create(account, params)
        to = first(params, "To") or ""
        from_ = first(params, "From") or None
        service = first(params, "MessagingServiceSid") or None
        body = first(params, "Body") or ""
        media = [u for u in params.get("MediaUrl", []) if u]
        now = self.clock.datetime()
        # With a Messaging Service the message is "accepted" first and has no segments until a sender is
        # picked (twilio-oai, Message.num_segments).
        status = "accepted" if service else "queued"
        segments = "0" if service else str(count_segments(body).segments)
        message = Message(
            sid=self.ids.sid("MM" if media else "SM"),
            account_sid=account.sid,
            to=to,
            from_=from_,
            body=body,
            status=status,
            num_segments=segments,
            num_media=str(len(media)),
            date_created=now,
            date_updated=now,
            messaging_service_sid=service,
            status_callback=first(params, "StatusCallback") or None,
            media_urls=media,
            test=account.test,
            history=[(status, now.timestamp())],
        )
        store = self.stores[account.sid]
        with store.lock:
            store.messages[message.sid] = message
            if len(store.messages) > store.max_messages:
                self._evict(store)
        if not account.test:
            with store.lock:
                self._schedule_next(message)
                snapshot = dataclasses.replace(message)
            self.on_status(snapshot, account)
        return message

    @staticmethod
    def _evict(store: MessageStore) -> None:
        """Drop the oldest finished (or test) messages, down to 90 % of the bound (so it runs rarely)."""
        excess = len(store.messages) - store.max_messages * 9 // 10
        for sid in [s for s, m in store.messages.items() if m.final or m.test][:excess]:
            del store.messages[sid]

    # -- read / update / delete ------------------------------------------------------------------------------
    def get_message(self, account_sid: str, sid: str) -> Message | None:
        """A message of ``account_sid`` or ``None``."""
        return self.stores[account_sid].messages.get(sid)

    def find_message(self, sid: str) -> Message | None:
        """A message of any account (control API)."""
        for _account, store in self.stores.items():
            message = store.messages.get(sid)
            if message is not None:
                return message
        return None

    def all_messages(self) -> list[Message]:
        """Every message of every account, newest first (control API)."""
        out: list[Message] = []
        for _account, store in self.stores.items():
            with store.lock:
                out.extend(store.messages.values())
        out.sort(key=lambda m: m.date_created, reverse=True)
        return out

    def list_messages(self, account_sid: str, query: ListQuery) -> MessagePage:
        """Newest first, filtered, one page (``PageToken`` ``PA<sid>``/``PB<sid>`` = after/before sid)."""
        store = self.stores[account_sid]
        if query.to is None and query.from_ is None and query.dates == DateFilter() and not query.page_token:
            # The plain first pages (what a client polls): slice the newest end instead of copying, filtering
            # and indexing every stored message (up to TWILIO_SIM_MAX_MESSAGES of them).
            start, end = query.page * query.page_size, (query.page + 1) * query.page_size
            with store.lock:
                total = len(store.messages)
                page = list(itertools.islice(reversed(store.messages.values()), start, end))
            return MessagePage(page, end < total, start > 0)
        with store.lock:
            items = list(reversed(store.messages.values()))
        items = [
            m
            for m in items
            if (query.to is None or m.to == query.to)
            and (query.from_ is None or m.from_ == query.from_)
            and query.dates.matches(m.date_sent)
        ]
        start = query.page * query.page_size
        token = query.page_token or ""
        anchor = token[2:]
        positions = {m.sid: i for i, m in enumerate(items)}
        if token.startswith("PA") and anchor in positions:
            start = positions[anchor] + 1
        elif token.startswith("PB") and anchor in positions:
            start = max(0, positions[anchor] - query.page_size)
        page = items[start : start + query.page_size]
        return MessagePage(page, start + query.page_size < len(items), start > 0)

    def redact(self, account_sid: str, sid: str) -> Message | None:
        """Empty the body (``POST …/Messages/{Sid}.json`` with ``Body=""``)."""
        store = self.stores[account_sid]
        with store.lock:
            message = store.messages.get(sid)
            if message is not None:
                message.body = ""
                message.date_updated = self.clock.datetime()
        return message

    def delete(self, account_sid: str, sid: str) -> bool:
        """Delete a message and cancel the rest of its lifecycle."""
        store = self.stores[account_sid]
        with store.lock:
            found = store.messages.pop(sid, None) is not None
        if found:
            self.timeline.cancel_key(sid)
        return found

    # -- lifecycle -------------------------------------------------------------------------------------------
    def _next_status(self, message: Message) -> tuple[str, float] | None:
        """The next status and the delay before it, or ``None`` at the end."""
        plan = self.plan_for(message)
        if message.status == "accepted":
            return "queued", self.delays.queued
        if message.status == "queued":
            return "sending", self.delays.sending
        if message.status == "sending":
            return ("failed" if plan.outcome == "failed" else "sent"), self.delays.sent
        if message.status == "sent":
            return ("delivered" if plan.outcome == "delivered" else plan.outcome), self.delays.final
        return None

    def _schedule_next(self, message: Message) -> None:
        """Schedule the next step ``delay`` after the previous step's due time (not after "now"), so
        advancing the clock past several steps runs them back to back."""
        step = self._next_status(message)
        if step is None:
            return
        status, delay = step
        account_sid, sid = message.account_sid, message.sid
        message.step_due = max(message.step_due, message.date_created.timestamp()) + delay

        def step_now() -> None:
            self.advance(account_sid, sid)

        self.timeline.schedule_at(message.step_due, step_now, name=f"twilio.message.{status}", key=sid)

    def _apply(self, message: Message, status: str) -> None:
        # A step that ran late (the clock was advanced past it) is stamped with its due time.
        now = self.clock.datetime()
        if 0 < message.step_due < now.timestamp():
            now = datetime.fromtimestamp(message.step_due, UTC)
        plan = self.plan_for(message)
        message.status = status
        message.date_updated = now
        message.history.append((status, now.timestamp()))
        if status == "queued" and message.from_ is None:
            message.from_ = SERVICE_SENDER
        if status == "queued" and message.num_segments == "0":
            message.num_segments = str(count_segments(message.body).segments) if message.body else "1"
        if status == "sending":
            message.date_sent = now
        if status == "sent":
            segments = max(1, int(message.num_segments or "1"))
            message.price = f"-{float(PRICE_PER_SEGMENT) * segments:.5f}"
        if status in ("delivered", "undelivered"):
            message.done_at = now
        if status in ("failed", "undelivered"):
            message.error_code = plan.error_code
            message.error_message = plan.error_message

    def advance(self, account_sid: str, sid: str) -> Message | None:
        """Move a message one step along its lifecycle (called by the timeline), report it and schedule
        the next step. Returns the message, or ``None`` if it is gone or already final."""
        store = self.stores[account_sid]
        account = self.accounts.get(account_sid)
        with store.lock:
            message = store.messages.get(sid)
            if message is None or message.final:
                return None
            step = self._next_status(message)
            if step is None:
                return None
            self._apply(message, step[0])
            self._schedule_next(message)
            snapshot = dataclasses.replace(message)
        if account is not None and not account.test:
            self.on_status(snapshot, account)
        return message

    def force_outcome(self, sid: str, plan: DeliveryPlan, *, now: bool = False) -> Message | None:
        """Make a message end with ``plan``; with ``now`` run its remaining steps immediately."""
        message = self.find_message(sid)
        if message is None:
            return None
        store = self.stores[message.account_sid]
        with store.lock:
            message.forced = plan
        if now:
            self.timeline.cancel_key(sid)
            while self.advance(message.account_sid, sid) is not None:
                self.timeline.cancel_key(sid)
        return message
