"""The Stripe simulator's state and the operations shared by every resource (no HTTP here).

:class:`StripeBackend` owns the per-account :class:`~simulators.stripe.models_store.AccountState` (through
``runtime.backends``, so ``POST /_sim/reset`` empties it), creates events (:meth:`StripeBackend.emit`,
which also hands them to :func:`simulators.stripe.webhooks.emit`), finds objects (``resource_missing``
otherwise), creates PaymentMethods from test ids (``pm_card_visa``) or test card numbers, expands
``expand[]`` paths, paginates lists and filters events. PaymentIntents live in
:mod:`simulators.stripe.models_intents` (their attempts in :mod:`simulators.stripe.models_attempts`),
refunds and disputes in :mod:`simulators.stripe.models_money`. Every operation validates its input before
it changes anything, and runs under the account's lock. Time and ids come from the kernel
(``runtime.clock``, ``runtime.ids``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from simulators.stripe import resources, webhooks
from simulators.stripe.exceptions import (
    CardError,
    InvalidRequestError,
    ResourceMissing,
    parameter_missing,
    type_not_activated,
)
from simulators.stripe.magic import CardProfile, fingerprint, luhn_ok, profile_for_magic, profile_for_number
from simulators.stripe.models_store import AccountState, ChargeRecord, Event, Limits, PaymentMethodRecord
from simulators.stripe.settings import StripeSettings

if TYPE_CHECKING:
    from simulators.kernel.app import SimulatorRuntime


@dataclass(slots=True)
class Ctx:
    """Who is asking: account, request id and idempotency key (they end up in ``event.request``), whether
    the key is publishable, and the simulator's own URL (for 3DS redirect pages)."""

    account: str | None
    request_id: str | None = None
    idempotency_key: str | None = None
    publishable: bool = False
    sim_url: str = ""


SYSTEM = Ctx(None)  # events Stripe raises on its own (3DS completed, dispute opened): request is null

# Object id prefix -> (AccountState attribute, Stripe object name used in "No such ..." messages)
_KINDS = {
    "pi": ("intents", "payment_intent"),
    "ch": ("charges", "charge"),
    "py": ("charges", "charge"),
    "pm": ("payment_methods", "PaymentMethod"),
    "re": ("refunds", "refund"),
    "dp": ("disputes", "dispute"),
    "evt": ("events", "event"),
}
# Expandable fields per object type (2023-10-16 ``x-expandableFields`` that resolve to objects kept here).
_EXPANDABLE = {
    "payment_intent": {"latest_charge", "payment_method", "customer", "invoice", "review", "on_behalf_of",
                       "application"},
    "charge": {"payment_intent", "refunds", "balance_transaction", "customer", "invoice", "review",
               "application", "application_fee", "on_behalf_of", "source_transfer", "transfer",
               "failure_balance_transaction"},
    "refund": {"charge", "payment_intent", "balance_transaction", "failure_balance_transaction",
               "source_transfer_reversal", "transfer_reversal"},
    "dispute": {"charge", "payment_intent"},
    "payment_method": {"customer"},
}  # fmt: skip


