"""The figures of a load run, read from Locust's statistics or from its CSV files.

Locust writes ``<prefix>_stats.csv`` from a background greenlet once a second, so the file it leaves
behind can miss the last second of a run. ``write_final_csv`` (called by ``thresholds.enforce`` when
the run ends) rewrites the stats, failures and exceptions files from the final statistics, so the CSV,
the HTML report and the exit code all agree. Read a finished run with::

    python -c "from pathlib import Path; from load.common.reports import figures_from_csv; \\
               print(*figures_from_csv(Path('var/load/orders-.../stats_stats.csv')), sep='\\n')"
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

AGGREGATED = "Aggregated"


@dataclass(frozen=True)
class Figures:
    """What one request name (or ``Aggregated``: all of them) did during a run. Times in milliseconds."""

    name: str
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float

    @property
    def error_rate(self) -> float:
        """Failed requests as a fraction of all requests (0.0 when there were none)."""
        return self.failures / self.requests if self.requests else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "error_rate": self.error_rate}


def figures_from_stats(entry: Any) -> Figures:
    """Figures from a Locust ``StatsEntry`` (``environment.stats.total`` for the aggregate)."""
    return Figures(
        name=entry.name,
        requests=entry.num_requests,
        failures=entry.num_failures,
        rps=float(entry.total_rps),
        p50_ms=float(entry.get_response_time_percentile(0.5) or 0),
        p95_ms=float(entry.get_response_time_percentile(0.95) or 0),
    )


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:  # "N/A" when a name saw no requests
        return 0.0


def figures_from_csv(stats_csv: Path) -> list[Figures]:
    """Every row of Locust's ``<prefix>_stats.csv`` as ``Figures``; the ``Aggregated`` row comes last."""
    rows: list[Figures] = []
    with stats_csv.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = row["Name"] if row["Name"] == AGGREGATED else f"{row['Type']} {row['Name']}".strip()
            rows.append(
                Figures(
                    name=name,
                    requests=int(row["Request Count"]),
                    failures=int(row["Failure Count"]),
                    rps=_number(row["Requests/s"]),
                    p50_ms=_number(row["50%"]),
                    p95_ms=_number(row["95%"]),
                )
            )
    rows.sort(key=lambda f: f.name == AGGREGATED)
    return rows


def write_final_csv(environment: Any) -> None:
    """Rewrite ``--csv`` stats, failures and exceptions files from the final statistics (no-op without
    ``--csv``). Uses Locust's own ``StatsCSV`` so the columns are exactly Locust's."""
    options = getattr(environment, "parsed_options", None)
    prefix = getattr(options, "csv_prefix", None)
    if not prefix:
        return
    from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

    writer = StatsCSV(environment, PERCENTILES_TO_REPORT)
    for suffix, write in (
        ("stats", writer.requests_csv),
        ("failures", writer.failures_csv),
        ("exceptions", writer.exceptions_csv),
    ):
        with open(f"{prefix}_{suffix}.csv", "w", newline="", encoding="utf-8") as fh:
            write(csv.writer(fh))
