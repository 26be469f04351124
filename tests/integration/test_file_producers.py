"""The two producers of files, run by the outbox relay in-process (never inside the request): the invoice
PDF of an order that became PAID and the carrier's label of a new delivery, both linked from
``GET /api/v1/orders/{id}``; each is stored once however often the relay runs it, and a failure leaves
nothing and is retried. Storage is the in-memory fake (``test_files_s3.py`` runs against moto)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from reference_service.adapters.invoice_pdf import FpdfInvoiceRenderer
from reference_service.bootstrap import Container
from reference_service.domain.events import OrderStatusChanged
from reference_service.domain.orders import LineItem, Order
from reference_service.service_layer.errors import ProviderError
from reference_service.service_layer.file_errors import FileUploadFailed
from reference_service.service_layer.file_producers import StoreInvoiceWhenPaid
from tests.fakes import LABEL_PNG, FakeFileStorage, FakeLabelSource

ORDER: dict[str, Any] = {
    "customer_ref": "cus_ada",
    "currency": "EUR",
    "items": [{"sku": "MUG", "name": "Mug", "quantity": 2, "unit_amount": 850}],
    "shipping_address": {
        "name": "Ada",
        "street1": "179 N Harbor Dr",
        "city": "Redondo Beach",
        "state": "CA",
        "zip": "90277",
    },
}


def paid_order(client: FlaskClient) -> str:
    order_id: str = client.post("/api/v1/orders", json=ORDER).json["id"]
    paid = client.post(
        f"/api/v1/orders/{order_id}/payments", json={"provider": "stripe", "payment_method": "pm_card_visa"}
    )
    assert paid.status_code == 201 and paid.json["status"] == "SUCCEEDED", paid.json
    return order_id


def files_of(client: FlaskClient, order_id: str) -> list[dict[str, Any]]:
    files: list[dict[str, Any]] = client.get(f"/api/v1/orders/{order_id}").json["files"]
    return files


def test_the_invoice_appears_after_payment_once(client: FlaskClient, container: Container) -> None:
    storage = container.files.storage
    assert isinstance(storage, FakeFileStorage)
    container.files.renderer = FpdfInvoiceRenderer()  # the real PDF
    order_id = paid_order(client)
    assert files_of(client, order_id) == []  # not inside the request
    container.relay.drain()
    [invoice] = files_of(client, order_id)
    assert invoice["category"] == "invoices" and invoice["content_type"] == "application/pdf"
    pdf = storage.objects[next(k for k in storage.objects if k.startswith("invoices/"))]
    assert pdf.startswith(b"%PDF-") and len(pdf) == invoice["size"]
    file = container.files.files.get(invoice["id"])
    assert file is not None and file.owner_ref == "cus_ada" and file.order_id == order_id
    # the relay delivers at least once: a second run stores nothing more
    producer = StoreInvoiceWhenPaid(container.files.deps, lambda _id: None, lambda: container.files.renderer)
    assert (
        producer(OrderStatusChanged(order_id=order_id, previous_status="PENDING_PAYMENT", status="PAID"))
        == "exists"
    )
    assert len(storage.objects) == 1


def test_a_failing_store_leaves_nothing_and_the_retry_stores_it(container: Container) -> None:
    storage = container.files.storage
    assert isinstance(storage, FakeFileStorage)
    with container.uow() as uow:  # an order straight in the database (the API is not the subject here)
        order = Order.create("ord_PRODUCER", "cus_ada", "EUR", (LineItem("MUG", "Mug", 1, 850),))
        uow.orders.add(order)
        uow.commit()
    storage.will("put", ProviderError("s3", "STORAGE_ERROR", "down", retryable=True))
    event = OrderStatusChanged(order_id="ord_PRODUCER", previous_status="PENDING_PAYMENT", status="PAID")

    def load(order_id: str) -> Any:
        with container.read_uow() as uow:
            return uow.orders.get(order_id)

    producer = StoreInvoiceWhenPaid(container.files.deps, load, lambda: container.files.renderer)
    with pytest.raises(FileUploadFailed):  # the failure must reach the relay, which retries the event
        producer(event)
    assert storage.objects == {} and container.files.files.find("ord_PRODUCER", "invoices") is None
    assert producer(event) == "stored"
    assert producer(event) == "exists" and len(storage.objects) == 1


def test_the_label_appears_after_shipping(client: FlaskClient, container: Container) -> None:
    labels = container.files.labels
    assert isinstance(labels, FakeLabelSource)
    order_id = paid_order(client)
    quote = client.post(f"/api/v1/orders/{order_id}/shipping-quotes").json["data"][0]["quote_id"]
    delivery = client.post(f"/api/v1/orders/{order_id}/deliveries", json={"quote_id": quote}).json
    container.relay.drain()
    container.relay.drain()
    kinds = {f["category"]: f for f in files_of(client, order_id)}
    assert set(kinds) == {"invoices", "shipping_labels"}
    assert kinds["shipping_labels"]["content_type"] == "image/png"
    assert kinds["shipping_labels"]["size"] == len(LABEL_PNG)
    assert labels.fetched == [delivery["label_url"]]
