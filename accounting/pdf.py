"""A plain one-page PDF of an invoice, written by hand (no PDF library needed).

Good enough as the attachment the accounting system stores with the voucher; a client with its own
layout uploads its PDF before finalizing and this is not used.
"""

from django.utils.translation import gettext as _

from accounting.models import Invoice

_PAGE_WIDTH, _PAGE_HEIGHT = 595, 842  # A4 in points
_MAX_LINES = 48


def _escape(text: str) -> bytes:
    """Text for a PDF string literal in WinAnsi (Latin-1 covers æ, ø, å)."""
    raw = text.encode("latin-1", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def pdf_from_lines(lines: list[str]) -> bytes:
    """A valid single-page PDF showing `lines` of text top to bottom in Helvetica 10 pt."""
    text = b"BT /F1 10 Tf 14 TL 50 790 Td"
    for line in lines[:_MAX_LINES]:
        text += b" (" + _escape(line) + b") Tj T*"
    text += b" ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 4 0 R >> >>"
        b" /Contents 5 0 R >>" % (_PAGE_WIDTH, _PAGE_HEIGHT),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
    ]
    return _assemble(objects)


def _assemble(objects: list[bytes]) -> bytes:
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return out


def invoice_pdf_lines(invoice: Invoice) -> list[str]:
    customer = invoice.customer
    lines = [
        str(invoice.client),
        "",
        str(invoice.label),
        _("Customer: %(number)s %(name)s") % {"number": customer.number, "name": customer.name},
        _("Invoice date: %(date)s   Due date: %(due)s")
        % {"date": invoice.invoice_date, "due": invoice.due_date or "-"},
        _("KID: %(kid)s   Currency: %(currency)s")
        % {"kid": invoice.kid or "-", "currency": invoice.currency_code},
        "",
    ]
    for line in invoice.lines.select_related("account").order_by("line_no"):
        lines.append(
            f"{line.line_no}. {line.description[:50]}  {line.quantity} x {line.unit_price}"
            f"  = {line.amount_excl_vat} (+{line.vat_rate} %)"
        )
    totals = invoice.totals
    lines += [
        "",
        _("Total excl. VAT: %(amount)s") % {"amount": totals.amount_excl_vat},
        _("VAT: %(amount)s") % {"amount": totals.vat_amount},
        _("Total incl. VAT: %(amount)s") % {"amount": totals.amount_incl_vat},
    ]
    return lines


def invoice_pdf_bytes(invoice: Invoice) -> bytes:
    return pdf_from_lines(invoice_pdf_lines(invoice))
