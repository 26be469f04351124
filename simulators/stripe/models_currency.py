"""Currencies: which ones Stripe takes, their minimum charge amounts, and how Stripe prints amounts in
messages.

Minimums come from Stripe's "Minimum and maximum charge amounts" table (docs.stripe.com/currencies); the
message shapes (``Amount must be at least $0.50 usd``, ``Refund amount ($30.00) is greater than ...``) are
Stripe's. Amounts are integer minor units throughout.
"""

from __future__ import annotations

from simulators.stripe.exceptions import InvalidRequestError

ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "$", "aud": "$", "nzd": "$", "sgd": "$",
           "hkd": "$", "mxn": "$", "inr": "₹", "brl": "R$", "chf": "CHF ", "krw": "₩"}  # fmt: skip
MINIMUMS = {"usd": 50, "eur": 50, "gbp": 30, "jpy": 50, "cad": 50, "aud": 50, "nzd": 50, "chf": 50, "sgd": 50,
            "hkd": 400, "dkk": 250, "nok": 300, "sek": 300, "mxn": 1000, "inr": 50, "brl": 50, "pln": 200,
            "czk": 1500, "huf": 17500, "aed": 200, "thb": 1000, "myr": 200, "ron": 200, "bgn":
            100}  # fmt: skip
SUPPORTED = frozenset(
    "usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn bzd "
    "cad cdf "
    "chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl "
    "htg huf "
    "idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk "
    "mnt mop "
    "mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf "
    "sar sbd "
    "scr sek sgd shp sle sos srd std szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf "
    "xcd xof "
    "xpf yer zar zmw".split()
)
MAX_AMOUNT = 99_999_999


def fmt(amount: int, currency: str) -> str:
    """``$20.00`` style amount, as Stripe prints it in error messages."""
    symbol = SYMBOLS.get(currency, "")
    if currency in ZERO_DECIMAL:
        text = f"{amount:,}"
    else:
        text = f"{amount / 100:,.2f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"


def check_currency(value: str, param: str = "currency") -> str:
    """The lowercased currency, or Stripe's 400 for one it does not support."""
    cur = value.lower()
    if cur not in SUPPORTED:
        raise InvalidRequestError(
            f"Invalid currency: {cur}. Stripe currently supports these currencies: "
            + ", ".join(sorted(SUPPORTED)),
            param=param,
        )
    return cur


def check_amount(amount: int, currency: str, param: str = "amount") -> int:
    """Stripe's bounds on a charge amount: at least the currency minimum, at most $999,999.99."""
    if amount < 1:
        raise InvalidRequestError("This value must be greater than or equal to 1.", param=param)
    minimum = MINIMUMS.get(currency, 50)
    if amount < minimum:
        raise InvalidRequestError(
            f"Amount must be at least {fmt(minimum, currency)} {currency}",
            code="amount_too_small",
            param=param,
        )
    if amount > MAX_AMOUNT:
        raise InvalidRequestError(
            f"Amount must be no more than {fmt(MAX_AMOUNT, currency)}", code="amount_too_large", param=param
        )
    return amount
