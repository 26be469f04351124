"""The official ``easypost`` SDK against the simulator: addresses and verification, shipments and rates,
buying, refunds, trackers and the test codes, lists and pagination, errors with the SDK's classes, and
every answer checked against the recorded shapes (``contracts/schemas/providers/logistics``)."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from easypost.easypost_client import EasyPostClient
from easypost.errors.api.invalid_request_error import InvalidRequestError
from easypost.errors.api.not_found_error import NotFoundError
from easypost.errors.api.rate_limit_error import RateLimitError
from easypost.errors.api.service_unavailable_error import ServiceUnavailableError
from easypost.errors.api.unauthorized_error import UnauthorizedError

import contracts
from simulators.testing import RunningSimulator
from tests.simulators.logistics.conftest import FROM, PARCEL, TO


def as_dict(obj: Any) -> dict[str, Any]:
    data: dict[str, Any] = obj.to_dict()
    return data


def shipment(client: EasyPostClient, **extra: Any) -> Any:
    return client.shipment.create(to_address=TO, from_address=FROM, parcel=PARCEL, **extra)


def test_an_address_verifies_with_corrections(client: EasyPostClient) -> None:
    address = client.address.create(
        verify=True, street1="179 n harbor drive", city="redondo beach", state="CA", zip="90277"
    )
    contracts.validate("providers/logistics/responses/address", as_dict(address))
    assert address.id.startswith("adr_") and address.street1 == "179 N HARBOR DR"
    assert address.zip.startswith("90277-") and address.verifications.delivery.success is True


def test_an_unknown_address_carries_the_carriers_reasons(client: EasyPostClient) -> None:
    address = client.address.create(
        verify=True, street1="000 unknown street", city="Not A City", state="ZZ", zip="00001"
    )
    assert address.verifications.delivery.success is False
    assert [e.code for e in address.verifications.delivery.errors] == ["E.ADDRESS.NOT_FOUND"]
    with pytest.raises(InvalidRequestError) as failed:
        client.address.verify(address.id)
    assert failed.value.code == "ADDRESS.VERIFY.FAILURE" and failed.value.http_status == 422
    contracts.validate("providers/logistics/responses/error", failed.value.json_body)


def test_verify_strict_and_create_and_verify_refuse_an_unknown_address(client: EasyPostClient) -> None:
    with pytest.raises(InvalidRequestError) as strict:
        client.address.create(verify_strict=True, street1="Main Street", city="X", state="CA", zip="94107")
    assert {e["code"] for e in strict.value.errors or []} == {"E.ADDRESS.NOT_FOUND", "E.HOUSE_NUMBER.MISSING"}
    with pytest.raises(InvalidRequestError):
        client.address.create_and_verify(street1="0 nowhere", city="X", state="CA", zip="94107")
    ok = client.address.create_and_verify(street1="1 Suite Missing Way", city="X", state="CA", zip="94107")
    assert ok.verifications.delivery.errors[0].code == "E.SECONDARY_INFORMATION.MISSING"


def test_rates_come_from_three_carriers_priced_from_weight_and_zone(client: EasyPostClient) -> None:
    created = shipment(client)
    contracts.validate("providers/logistics/responses/shipment", as_dict(created))
    assert {r.carrier for r in created.rates} == {"USPS", "UPS", "FedEx"}
    assert created.lowest_rate().service == "GroundAdvantage"
    heavier = client.shipment.create(to_address=TO, from_address=FROM, parcel={**PARCEL, "weight": 80})
    far = client.shipment.create(
        to_address={**TO, "zip": "10001", "city": "New York", "state": "NY"}, from_address=FROM, parcel=PARCEL
    )
    assert float(heavier.lowest_rate().rate) > float(created.lowest_rate().rate)
    assert float(far.lowest_rate().rate) > float(created.lowest_rate().rate)
    again = shipment(client)
    assert [r.rate for r in again.rates] == [r.rate for r in created.rates]  # deterministic


def test_a_shipment_needs_its_addresses_and_parcel(client: EasyPostClient) -> None:
    with pytest.raises(InvalidRequestError) as missing:
        client.shipment.create(to_address=TO, from_address=FROM)
    assert missing.value.code == "PARAMETER.REQUIRED" and missing.value.errors == [
        {"field": "shipment.parcel", "message": "cannot be blank"}
    ]


def test_buying_sets_the_label_tracking_code_and_tracker_once(
    client: EasyPostClient, sim: RunningSimulator
) -> None:
    created = shipment(client)
    bought = client.shipment.buy(created.id, rate=created.lowest_rate())
    contracts.validate("providers/logistics/responses/shipment", as_dict(bought))
    assert bought.selected_rate.id == created.lowest_rate().id
    assert bought.tracking_code.startswith("9400") and bought.tracker.status == "pre_transit"
    assert requests.get(bought.postage_label.label_url, timeout=5).headers["Content-Type"] == "image/png"
    with pytest.raises(InvalidRequestError) as twice:
        client.shipment.buy(created.id, rate=created.lowest_rate())
    assert twice.value.code == "SHIPMENT.POSTAGE.EXISTS"
    other = shipment(client)
    with pytest.raises(InvalidRequestError):
        client.shipment.buy(other.id, rate={"id": created.rates[1].id})


def test_a_label_is_refunded_only_while_unused(client: EasyPostClient, sim: RunningSimulator) -> None:
    unused = shipment(client)
    client.shipment.buy(unused.id, rate=unused.lowest_rate())
    assert client.shipment.refund(unused.id).refund_status == "submitted"
    sim.advance(10)
    refunded = client.shipment.retrieve(unused.id)
    assert refunded.refund_status == "refunded" and refunded.tracker.status == "cancelled"
    used = shipment(client)
    client.shipment.buy(used.id, rate=used.lowest_rate())
    sim.advance(6)  # the carrier scanned it: in_transit
    with pytest.raises(InvalidRequestError) as refused:
        client.shipment.refund(used.id)
    assert refused.value.code == "SHIPMENT.REFUND.UNAVAILABLE"


def test_a_label_travels_on_the_simulated_clock(client: EasyPostClient, sim: RunningSimulator) -> None:
    created = shipment(client)
    tracker_id = client.shipment.buy(created.id, rate=created.lowest_rate()).tracker.id
    seen = [client.tracker.retrieve(tracker_id).status]
    for _ in range(3):
        sim.advance(5)
        seen.append(client.tracker.retrieve(tracker_id).status)
    assert seen == ["pre_transit", "in_transit", "out_for_delivery", "delivered"]
    delivered = client.tracker.retrieve(tracker_id)
    contracts.validate("providers/logistics/responses/tracker", as_dict(delivered))
    assert [d.status for d in delivered.tracking_details] == seen
    assert delivered.tracking_details[-1].tracking_location.city == "REDONDO BEACH"
    assert client.shipment.retrieve(created.id).status == "delivered"


@pytest.mark.parametrize(
    ("reference", "path"),
    [
        ("sim:return_to_sender", ["pre_transit", "in_transit", "return_to_sender"]),
        ("sim:failure", ["pre_transit", "in_transit", "out_for_delivery", "failure"]),
    ],
)
def test_a_magic_reference_chooses_an_exception_path(
    client: EasyPostClient, sim: RunningSimulator, reference: str, path: list[str]
) -> None:
    created = shipment(client, reference=reference)
    tracker_id = client.shipment.buy(created.id, rate=created.lowest_rate()).tracker.id
    sim.advance(30)
    assert [d.status for d in client.tracker.retrieve(tracker_id).tracking_details] == path


def test_the_control_api_advances_and_ends_a_tracker(client: EasyPostClient, sim: RunningSimulator) -> None:
    created = shipment(client)
    tracker_id = client.shipment.buy(created.id, rate=created.lowest_rate()).tracker.id
    assert sim.client.post(f"logistics/trackers/{tracker_id}/advance", {"steps": 1})["status"] == "in_transit"
    ended = sim.client.post(f"logistics/trackers/{tracker_id}/outcome", {"outcome": "failure", "now": True})
    assert ended["status"] == "failure" and ended["sim"]["outcome"] == "failure"


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("EZ1000000001", "pre_transit"),
        ("EZ2000000002", "in_transit"),
        ("EZ3000000003", "out_for_delivery"),
        ("EZ4000000004", "delivered"),
        ("EZ5000000005", "return_to_sender"),
        ("EZ6000000006", "failure"),
        ("EZ7000000007", "unknown"),
    ],
)
def test_the_test_tracking_codes(client: EasyPostClient, code: str, status: str) -> None:
    tracker = client.tracker.create(tracking_code=code, carrier="USPS")
    contracts.validate("providers/logistics/responses/tracker", as_dict(tracker))
    assert tracker.id.startswith("trk_") and tracker.status == status
    assert (
        client.tracker.create(tracking_code=code, carrier="USPS").id == tracker.id
    )  # the same tracker again


def test_lists_page_with_before_id(client: EasyPostClient) -> None:
    ids = [shipment(client).id for _ in range(3)]
    first = client.shipment.all(page_size=2)
    assert [s.id for s in first.shipments] == ids[::-1][:2] and first.has_more
    rest = client.shipment.get_next_page(first, page_size=2)
    assert [s.id for s in rest.shipments] == ids[:1] and not rest.has_more


def test_errors_are_the_sdks_classes(client: EasyPostClient, sim: RunningSimulator) -> None:
    with pytest.raises(NotFoundError) as missing:
        client.shipment.retrieve("shp_missing")
    assert missing.value.code == "NOT_FOUND"
    with pytest.raises(UnauthorizedError):
        EasyPostClient("not-a-key", api_base=sim.url + "/v2").shipment.retrieve("shp_x")
    sim.fault(match={"operation": "create_shipment"}, action={"type": "rate_limit"}, times=1)
    with pytest.raises(RateLimitError):
        shipment(client)
    sim.fault(match={"operation": "create_shipment"}, action={"type": "status", "status": 503}, times=1)
    with pytest.raises(ServiceUnavailableError) as down:
        shipment(client)
    assert down.value.code == "SERVICE.UNAVAILABLE"
    assert shipment(client).id.startswith("shp_")
