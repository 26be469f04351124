"""Stripe's search query language (stripe.com/docs/search#search-query-language), the subset the simulator's
PaymentIntents carry: ``status``, ``currency``, ``customer``, ``amount`` and ``metadata['key']``.

A query is clauses joined by ``AND`` or by ``OR`` (Stripe allows one of the two per query, up to 10 clauses).
A clause is ``field:value`` (exact; ``-field:value`` negates), or for ``amount`` also ``>``, ``<``, ``>=``,
``<=``; string values are quoted (``status:'succeeded'``, ``metadata['order_id']:'42'``). Anything else is
Stripe's 400 ``invalid_request_error`` on ``query``. Results are newest first, pages of ``limit`` (1..100,
default 10) with an opaque ``next_page`` token; the answer is Stripe's ``search_result`` object.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from simulators.stripe.exceptions import InvalidRequestError

FIELDS = ("status", "currency", "customer", "amount")
MAX_CLAUSES = 10
_CLAUSE = re.compile(
    r"""\s*(?P<neg>-)?(?P<field>[a-z_]+|metadata\['(?P<key>[^'\]]+)'\])\s*(?P<op>:|>=|<=|>|<)\s*"""
    r"""(?:'(?P<quoted>[^']*)'|"(?P<dquoted>[^"]*)"|(?P<bare>[^\s'"]+))\s*"""
)
_JOIN = re.compile(r"\s+(AND|OR)\s+")

Predicate = Callable[[Mapping[str, Any]], bool]


def _invalid(query: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Invalid search query: {query!r}. See the search query language: "
        "https://stripe.com/docs/search#search-query-language",
        param="query",
    )


def _clause(text: str, query: str) -> Predicate:
    m = _CLAUSE.fullmatch(text)
    if m is None:
        raise _invalid(query)
    field, op, key = m["field"], m["op"], m["key"]
    value = next(v for v in (m["quoted"], m["dquoted"], m["bare"]) if v is not None)
    if key is None and field not in FIELDS:
        raise _invalid(query)
    if op != ":" and field != "amount":
        raise _invalid(query)

    def test(obj: Mapping[str, Any]) -> bool:
        if key is not None:
            return bool((obj.get("metadata") or {}).get(key) == value)
        actual = obj.get(field)
        if field == "amount":
            if not re.fullmatch(r"\d+", value):
                raise _invalid(query)
            number, amount = int(value), int(actual or 0)
            compare = {
                ":": amount == number,
                ">": amount > number,
                "<": amount < number,
                ">=": amount >= number,
                "<=": amount <= number,
            }
            return compare[op]
        return str(actual).lower() == value.lower() if field == "currency" else actual == value

    if m["neg"]:
        return lambda obj: not test(obj)
    return test


def parse_query(query: str) -> Predicate:
    """The predicate of a search ``query`` (400 when it is not Stripe's query language)."""
    parts = _JOIN.split(query.strip())
    clauses, joins = parts[0::2], set(parts[1::2])
    if not query.strip() or len(joins) > 1 or len(clauses) > MAX_CLAUSES:
        raise _invalid(query)
    tests = [_clause(c, query) for c in clauses]
    if joins == {"OR"}:
        return lambda obj: any(t(obj) for t in tests)
    return lambda obj: all(t(obj) for t in tests)


def search(objects: Iterable[dict[str, Any]], params: Mapping[str, Any], url: str) -> dict[str, Any]:
    """The ``search_result`` page of ``objects`` (oldest first, as stored) matching ``params["query"]``."""
    query = params.get("query")
    if query is None:
        raise InvalidRequestError("Missing required param: query.", param="query")
    match = parse_query(str(query))
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise InvalidRequestError(
            f"This value must be between 1 and 100 (it currently is {limit}).", param="limit"
        )
    rows = [obj for obj in reversed(list(objects)) if match(obj)]
    start = 0
    page = params.get("page")
    if page:
        try:
            start = int(base64.urlsafe_b64decode(str(page).encode()).decode().removeprefix("offset:"))
        except ValueError:
            start = -1
        if start < 0:
            raise InvalidRequestError("Invalid page token.", param="page")
    chunk = rows[start : start + limit]
    more = start + limit < len(rows)
    token = base64.urlsafe_b64encode(f"offset:{start + limit}".encode()).decode() if more else None
    return {
        "object": "search_result",
        "data": chunk,
        "has_more": more,
        "next_page": token,
        "url": url,
    }
