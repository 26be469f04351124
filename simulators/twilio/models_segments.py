"""SMS segment counting as Twilio reports it in ``num_segments``.

A body that only uses the GSM 03.38 default alphabet is sent as GSM-7: 160 septets fit one SMS; a longer
body is split into concatenated segments of 153 septets (7 bytes of each go to the UDH). Characters of the
GSM-7 extension table (``^{}\\[~]|€`` and form feed) take two septets (ESC + char) and are never split
across segments. Any other character switches the whole body to UCS-2: 70 UTF-16 code units fit one SMS,
67 per concatenated segment, and a surrogate pair (an emoji) is never split.

Sources: 3GPP TS 23.038 (alphabet and extension table); Twilio's "What the heck is a segment?"
(twilio.com/docs/glossary/what-sms-character-limit) for the 160/153 and 70/67 limits.

``count_segments("hello")`` -> ``SegmentInfo(encoding="GSM-7", segments=1, units=5)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# The GSM 03.38 basic character set (ESC, 0x1B, is left out: it introduces extension characters).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# The extension table: each is sent as ESC + char, so it costs two septets.
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE = 160
GSM7_CONCAT = 153
UCS2_SINGLE = 70
UCS2_CONCAT = 67

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SegmentInfo:
    """How a body is encoded and into how many segments it is split (``units`` = septets or code units)."""

    encoding: Encoding
    segments: int
    units: int


def is_gsm7(text: str) -> bool:
    """Whether every character of ``text`` is in the GSM-7 basic or extension table."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _pack(costs: list[int], single: int, concat: int) -> int:
    """Segments needed for characters of the given costs; a character is never split."""
    total = sum(costs)
    if total <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > concat:
            segments += 1
            used = 0
        used += cost
    return segments


def count_segments(text: str) -> SegmentInfo:
    """Encoding, segment count and size of ``text`` (an empty body is one segment, as for MMS text)."""
    if is_gsm7(text):
        costs = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        return SegmentInfo("GSM-7", _pack(costs, GSM7_SINGLE, GSM7_CONCAT), sum(costs))
    costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    return SegmentInfo("UCS-2", _pack(costs, UCS2_SINGLE, UCS2_CONCAT), sum(costs))
