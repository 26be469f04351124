"""The EasyPost walkthrough of the docs (``docs/examples/easypost_walkthrough.py``) runs as a user runs it
and does every step: verify an address, rates, buy, tracker, a signed webhook verified by the SDK, refund."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.support import REPO

pytestmark = pytest.mark.e2e


def test_the_walkthrough_ships_and_refunds_a_parcel() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "docs" / "examples" / "easypost_walkthrough.py")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(".")[0] for line in lines] == ["1", "2", "3", "4", "5", "6"], done.stdout
    assert "verified=True, corrected to 179 N HARBOR DR" in lines[0]
    assert "9 rates from ['FedEx', 'UPS', 'USPS']" in lines[1]
    assert "USPS GroundAdvantage" in lines[2]
    assert "(the label's own tracker: True)" in lines[3]
    # the first of the two events buying sends (their deliveries run in parallel)
    assert re.search(r"(tracker\.created|shipment\.purchased) verified with X-Hmac-Signature$", lines[4])
    assert lines[5].endswith("submitted")
