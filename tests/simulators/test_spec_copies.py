"""The providers' official specs the simulator tests read are copied into the repository, each with its
source, version, licence and checksum in a README beside it; the copies are exactly those bytes."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SPEC_DIRS = sorted(p for p in HERE.glob("*/specs") if p.is_dir())
ROW = re.compile(r"^\| (?P<file>[\w.-]+\.json) \|.*\| (?P<sha>[0-9a-f]{64}) \|$", re.MULTILINE)


def test_every_provider_with_specs_is_covered() -> None:
    assert {p.parent.name for p in SPEC_DIRS} >= {"stripe", "paypal", "twilio"}


@pytest.mark.parametrize("specs", SPEC_DIRS, ids=lambda p: p.parent.name)
def test_each_copy_is_listed_with_its_licence_and_checksum(specs: Path) -> None:
    readme = (specs / "README.md").read_text("utf-8")
    listed = {m["file"]: m["sha"] for m in ROW.finditer(readme)}
    copies = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in specs.glob("*.json")}
    assert listed == copies
    assert re.search(r"^## Licence|LICENSE-Apache-2.0", readme, re.MULTILINE)
