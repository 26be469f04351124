"""The right to erasure: after ``DELETE /api/v1/customers/{ref}/personal-data`` no table holds the
customer's PII, neither in clear nor behind the PII cipher (every text and JSON column of every table is
scanned, decrypting what decrypts), and no object of theirs is left in the store; their orders, amounts
and the audit trail stay, and another customer's data is untouched."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from reference_service.adapters.orm import Base
from reference_service.bootstrap import Container
from tests.fakes import FakeEmailSender, FakeFileStorage

PDF = b"%PDF-1.7\n% a receipt\n%%EOF\n"
ADA = {"name": "Ada Lovelace", "email": "ada.lovelace@example.com", "phone": "+14155550111"}
ADA_STREET = "12 Analytical Engine Way"
GRACE = {"name": "Grace Hopper", "email": "grace.hopper@example.com", "phone": "+14155550122"}


def order_for(client: FlaskClient, ref: str, contact: dict[str, str], street: str) -> str:
    body = {
        "customer_ref": ref,
        "currency": "EUR",
        "items": [{"sku": "MUG", "name": "Mug", "quantity": 1, "unit_amount": 850}],
        "customer": contact,
        "shipping_address": {
            "name": contact["name"],
            "street1": street,
            "city": "Redondo Beach",
            "state": "CA",
            "zip": "90277",
            "country": "US",
        },
    }
    resp = client.post("/api/v1/orders", json=body)
    assert resp.status_code == 201, resp.json
    order_id: str = resp.json["id"]
    paid = client.post(
        f"/api/v1/orders/{order_id}/payments", json={"provider": "stripe", "payment_method": "pm_card_visa"}
    )
    assert paid.status_code == 201, paid.json
    return order_id


def everything_stored(container: Container) -> str:
    """Every text/JSON value of every table, and the plaintext of each that the PII cipher decrypts."""
    seen: list[str] = []
    with container.engines.read.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = [
                c
                for c in table.columns
                if isinstance(c.type, (sa.String, sa.Text, sa.JSON)) or "JSON" in type(c.type).__name__
            ]
            for row in conn.execute(sa.select(*columns)) if columns else []:
                for value in row:
                    if value is None:
                        continue
                    text = value if isinstance(value, str) else json.dumps(value)
                    seen.append(text)
                    try:
                        seen.append(container.cipher.decrypt(text))
                    except Exception:
                        pass  # not a token of the PII cipher: the text itself was scanned above
    return "\n".join(seen)


def test_erasure_leaves_no_pii_in_any_table_and_no_object(
    app: Flask, container: Container, client_as: Callable[..., FlaskClient]
) -> None:
    container.notifications.sender = FakeEmailSender()
    storage = container.files.storage
    assert isinstance(storage, FakeFileStorage)
    ada, grace = client_as("customer", "cus_ada"), client_as("customer", "cus_grace")
    ada_order = order_for(ada, "cus_ada", ADA, ADA_STREET)
    grace_order = order_for(grace, "cus_grace", GRACE, "1 Cobol Court")
    body = {
        "category": "return_documents",
        "file": (io.BytesIO(PDF), "Ada Lovelace receipt.pdf"),
    }
    assert ada.post("/api/v1/files", data=body, content_type="multipart/form-data").status_code == 201
    container.relay.drain()  # confirmation emails and invoices
    before = everything_stored(container)
    assert ADA["email"] in before and ADA_STREET in before  # the scan sees through the cipher
    ada_objects = {k for k in storage.objects if "return-documents" in k or k.startswith("invoices/")}
    assert len(ada_objects) == 3  # her receipt, two invoices (hers and Grace's)

    assert grace.delete("/api/v1/customers/cus_ada/personal-data").status_code == 404
    resp = ada.delete("/api/v1/customers/cus_ada/personal-data")
    assert resp.status_code == 200, resp.json
    assert resp.json == {
        "object": "personal_data_erasure",
        "customer_ref": "cus_ada",
        "orders_anonymised": 1,
        "notifications_anonymised": 1,
        "files_deleted": 2,
    }

    after = everything_stored(container)
    for pii in (*ADA.values(), ADA_STREET, "Ada Lovelace receipt"):
        assert pii not in after, pii
    assert GRACE["email"] in after and "1 Cobol Court" in after  # someone else's data stays
    assert len(storage.objects) == 1  # Grace's invoice only
    order = ada.get(f"/api/v1/orders/{ada_order}").json
    assert order["total_amount"] == 850 and order["status"] == "PAID" and order["customer"] is None
    assert order["shipping_address"] is None and order["files"] == []
    assert grace.get(f"/api/v1/orders/{grace_order}").json["customer"] is not None
    again = ada.delete("/api/v1/customers/cus_ada/personal-data").json
    assert (again["orders_anonymised"], again["notifications_anonymised"], again["files_deleted"]) == (
        0,
        0,
        0,
    )
    audit = client_as("admin").get("/api/v1/admin/audit?action=erasePersonalData")
    assert audit.status_code == 200, audit.json
    erasures = [(e["actor_id"], e["target_id"], e["status"]) for e in audit.json["data"]]
    assert ("cus_ada", "cus_ada", 200) in erasures and ("cus_grace", "cus_ada", 404) in erasures
