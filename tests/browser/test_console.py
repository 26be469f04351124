"""The lab console in a real browser (Debian's ``chromium`` driven by its ``chromium-driver`` through
Selenium), on a real lab: ``simulators.lab.up.Lab`` with a random port offset, as ``genai-demo up`` starts
it (every simulator, the service, the Kafka mock cluster, the consumer and the console), one lab for the
module.

A person's session: the overview shows every part healthy; the "Stripe outage" preset (a 4 s duration typed
in its form field) makes the checkout's Stripe calls fail, the order timeline shows those 503s, and, once
the outage is over and the checkout is sent again, the PAID webhook appears in the timeline without a
reload; "Redeliver" adds an attempt to that delivery and "Send duplicate" a second delivery of the event;
advancing the carrier's clock by a day on the Clock page moves the parcel to DELIVERED. No page shows a
secret. Screenshots of every page go to ``var/console/`` (one of them is ``docs/images/console-*.png``).

Why Selenium: Debian ships ``chromium`` and a ``chromium-driver`` built from the same source, so the driver
always matches the browser; Playwright drives its own pinned browser builds, which cannot be downloaded
here and may not speak to Debian's. The suite fails in CI (``CI=true``) when the browser is missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests

from reference_service.config import load_settings
from simulators.kernel.client import SimClient
from simulators.lab.console.config import CONSOLE_PORT
from simulators.lab.up import Lab, LabError
from simulators.registry import PROVIDERS
from tests.support import REPO, free_offset, require

# starting the whole lab (the first test's setup) takes 20-30 s on an idle laptop, minutes on a loaded machine
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(300)]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SHOTS = REPO / "var" / "console"
#: every simulator, as ``genai-demo up`` (the service's health needs both payment providers)
NEEDED = tuple(PROVIDERS)
OUTAGE_S = 4.0
SHIP_TO = {"name": "Ada Lovelace", "street1": "179 N Harbor Dr", "city": "Redondo Beach", "state": "CA",
           "zip": "90277"}  # fmt: skip
T = TypeVar("T")


def wait_for(what: str, check: Callable[[], T | None], timeout: float = 20.0) -> T:
    """Poll ``check`` (0.2 s) until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            got = check()
            if got:
                return got
        except Exception as exc:  # a stale element while htmx swaps a fragment: look again
            last = exc
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}" + (f" (last error: {last})" if last else ""))


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        require("chromium", f"{CHROMIUM} and {CHROMEDRIVER} (Debian chromium, chromium-driver; make tools)")
    tmp = tmp_path_factory.mktemp("console-lab")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DATABASE_URL", f"sqlite:///{tmp / 'lab.db'}")
        for attempt in range(3):
            offset = free_offset(CONSOLE_PORT)
            started = Lab(
                load_settings(),
                var_dir=tmp / f"var{attempt}",
                service_port=8000 + offset,
                providers={name: PROVIDERS[name] for name in NEEDED},
                port_offset=offset,
                echo=lambda _line: None,
                restart=False,
            )
            try:
                started.start()
                break
            except LabError as exc:
                started.stop()
                if "already in use" not in str(exc) or attempt == 2:
                    raise
        try:
            yield started
        finally:
            started.stop()


@pytest.fixture(scope="module")
def browser(lab: Lab) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def console(lab: Lab) -> str:
    url = lab.part_url("console")  # up does not wait for the console: it may still be starting
    wait_for("the console's health", lambda: requests.get(url + "/health", timeout=5).ok, timeout=60)
    return url


@pytest.fixture(scope="module")
def secrets(lab: Lab) -> dict[str, str]:
    """Every credential of the lab, none of which any page may show."""
    values = {**lab.secrets, **lab.wired}
    return {k: v for k, v in values.items()
            if ("SECRET" in k or "TOKEN" in k or k.endswith("_KEY")) and "PUBLISHABLE" not in k}  # fmt: skip