class StripeBackend:
    """Accounts, events and shared lookups; one per simulator (built in ``StripeProvider.setup``)."""

    def __init__(self, runtime: SimulatorRuntime, settings: StripeSettings) -> None:
        self.runtime = runtime
        self.ids = runtime.ids
        self.clock = runtime.clock
        self.settings = settings
        self.limits = Limits()
        self.apply_settings(settings)
        self.accounts = runtime.backends(lambda account: AccountState(account, self.limits))

    def apply_settings(self, settings: StripeSettings) -> None:
        """Install ``settings`` (caps apply to the next insert of every account)."""
        self.settings = settings
        self.limits.max_objects = settings.max_objects
        self.limits.max_events = settings.max_events
        self.limits.max_idempotency_keys = settings.max_idempotency_keys

    # -- basics -----------------------------------------------------------------------------------------
    def now(self) -> int:
        """Simulated Unix seconds (what ``created`` fields hold)."""
        return int(self.clock.now())

    def new_id(self, prefix: str) -> str:
        """A Stripe-shaped id (``pi_`` + 24 base62 characters)."""
        return self.ids.prefixed(prefix, 24)

    def state(self, account: str | None) -> AccountState:
        return self.accounts[account]

    def find_account_of(self, object_id: str) -> AccountState | None:
        """The account holding ``object_id`` (control routes address objects by id alone)."""
        attr = _KINDS.get(object_id.partition("_")[0], (None, None))[0]
        if attr is None:
            return None
        for _, state in self.accounts.items():
            if object_id in getattr(state, attr):
                return state
        return None

    # -- events -----------------------------------------------------------------------------------------
    def emit(
        self,
        state: AccountState,
        ctx: Ctx,
        type_: str,
        obj: Mapping[str, Any],
        previous_attributes: dict[str, Any] | None = None,
    ) -> Event:
        """Record an event (``data.object`` is a snapshot of ``obj`` now) and queue its webhooks.

        Called under ``state.lock``, so an account's events are numbered and delivered in order.
        """
        event = Event(
            id=self.new_id("evt"),
            type=type_,
            created=self.now(),
            object_zlib=Event.snapshot(obj),
            previous_attributes=previous_attributes,
            request_id=ctx.request_id,
            idempotency_key=ctx.idempotency_key,
        )
        state.events.add(event.id, event)
        webhooks.emit(self.runtime, state.account, event)
        return event

    def delivery_succeeded(self, account: str | None, event_id: str, endpoint_id: str) -> None:
        """A webhook reached ``endpoint_id`` with a 2xx: one fewer ``pending_webhooks`` (once per
        endpoint)."""
        state = self.accounts.get(account)
        if state is None:
            return
        with state.lock:
            event = state.events.get(event_id)
            if event is not None and endpoint_id not in event.delivered_to:
                event.delivered_to += (endpoint_id,)
                event.pending_webhooks = max(0, event.pending_webhooks - 1)

    # -- lookups ----------------------------------------------------------------------------------------
    def get(
        self, state: AccountState, object_id: str, prefix: str, param: str | None = "id", status: int = 404
    ) -> Any:
        """The record of ``object_id`` (which must start with ``prefix``) or Stripe's ``resource_missing``."""
        attr, kind = _KINDS[prefix]
        record = getattr(state, attr).get(object_id) if object_id.startswith(prefix + "_") else None
        if record is None:
            raise ResourceMissing(kind, object_id, param, status)
        return record

    def charge(
        self, state: AccountState, ch_id: str, param: str | None = "id", status: int = 404
    ) -> ChargeRecord:
        record: ChargeRecord = self.get(state, ch_id, "ch", param, status)
        return record

    # -- payment methods --------------------------------------------------------------------------------
    def _expiry(self) -> tuple[int, int]:
        today = datetime.fromtimestamp(self.clock.now(), tz=UTC)
        return today.month, today.year + 3

    def card_from_data(self, card: Mapping[str, Any], param: str) -> tuple[CardProfile, int, int]:
        """Validate raw card data (number, exp_month, exp_year, cvc) and pick its profile; the number and
        CVC are not kept. Card errors are 402 ``card_error`` as Stripe answers them."""
        number = card.get("number")
        if number is None:
            raise parameter_missing(f"{param}[number]")
        digits = number.replace(" ", "").replace("-", "")
        if not digits.isdigit() or not 12 <= len(digits) <= 19 or not luhn_ok(digits):
            raise CardError(
                "Your card number is incorrect.", code="incorrect_number", param=f"{param}[number]"
            )
        for field in ("exp_month", "exp_year"):
            if card.get(field) is None:
                raise parameter_missing(f"{param}[{field}]")
        exp_month, exp_year = int(card["exp_month"]), int(card["exp_year"])
        if exp_year < 100:
            exp_year += 2000
        if not 1 <= exp_month <= 12:
            raise CardError(
                "Your card's expiration month is invalid.",
                code="invalid_expiry_month",
                param=f"{param}[exp_month]",
            )
        now = datetime.fromtimestamp(self.clock.now(), tz=UTC)
        if (
            exp_year < now.year
            or exp_year > now.year + 50
            or (exp_year == now.year and exp_month < now.month)
        ):
            raise CardError(
                "Your card's expiration year is invalid.",
                code="invalid_expiry_year",
                param=f"{param}[exp_year]",
            )
        cvc = card.get("cvc")
        if cvc is not None and (not cvc.isdigit() or not 3 <= len(cvc) <= 4):
            raise CardError(
                "Your card's security code is invalid.", code="invalid_cvc", param=f"{param}[cvc]"
            )
        return profile_for_number(digits), exp_month, exp_year

    def plan_payment_method(
        self, state: AccountState, *, pm_id: str | None, data: Mapping[str, Any] | None
    ) -> PaymentMethodRecord | None:
        """The PaymentMethod a request names: an existing ``pm_``, a test id such as ``pm_card_visa`` (a new
        PaymentMethod is made, as Stripe does) or ``payment_method_data``. New ones are *not stored* yet:
        call :meth:`store_payment_method` once every validation has passed."""
        if pm_id is not None and data is not None:
            raise InvalidRequestError(
                "You may only specify one of these parameters: payment_method, payment_method_data.",
                param="payment_method_data",
            )
        if pm_id is not None:
            existing = state.payment_methods.get(pm_id)
            if existing is not None:
                return existing
            magic = profile_for_magic(pm_id)
            if magic is None:
                raise ResourceMissing("PaymentMethod", pm_id, "payment_method", status=400)
            month, year = self._expiry()
            return self._new_pm(state, magic, month, year, None, None)
        if data is not None:
            return self.payment_method_from_data(state, data, "payment_method_data")
        return None

    def payment_method_from_data(
        self, state: AccountState, data: Mapping[str, Any], prefix: str = ""
    ) -> PaymentMethodRecord:
        """A new (unstored) card PaymentMethod from ``type=card`` + ``card[...]`` parameters (top-level for
        ``POST /v1/payment_methods``, under ``payment_method_data`` on a PaymentIntent)."""

        def name(field: str) -> str:
            return f"{prefix}[{field}]" if prefix else field

        type_ = data.get("type")
        if type_ is None:
            raise parameter_missing(name("type"))
        if type_ != "card":  # other types' fields are validated, but the simulated account takes cards only
            raise type_not_activated(type_, name("type"))
        card = data.get("card")
        if not isinstance(card, dict):
            raise parameter_missing(name("card"))
        profile, month, year = self.card_from_data(card, name("card"))
        return self._new_pm(state, profile, month, year, data.get("billing_details"), data.get("metadata"))

    def _new_pm(
        self,
        state: AccountState,
        profile: CardProfile,
        month: int,
        year: int,
        billing: Mapping[str, Any] | None,
        metadata: Mapping[str, str] | None,
    ) -> PaymentMethodRecord:
        data = resources.payment_method(
            self.new_id("pm"),
            profile,
            created=self.now(),
            fingerprint=fingerprint(profile, state.account),
            exp_month=month,
            exp_year=year,
            billing=billing,
            metadata=metadata,
        )
        return PaymentMethodRecord(data, profile)

    def store_payment_method(self, state: AccountState, record: PaymentMethodRecord) -> PaymentMethodRecord:
        """Keep a PaymentMethod planned by :meth:`plan_payment_method` (no-op if already kept)."""
        if record.data["id"] not in state.payment_methods:
            state.payment_methods.add(record.data["id"], record)
        return record

    # -- expansion --------------------------------------------------------------------------------------
    def expand(self, state: AccountState, obj: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
        """``obj`` with ``expand[]`` paths resolved (copies along each path; stored data is untouched).
        ``data.x`` expands ``x`` in every item of a list. Unknown fields are Stripe's 400."""
        for path in paths:
            obj = self._expand_one(state, obj, path.split("."), path)
        return obj

    def _expand_one(self, state: AccountState, obj: Any, parts: list[str], path: str) -> Any:
        if not parts or not isinstance(obj, dict):
            return obj
        head, rest = parts[0], parts[1:]
        kind = obj.get("object")
        if kind == "list" and head == "data":
            return {**obj, "data": [self._expand_one(state, item, rest, path) for item in obj["data"]]}
        if kind == "event" and head == "data":
            return {**obj, "data": self._expand_one(state, obj["data"], rest, path)}
        if kind is None and head == "object":  # event.data
            return {**obj, "object": self._expand_one(state, obj["object"], rest, path)}
        if head not in _EXPANDABLE.get(str(kind), set()) or head not in obj and head != "refunds":
            raise InvalidRequestError(f"This property cannot be expanded ({path}).")
        out = dict(obj)
        if kind == "charge" and head == "refunds":
            record = state.charges.get(obj["id"])
            refunds = [state.refunds[r] for r in (record.refund_ids if record else []) if r in state.refunds]
            refunds.reverse()
            value: Any = resources.list_object(refunds, f"/v1/charges/{obj['id']}/refunds", False)
        else:
            value = self._resolve(state, out.get(head))
        out[head] = self._expand_one(state, value, rest, path)
        return out

    def _resolve(self, state: AccountState, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        attr = _KINDS.get(value.partition("_")[0], (None, None))[0]
        record = getattr(state, attr).get(value) if attr else None
        if record is None:
            return value
        data: dict[str, Any] = record if isinstance(record, dict) else record.data
        return data

    # -- lists ------------------------------------------------------------------------------------------
    def page(
        self,
        state: AccountState,
        items: Iterable[tuple[str, dict[str, Any]]],
        params: Mapping[str, Any],
        url: str,
        kind: str,
        keep: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """One page of ``items`` (oldest first, as stored): newest first, ``limit`` (1-100, default 10),
        ``starting_after`` / ``ending_before`` cursors, ``created`` filter, ``has_more``, ``url``."""
        limit = params.get("limit", 10)
        if not 1 <= limit <= 100:
            raise InvalidRequestError(
                f"This value must be between 1 and 100 (it currently is {limit}).", param="limit"
            )
        after, before = params.get("starting_after"), params.get("ending_before")
        if after is not None and before is not None:
            raise InvalidRequestError(
                "You may only specify one of these parameters: ending_before, starting_after.",
                param="ending_before",
            )
        created = created_filter(params.get("created"))
        ordered = [data for _, data in items]
        ordered.reverse()
        rows = [d for d in ordered if (keep is None or keep(d)) and created(d["created"])]
        ids = [d["id"] for d in rows]
        if after is not None:
            if after not in ids:
                raise ResourceMissing(kind, after, "starting_after", status=400)
            start = ids.index(after) + 1
            chunk = rows[start : start + limit]
            has_more = start + limit < len(rows)
        elif before is not None:
            if before not in ids:
                raise ResourceMissing(kind, before, "ending_before", status=400)
            end = ids.index(before)
            chunk = rows[max(0, end - limit) : end]
            has_more = end - limit > 0
        else:
            chunk = rows[:limit]
            has_more = len(rows) > limit
        return resources.list_object(chunk, url, has_more)


def created_filter(value: Any) -> Callable[[int], bool]:
    """Stripe's ``created`` list filter: an integer or ``{gt, gte, lt, lte}``."""
    if value is None:
        return lambda _t: True
    if isinstance(value, str):
        try:
            exact = int(value)
        except ValueError:
            raise InvalidRequestError(f"Invalid integer: {value}", param="created") from None
        return lambda t: t == exact
    if not isinstance(value, dict):
        raise InvalidRequestError("Invalid object", param="created")
    bounds: dict[str, int] = {}
    for op, raw in value.items():
        if op not in ("gt", "gte", "lt", "lte"):
            raise InvalidRequestError(
                f"Received unknown parameter: created[{op}]", code="parameter_unknown", param=f"created[{op}]"
            )
        try:
            bounds[op] = int(raw)
        except (TypeError, ValueError):
            raise InvalidRequestError(f"Invalid integer: {raw}", param=f"created[{op}]") from None

    def check(t: int) -> bool:
        return (
            ("gt" not in bounds or t > bounds["gt"])
            and ("gte" not in bounds or t >= bounds["gte"])
            and ("lt" not in bounds or t < bounds["lt"])
            and ("lte" not in bounds or t <= bounds["lte"])
        )

    return check
