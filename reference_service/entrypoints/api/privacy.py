"""The right to erasure: ``DELETE /api/v1/customers/{customer_ref}/personal-data`` (an admin, or the
customer themselves: another customer's ref answers 404). What is erased and what stays is documented
in ``adapters/erasure.py`` and docs/retention.md; the answer says how much was erased. Erasing again is
harmless (zeros)."""

from __future__ import annotations

from typing import Literal

from flask import Blueprint, Response
from pydantic import BaseModel

from reference_service.bootstrap import Container
from reference_service.domain.access import Permission
from reference_service.entrypoints.access import current_access, requires
from reference_service.entrypoints.api.responses import render
from reference_service.entrypoints.api.spec import ApiSpec
from reference_service.service_layer.errors import ProviderError
from reference_service.service_layer.file_errors import StorageUnavailable


class ErasureOut(BaseModel):
    object: Literal["personal_data_erasure"] = "personal_data_erasure"
    customer_ref: str
    orders_anonymised: int
    notifications_anonymised: int
    files_deleted: int


def build_blueprint(container: Container, spec: ApiSpec) -> Blueprint:
    bp = Blueprint("privacy", __name__, url_prefix="/api/v1")

    @spec.operation(
        bp,
        "/customers/<customer_ref>/personal-data",
        "DELETE",
        operation_id="erasePersonalData",
        summary="Erase a customer's personal data (orders, notifications, files); amounts and audit stay",
        tags=["privacy"],
        responses={200: (ErasureOut, "What was erased (zeros when there was nothing left)")},
        errors={
            404: "not-found: another customer's ref (for a customer caller)",
            503: "storage-unavailable: the file store failed; nothing was changed, retry",
        },
    )
    @requires(Permission.PERSONAL_DATA_ERASE, owned=True)
    def erase_personal_data(customer_ref: str) -> Response:
        current_access().require_owner(customer_ref, "customer", customer_ref)
        try:
            report = container.retention.eraser.erase(customer_ref)
        except ProviderError as exc:
            raise StorageUnavailable(
                "The file store is unavailable; nothing was erased. Retry later."
            ) from exc
        return render(ErasureOut(**report.as_dict()))

    return bp
