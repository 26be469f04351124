"""``InvoiceRenderer`` with fpdf2: a one-page A4 invoice of a paid order (number, dates, bill-to, lines,
total). fpdf2 is pure Python (no system libraries, unlike WeasyPrint or wkhtmltopdf), actively
maintained, and writes a small valid PDF from drawing calls in a few milliseconds.

fpdf2 is imported by the first :meth:`FpdfInvoiceRenderer.render`, not with this module: it brings fontTools
(and numpy where installed), about a second of CPU that every service process would otherwise pay at
start-up, also those that never issue an invoice.

Inspect one: ``genai-demo up``, pay an order, then open the ``invoices`` link of ``GET /api/v1/orders/{id}``.
"""

from __future__ import annotations

from datetime import datetime

from reference_service.domain.orders import Order

_MINOR = {"JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3}


def money(amount: int, currency: str) -> str:
    digits = _MINOR.get(currency.upper(), 2)
    value = amount / (10**digits)
    return f"{value:,.{digits}f} {currency.upper()}"


def _latin1(text: str) -> str:
    """The core PDF fonts are Latin-1: anything else is replaced, never dropped silently."""
    return text.encode("latin-1", "replace").decode("latin-1")


class FpdfInvoiceRenderer:
    def __init__(self, seller: str = "genai-demo shop") -> None:
        self.seller = seller

    def render(self, order: Order, *, invoice_number: str, issued_at: datetime) -> bytes:
        from fpdf import FPDF

        pdf = FPDF(format="A4")
        pdf.set_creation_date(issued_at)
        pdf.set_title(f"Invoice {invoice_number}")
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 18)
        pdf.cell(0, 10, _latin1(f"Invoice {invoice_number}"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        lines = [
            f"Seller: {self.seller}",
            f"Order: {order.id}",
            f"Issued: {issued_at:%Y-%m-%d}",
            f"Customer: {order.customer.name if order.customer else order.customer_ref}",
        ]
        if order.shipping_address is not None:
            a = order.shipping_address
            lines.append(f"Ship to: {a.name}, {a.street1}, {a.zip} {a.city}, {a.country}")
        for line in lines:
            pdf.cell(0, 6, _latin1(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 10)
        columns = (("Item", 90, "L"), ("Qty", 20, "R"), ("Unit", 35, "R"), ("Total", 35, "R"))
        for text, width, align in columns:
            pdf.cell(width, 7, text, border="B", align=align)
        pdf.ln()
        pdf.set_font("Helvetica", size=10)
        for item in order.items:
            pdf.cell(90, 7, _latin1(f"{item.name} ({item.sku})")[:60])
            pdf.cell(20, 7, str(item.quantity), align="R")
            pdf.cell(35, 7, money(item.unit_amount, order.currency), align="R")
            pdf.cell(35, 7, money(item.line_total, order.currency), align="R")
            pdf.ln()
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(145, 9, "Total", border="T")
        pdf.cell(35, 9, money(order.total.amount, order.currency), border="T", align="R")
        return bytes(pdf.output())
