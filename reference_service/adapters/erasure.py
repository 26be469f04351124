"""The right to erasure (GDPR art. 17): anonymise one customer's personal data everywhere it is kept.

What :meth:`PersonalDataEraser.erase` does for ``customer_ref``, in one transaction for the rows (the
objects go first, so a failing S3 changes nothing):

- **files** owned by the customer (return documents, invoices, labels): objects deleted from the bucket,
  rows deleted;
- **orders**: contact (name, email, phone) and shipping address removed; the order, its lines, amounts,
  statuses and payments stay (bookkeeping);
- **notifications** about those orders: the encrypted recipient replaced by ``[erased]`` and the body
  (an SMS text) removed; their status history stays;
- deliveries keep no address of their own (they ship to the order's), so nothing is left there;
- the **audit trail** is left intact: it holds no PII in clear (the caller's IP is an HMAC, actors are
  pseudonymous ids). The erasure itself is audited like every call.

Notifications sent without an order (a password reset) are found only through their encrypted recipient
and are left to the notifications retention (``RETENTION_NOTIFICATIONS_DAYS``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from reference_service.adapters.orm import FileRow, NotificationRow, OrderRow
from reference_service.ports import PiiCipher
from reference_service.ports_files import FileStorage

ERASED = "[erased]"


@dataclass(frozen=True)
class ErasureReport:
    customer_ref: str
    orders: int
    notifications: int
    files: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer_ref": self.customer_ref,
            "orders_anonymised": self.orders,
            "notifications_anonymised": self.notifications,
            "files_deleted": self.files,
        }


class PersonalDataEraser:
    def __init__(
        self,
        write_sessions: sessionmaker[Session],
        write_gate: Any,
        cipher: PiiCipher,
        storage: Callable[[], FileStorage],
    ) -> None:
        self._write = write_sessions
        self._gate = write_gate
        self._cipher = cipher
        self._storage = storage

    def erase(self, customer_ref: str) -> ErasureReport:
        """See the module docstring; running it again erases nothing more (and answers zeros)."""
        with self._gate, self._write() as session, session.begin():
            keys = list(session.scalars(sa.select(FileRow.key).where(FileRow.owner_ref == customer_ref)))
            storage = self._storage()
            for key in keys:
                storage.delete(key)
            session.execute(sa.delete(FileRow).where(FileRow.owner_ref == customer_ref))
            order_ids = sa.select(OrderRow.id).where(OrderRow.customer_ref == customer_ref)
            orders = session.execute(
                sa.update(OrderRow)
                .where(
                    OrderRow.customer_ref == customer_ref,
                    sa.or_(OrderRow.customer_contact.is_not(None), OrderRow.shipping_address.is_not(None)),
                )
                .values(customer_contact=None, shipping_address=None, version=OrderRow.version + 1)
                .execution_options(synchronize_session=False)
            )
            erased = self._cipher.encrypt(ERASED)
            pending = list(
                session.scalars(
                    sa.select(NotificationRow.id).where(
                        NotificationRow.order_id.in_(order_ids),
                        sa.or_(NotificationRow.body.is_not(None), NotificationRow.recipient != ""),
                    )
                )
            )
            count = 0
            for notification_id in pending:
                row = session.get(NotificationRow, notification_id)
                if row is None or (row.body is None and self._cipher.decrypt(row.recipient) == ERASED):
                    continue
                row.recipient, row.body = erased, None
                count += 1
            return ErasureReport(customer_ref, int(getattr(orders, "rowcount", 0) or 0), count, len(keys))
