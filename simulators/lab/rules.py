"""Time-compressed copies of the service's Prometheus rule files, for alert runs that last a minute.

The canonical rules (``reference_service/observability/alerts/*.yml``) are never changed. For a run at
``factor`` times real speed, :func:`compress_rules` derives a copy in which every duration that sets how
long a condition must last or how far back an expression looks is divided by ``factor``:

- each alerting rule's ``for:`` (and ``keep_firing_for:``);
- each group's ``interval:``;
- every range-vector window and subquery range/step in ``expr`` (``rate(x[2m])`` → ``rate(x[6s])``).

Thresholds, labels and annotations are kept, so a compressed rule fires on the same *shape* of series as
the canonical one, only sooner (``tests/integration/test_rule_compression.py`` proves it under promtool).
Rates per second are unchanged by the compression when the traffic is the same, ratios and quantiles too.

Inspect a copy (from the repository root)::

    python -m simulators.lab.rules 20 reference_service/observability/alerts/external-services.yml
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

CANONICAL_DIR = Path(__file__).resolve().parents[2] / "reference_service" / "observability" / "alerts"
_UNITS_MS = {
    "ms": 1,
    "s": 1000,
    "m": 60_000,
    "h": 3_600_000,
    "d": 86_400_000,
    "w": 604_800_000,
    "y": 31_536_000_000,
}
_PART = re.compile(r"(\d+)(ms|s|m|h|d|w|y)")
_DURATION = re.compile(r"^(?:\d+(?:ms|s|m|h|d|w|y))+$")
# a range selector or subquery: [5m], [5m:], [5m:30s] (inside an expression, outside string literals)
_RANGE = re.compile(r"\[\s*([0-9a-z]+)\s*(?::\s*([0-9a-z]*)\s*)?\]")


def duration_ms(text: str) -> int:
    """A Prometheus duration (``1h30m``, ``2m``, ``500ms``) in milliseconds."""
    text = text.strip()
    if not _DURATION.match(text):
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(int(n) * _UNITS_MS[unit] for n, unit in _PART.findall(text))


def format_ms(ms: int) -> str:
    """Milliseconds as the shortest exact Prometheus duration (``90000`` → ``1m30s``)."""
    if ms <= 0:
        raise ValueError("a duration is positive")
    parts = []
    for unit in ("h", "m", "s", "ms"):
        size = _UNITS_MS[unit]
        if ms >= size:
            parts.append(f"{ms // size}{unit}")
            ms %= size
    return "".join(parts)


def compress_duration(text: str, factor: float) -> str:
    """``text`` divided by ``factor``, rounded to the millisecond (at least 1 ms)."""
    return format_ms(max(1, round(duration_ms(text) / factor)))


def compress_expr(expr: str, factor: float) -> str:
    """``expr`` with every range window and subquery range/step divided by ``factor``; string literals
    (label values, regexes) are left alone."""
    out: list[str] = []
    for n, piece in enumerate(re.split(r'("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`)', expr)):
        if n % 2:  # a string literal
            out.append(piece)
            continue

        def shrink(match: re.Match[str]) -> str:
            window, step = match.group(1), match.group(2)
            result = compress_duration(window, factor)
            if step is not None:
                result += ":" + (compress_duration(step, factor) if step else "")
            return f"[{result}]"

        out.append(_RANGE.sub(shrink, piece))
    return "".join(out)


def compress_rules(document: dict[str, Any], factor: float) -> dict[str, Any]:
    """A compressed copy of a parsed rule file (the input is not changed)."""
    if factor <= 0:
        raise ValueError("factor must be positive")
    groups = []
    for group in document.get("groups", []):
        copy = dict(group)
        if "interval" in copy:
            copy["interval"] = compress_duration(str(copy["interval"]), factor)
        rules = []
        for rule in group.get("rules", []):
            new = dict(rule)
            new["expr"] = compress_expr(str(rule["expr"]), factor)
            for key in ("for", "keep_firing_for"):
                if key in new:
                    new[key] = compress_duration(str(new[key]), factor)
            rules.append(new)
        copy["rules"] = rules
        groups.append(copy)
    return {**document, "groups": groups}


def compressed_text(path: Path, factor: float) -> str:
    """The YAML text of ``path``'s compressed copy, headed by where it comes from."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    header = (
        f"# DERIVED from {path.name}, every for/interval/range window divided by {factor:g}; do not edit\n"
    )
    return header + yaml.safe_dump(compress_rules(document, factor), sort_keys=False, width=200)


def write_rule_files(target: Path, factor: float, sources: Iterable[Path] | None = None) -> list[Path]:
    """Write the rule files Prometheus should load into ``target``: copies of the canonical files
    (byte for byte when ``factor`` is 1, compressed otherwise). Returns their paths."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sorted(sources if sources is not None else CANONICAL_DIR.glob("*.yml")):
        dest = target / source.name
        if factor == 1:
            dest.write_bytes(source.read_bytes())
        else:
            dest.write_text(compressed_text(source, factor), encoding="utf-8")
        written.append(dest)
    return written


if __name__ == "__main__":  # python -m simulators.lab.rules FACTOR FILE...
    scale = float(sys.argv[1])
    for name in sys.argv[2:]:
        sys.stdout.write(compressed_text(Path(name), scale))
