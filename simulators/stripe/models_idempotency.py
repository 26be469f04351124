"""Stripe's idempotency layer for POST requests (docs.stripe.com/api/idempotent_requests).

* The first request with an ``Idempotency-Key`` claims it (:meth:`IdempotencyLayer.begin`); a concurrent one
  gets 409 ``idempotency_key_in_use``.
* When the endpoint has run, its status and body are saved (:meth:`IdempotencyLayer.finish`), success or
  failure, 500s included; a later request with the same key and parameters gets them back with
  ``Idempotent-Replayed: true`` and ``Original-Request: <first request id>``.
* Different parameters (or another endpoint) with the same key: 400 ``idempotency_error``.
* Not saved, as Stripe says: requests that failed parameter validation (a 400 naming a ``param``, raised
  before the endpoint really ran), 401s and 429s (they never reach this layer).
* Keys expire ``idempotency_ttl_s`` (24 h) of *simulated* time after first use: advance ``/_sim/clock``.

Records live in the account's bounded map; inspect them at ``GET /_sim/stripe/idempotency?account=...``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from simulators.kernel.clock import SimClock
from simulators.stripe.compact import pack, unpack
from simulators.stripe.exceptions import IdempotencyError, IdempotencyKeyInUse, InvalidRequestError
from simulators.stripe.models_store import AccountState, IdempotencyRecord

MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Replay:
    """A saved response to send again."""

    status: int
    body: bytes
    original_request: str | None


def fingerprint(body: bytes) -> str:
    """What "the same parameters" means: the same ``name=value`` pairs, in any order (an SDK retry resends
    the identical body; ``a[0]=x&a[1]=y`` keeps its indexes in the names)."""
    return hashlib.sha256(b"&".join(sorted(body.split(b"&")))).hexdigest()


class IdempotencyLayer:
    """Claims, saves and replays idempotent results per account."""

    def __init__(self, clock: SimClock, ttl: float) -> None:
        self.clock = clock
        self.ttl = ttl

    def begin(
        self, state: AccountState, key: str, endpoint: str, body: bytes, request_id: str | None
    ) -> Replay | IdempotencyRecord:
        """Claim ``key`` for this request, or answer with the saved :class:`Replay` (or raise)."""
        if len(key) > MAX_KEY_LENGTH:
            raise InvalidRequestError(
                f"Idempotency-Key is too long: keys can be at most {MAX_KEY_LENGTH} characters.",
                param="Idempotency-Key",
            )
        fp = fingerprint(body)
        now = self.clock.now()
        with state.lock:
            record = state.idempotency.get(key)
            if record is not None and now - record.created >= self.ttl:
                del state.idempotency[key]
                record = None
            if record is None:
                record = IdempotencyRecord(key, endpoint, fp, now, request_id)
                state.idempotency.add(key, record)
                return record
            if record.in_flight:
                raise IdempotencyKeyInUse(
                    "There is currently another in-progress request using this Idempotent Key (probably "
                    "because you sent it twice in a row). Please retry it later.",
                    code="idempotency_key_in_use",
                )
            if record.endpoint != endpoint:
                raise IdempotencyError(
                    "Keys for idempotent requests can only be used for the same endpoint they were first "
                    "used "
                    f"for ('{record.endpoint}' vs '{endpoint}'). Try using a key other than '{key}' if you "
                    "meant to execute a different request."
                )
            if record.fingerprint != fp:
                raise IdempotencyError(
                    "Keys for idempotent requests can only be used with the same parameters they were first "
                    f"used with. Try using a key other than '{key}' if you meant to execute a different "
                    "request."
                )
            return Replay(record.status, unpack(record.body_zlib), record.request_id)

    @staticmethod
    def finish(
        state: AccountState, record: IdempotencyRecord, status: int, body: bytes, *, save: bool
    ) -> None:
        """Save the result (``save``) or release the key so a corrected request may use it."""
        with state.lock:
            if not save:
                if state.idempotency.get(record.key) is record:
                    del state.idempotency[record.key]
                return
            record.status, record.body_zlib, record.in_flight = status, pack(body), False
