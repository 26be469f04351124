"""SNS and Twilio both fail in the middle of a burst of SMS, then recover: callers get the clear
all-providers-failed 503 (never a 500), their retries succeed after recovery, and every recipient gets
exactly one SMS across both providers: nothing is double-sent."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.chaos.storm import CHECKOUTS, report
from tests.support_notifications import NotificationsLab

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.chaos]

OUTAGE_S = 3.0


def test_both_sms_providers_down_then_back(notifications_lab: NotificationsLab) -> None:
    lab = notifications_lab
    lab.reset()
    phones = [f"+1415555{1000 + i:04d}" for i in range(CHECKOUTS)]
    answers: Counter[str] = Counter()
    lock = threading.Lock()
    lab.aws_sim().fault({"operation": "Publish"}, {"type": "status", "status": 500})
    lab.twilio_sim().fault({"method": "POST", "path": "*/Messages.json"}, {"type": "status", "status": 500})
    recovered = threading.Timer(
        OUTAGE_S, lambda: (lab.aws_sim().clear_faults(), lab.twilio_sim().clear_faults())
    )
    recovered.start()

    def send(phone: str) -> None:
        deadline = time.monotonic() + 60
        while True:
            resp = lab.http.post(
                f"{lab.url}/api/v1/notifications/sms",
                json={"phone": phone, "message": "Your order has shipped"},
                timeout=30,
            )
            with lock:
                answers[str(resp.status_code)] += 1
            if resp.status_code == 201:
                return
            assert resp.status_code == 503, resp.text
            assert resp.json()["type"] == "/problems/all-sms-providers-failed"
            assert time.monotonic() < deadline, "SMS never sent after the outage"
            time.sleep(0.3)

    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(send, phones))
    finally:
        recovered.join()

    def received(phone: str) -> int:
        sns = lab.aws_sim().get("aws/sms", phone_number=phone)["data"]
        twilio = lab.twilio_sim().get("twilio/messages", to=phone)["data"]
        return len(sns) + len(twilio)

    per_phone = Counter(received(p) for p in phones)
    report(
        "sms-both-providers-down",
        messages=len(phones),
        client_answers=dict(answers),
        received_per_phone=dict(per_phone),
        lost=per_phone.get(0, 0),
        doubled=sum(n for k, n in per_phone.items() if k > 1),
    )
    assert answers["503"] > 0, "no caller met the outage: the case tested nothing"
    assert set(answers) <= {"201", "503"}, answers
    assert per_phone == {1: len(phones)}, per_phone  # one SMS each: none lost, none doubled
    assert lab.aws_sim().get("faults")["data"] == [] and lab.twilio_sim().get("faults")["data"] == []