def css(driver: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    found: list[Any] = driver.find_elements(By.CSS_SELECTOR, selector)
    return found


def click(driver: Any, selector: str, text: str | None = None) -> None:
    """Click the (first) element of ``selector`` showing ``text``, looking again if htmx swapped it."""

    def clicked() -> bool:
        next(e for e in css(driver, selector) if text is None or e.text == text).click()
        return True

    wait_for(f"{text or selector!r} to click", clicked)


def shot(driver: Any, name: str) -> None:
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def no_secret_in(driver: Any, secrets: dict[str, str]) -> None:
    page = driver.page_source
    shown = [name for name, value in secrets.items() if value and value in page]
    assert not shown, f"{driver.current_url} shows {shown}"


def api(lab: Lab, role: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {lab.wired[f'TOKEN_{role.upper()}']}"
    return session


def test_a_session_in_the_console(lab: Lab, browser: Any, console: str, secrets: dict[str, str]) -> None:
    """One test (one lab, one browser; pytest-xdist cannot split it): each step is a person's action."""
    overview_shows_every_part_healthy(lab, browser, console, secrets)
    order_id = stripe_outage_shows_in_the_timeline_then_the_paid_webhook(lab, browser, console, secrets)
    redeliver_and_duplicate_from_the_webhooks_page(browser, console, secrets)
    advancing_the_carrier_clock_delivers_the_parcel(lab, browser, console, secrets, order_id)
    kafka_broker_down_and_up_and_the_alerts_page(browser, console, secrets)


def overview_shows_every_part_healthy(lab: Lab, browser: Any, console: str, secrets: dict[str, str]) -> None:
    from selenium.webdriver.common.keys import Keys

    browser.get(console + "/")
    parts = {"service", "kafka", "consumer", *NEEDED}
    wait_for(
        "every part UP",
        lambda: {r.get_attribute("data-part") for r in css(browser, "tr[data-health=up]")} >= parts,
    )
    browser.find_element("tag name", "body").send_keys(Keys.TAB)  # the first stop is the skip link
    assert browser.switch_to.active_element.text == "Skip to content"
    nav = [a.text for a in css(browser, "nav a")]
    assert nav == ["Overview", "Order timeline", "Webhooks", "Faults", "Clock", "Alerts"]
    no_secret_in(browser, secrets)
    shot(browser, "overview")
    browser.set_window_size(390, 844)  # a phone: nothing wider than the screen but the tables' own scroll
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
    shot(browser, "overview-phone")
    browser.set_window_size(1280, 1000)


def stripe_outage_shows_in_the_timeline_then_the_paid_webhook(
    lab: Lab, browser: Any, console: str, secrets: dict[str, str]
) -> str:
    """The "Stripe outage" preset, a checkout, its 503s in the timeline, then the PAID webhook; the order."""
    customer = api(lab, "customer")
    service = lab.part_url("service") + "/api/v1"
    body = {"customer_ref": "cus_ada", "currency": "USD", "shipping_address": SHIP_TO,
            "customer": {"name": "Ada", "email": "ada.console@example.com", "phone": "+14155550123"},
            "items": [{"sku": "LAB", "name": "lab", "quantity": 1, "unit_amount": 1250}]}  # fmt: skip
    order = customer.post(service + "/orders", json=body, timeout=10)
    assert order.status_code == 201, order.text
    oid: str = order.json()["id"]

    browser.get(console + "/faults")
    form = css(browser, "form[data-preset=stripe-outage]")[0]
    seconds = form.find_element("name", "seconds")
    seconds.clear()
    seconds.send_keys(str(OUTAGE_S))
    form.find_element("tag name", "button").click()
    applied = time.monotonic()
    wait_for("the preset's answer", lambda: "Stripe outage: rule" in browser.find_element("id", "flash").text)
    wait_for("the rule in the list", lambda: css(browser, "tr[data-simulator=stripe][data-rule]"))

    pay = {"provider": "stripe", "payment_method": "pm_card_visa"}
    headers = {"Idempotency-Key": f"console-{oid}"}
    first = customer.post(f"{service}/orders/{oid}/payments", json=pay, headers=headers, timeout=30)
    assert first.status_code in (201, 503), first.text  # the service's own retries may outlast the outage

    browser.get(f"{console}/timeline?order_id={oid}")
    wait_for("the faulted Stripe calls", lambda: css(browser, "li[data-source=stripe][data-status='503']"))
    fired = SimClient(lab.part_url("stripe")).faults()[0]["fired"]
    assert fired >= 1
    time.sleep(max(0.0, OUTAGE_S + 0.5 - (time.monotonic() - applied)))
    if first.status_code == 503:  # the customer tries again once Stripe is back: the same request resumes
        again = customer.post(f"{service}/orders/{oid}/payments", json=pay, headers=headers, timeout=30)
        assert again.status_code == 201, again.text
    # no reload: htmx polls the story and the webhook and the PAID order appear in it
    webhook = "li[data-kind=webhook][data-source=stripe][data-status=SUCCEEDED]"
    wait_for("the PAID webhook in the timeline", lambda: css(browser, webhook))
    wait_for("the order PAID", lambda: css(browser, "[data-order-status=PAID]"))
    kafka = requests.get(console + "/api/kafka", timeout=10).json()
    wait_for(
        f"the order's Kafka events in its story (reader: {kafka})",
        lambda: css(browser, "li[data-source=kafka]"),
    )
    click(browser, webhook + " a")  # the entry's link loads its details beside the story
    detail = wait_for(
        "the webhook's details", lambda: css(browser, "#detail article[data-key^='delivery/stripe/']")
    )
    text = detail[0].text
    assert "payment_intent.succeeded" in text and "attempt 1: 200" in text
    assert '"client_secret": "****"' in text
    no_secret_in(browser, secrets)
    browser.execute_script("window.scrollTo(0, 0)")
    shot(browser, "timeline")
    return oid


def redeliver_and_duplicate_from_the_webhooks_page(
    browser: Any, console: str, secrets: dict[str, str]
) -> None:
    browser.get(console + "/webhooks")
    succeeded = "section[data-provider=stripe] tr[data-event-type='payment_intent.succeeded']"
    row = wait_for("the Stripe delivery", lambda: css(browser, succeeded))[0]
    delivery, attempts = row.get_attribute("data-delivery"), int(row.get_attribute("data-attempts"))
    click(browser, f"tr[data-delivery={delivery}] button[aria-label^=Redeliver]")
    wait_for(
        "a second attempt",
        lambda: css(browser, f"tr[data-delivery={delivery}][data-attempts='{attempts + 1}']"),
    )
    before = len(css(browser, succeeded))
    click(browser, f"tr[data-delivery={delivery}] button[aria-label^='Send duplicate']")
    wait_for("the duplicate delivery", lambda: len(css(browser, succeeded)) == before + 1)

    def duplicate_accepted() -> bool:  # newest first: the duplicate, a new delivery the service took
        row = css(browser, succeeded)[0]
        return (
            row.get_attribute("data-delivery") != delivery and row.get_attribute("data-status") == "succeeded"
        )

    wait_for("the duplicate accepted", duplicate_accepted)
    no_secret_in(browser, secrets)
    shot(browser, "webhooks")


def advancing_the_carrier_clock_delivers_the_parcel(
    lab: Lab, browser: Any, console: str, secrets: dict[str, str], oid: str
) -> None:
    hour = 3600.0  # each tracking step an hour apart: only moving the clock gets the parcel there now
    SimClient(lab.part_url("logistics")).post(
        "logistics/settings", {"delays": {"in_transit": hour, "out_for_delivery": hour, "final": hour}}
    )
    admin, service = api(lab, "admin"), lab.part_url("service") + "/api/v1"
    quotes = admin.post(f"{service}/orders/{oid}/shipping-quotes", timeout=20)
    assert quotes.status_code == 200, quotes.text
    label = {"quote_id": quotes.json()["data"][0]["quote_id"]}
    delivery = admin.post(f"{service}/orders/{oid}/deliveries", json=label, timeout=20)
    assert delivery.status_code == 201, delivery.text

    browser.get(console + "/clock")
    click(browser, "button[aria-label='Advance logistics by 1 day']")
    wait_for("the advance", lambda: "advanced logistics" in browser.find_element("id", "flash").text)
    # the clock table is its own fragment, refreshed after the action's message: wait for the new offset
    wait_for(
        "the logistics clock one day ahead",
        lambda: float(css(browser, "tr[data-simulator=logistics]")[0].get_attribute("data-offset")) >= 86400,
    )
    shot(browser, "clock")
    browser.get(f"{console}/timeline?order_id={oid}")
    wait_for("DELIVERED", lambda: css(browser, "li[data-kind=delivery][data-status=DELIVERED]"))
    assert css(browser, "li[data-source=logistics][data-kind=webhook]")
    no_secret_in(browser, secrets)
    shot(browser, "timeline-delivered")


def kafka_broker_down_and_up_and_the_alerts_page(browser: Any, console: str, secrets: dict[str, str]) -> None:
    browser.get(console + "/faults")
    for field in css(browser, "form input:not([type=hidden]), form select"):  # every field has a label
        assert browser.execute_script("return arguments[0].labels.length", field) > 0, field.get_attribute(
            "name"
        )
    click(browser, "form[data-preset=kafka-down] button", "Kafka broker down")
    wait_for("broker 1 down", lambda: css(browser, "[data-broker='1'].bad"))
    shot(browser, "faults")
    click(browser, "[data-kafka] button", "Broker 1 up")
    wait_for("broker 1 up", lambda: css(browser, "[data-broker='1'].ok"))
    no_secret_in(browser, secrets)
    browser.get(console + "/alerts")
    assert "genai-demo up --observability" in browser.find_element("id", "main").text
    shot(browser, "alerts")
