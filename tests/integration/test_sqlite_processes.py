"""Two processes writing one SQLite file (the service and ``genai-demo consumer`` in the lab): every write
transaction starts with ``BEGIN IMMEDIATE`` under a 30 s busy timeout, so concurrent writers queue and
none fails with "database is locked" or loses a write."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from reference_service.adapters.database import create_engines, migrate

WRITER = """
import sys
from reference_service.bootstrap import bootstrap
from reference_service.config import load_settings
from reference_service.domain import commands

url, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
container = bootstrap(load_settings(database_url=url, outbox_relay_enabled=False), run_migrations=False)
item = (commands.LineItemSpec(name, name, 1, 100),)
for n in range(count):
    container.bus.handle(commands.CreateOrder(f"cus_{name}", "USD", item))
    container.bus.handle(commands.SetStock(name, n + 1))
container.close()
print("done", name)
"""


def test_two_processes_write_one_sqlite_file_without_losing_a_write(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engines = create_engines(url)
    migrate(engines.write)
    count = 60
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, url, name, str(count)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("A", "B")
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0 and out.startswith("done"), err[-2000:]
        assert "database is locked" not in err
    with engines.read.connect() as conn:
        orders = dict(
            conn.execute(sa.text("SELECT customer_ref, count(*) FROM orders GROUP BY customer_ref")).all()
        )
        outbox = conn.execute(sa.text("SELECT count(*) FROM outbox")).scalar()
        stock = dict(conn.execute(sa.text("SELECT sku, on_hand FROM stock_levels")).all())
    engines.dispose()
    assert orders == {"cus_A": count, "cus_B": count}
    assert outbox == 2 * count
    assert stock == {"A": count, "B": count}
