"""The invoice PDF, drawn with fpdf2 and laid out as a Norwegian invoice must be.

On the page: the seller (name, address, organization number followed by "MVA" and
"Foretaksregisteret"), the buyer, invoice and due date, KID and bank account, the lines, VAT per
rate, and the totals; a credit note names the invoice it credits. It is written in the client's
invoice language and carries the client's logo when one is uploaded. Amounts go through
`money_display`, so they read as everywhere else ("15 533,85" in bokmål).

This is the one PDF path of `invoice_finalize` (a client with its own layout uploads its PDF
before finalizing, and then this is not used). Where the file is stored and served is decided
elsewhere; this module only draws it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from decimal import Decimal

from django.utils import formats, translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from accounting.models import Invoice
from accounting.money import ZERO, money_display

logger = logging.getLogger(__name__)

_MARGIN = 18  # mm
_FONT = "Helvetica"
# (heading, width in mm, alignment) of the lines table; widths sum to the printable width.
_LINE_COLUMNS = (
    ("description", 70, "L"), ("quantity", 16, "R"), ("unit_price", 24, "R"),
    ("discount", 14, "R"), ("vat_rate", 14, "R"), ("amount", 36, "R"),
)  # fmt: skip


def _text(value) -> str:
    """Text the PDF's built-in font can print (Windows-1252); anything else becomes '?'."""
    return str(value).replace("\u2212", "-").encode("cp1252", errors="replace").decode("cp1252")


def _date(value) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else "—"


def _number(value: Decimal, places: int = 2) -> str:
    normal = value.normalize()
    places = min(places, max(0, -normal.as_tuple().exponent))
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def organization_number_display(number: str) -> str:
    """"999 888 777" from "999888777" (as printed in Norway)."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) != 9:
        return number
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def vat_per_rate(lines) -> list[tuple[Decimal, Decimal, Decimal]]:
    """(rate, basis excl. VAT, VAT) per VAT rate, highest rate first."""
    basis: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    vat: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        basis[line.vat_rate] += line.amount_excl_vat
        vat[line.vat_rate] += line.vat_amount
    return [(rate, basis[rate], vat[rate]) for rate in sorted(basis, reverse=True)]


class _InvoicePdf(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(auto=True, margin=22)
        self.set_creator("Ledgerbridge")

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(_FONT, size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 4, _text(self.footer_text), align="C")
        self.ln(4)
        self.cell(0, 4, _text(_("Page %(page)s") % {"page": self.page_no()}), align="C")


def _seller_lines(client) -> list[str]:
    lines = [client.name]
    if client.address_line1:
        lines.append(client.address_line1)
    if client.postcode or client.city:
        lines.append(f"{client.postcode} {client.city}".strip())
    lines.append(
        _("Org. no. %(number)s MVA") % {
            "number": organization_number_display(client.organization_number)}
    )
    lines.append("Foretaksregisteret")
    return lines


def _buyer_lines(customer) -> list[str]:
    lines = [customer.name]
    for part in (customer.address_line1, customer.address_line2):
        if part:
            lines.append(part)
    if customer.postcode or customer.city:
        lines.append(f"{customer.postcode} {customer.city}".strip())
    if customer.country_code and customer.country_code != "NO":
        lines.append(customer.country_code)
    if customer.organization_number:
        lines.append(_("Org. no. %(number)s") % {
            "number": organization_number_display(customer.organization_number)})
    return lines


def _facts(invoice: Invoice) -> list[tuple[str, str]]:
    client = invoice.client
    facts = [
        (_("Credit note number") if invoice.is_credit_note else _("Invoice number"),
         str(invoice.number or "—")),
        (_("Invoice date"), _date(invoice.invoice_date)),
    ]
    if not invoice.is_credit_note:
        facts.append((_("Due date"), _date(invoice.due_date)))
    facts.append((_("Customer number"), str(invoice.customer.number)))
    if invoice.kid and not invoice.is_credit_note:
        facts.append((_("KID"), invoice.kid))
    if client.bank_account and not invoice.is_credit_note:
        facts.append((_("Bank account"), client.bank_account))
    if invoice.your_reference:
        facts.append((_("Your reference"), invoice.your_reference))
    if invoice.our_reference:
        facts.append((_("Our reference"), invoice.our_reference))
    if invoice.project_id:
        facts.append((_("Project"), f"{invoice.project.number} {invoice.project.name}"))
    if invoice.currency_code != "NOK":
        facts.append((_("Currency"), invoice.currency_code))
    return facts


def _draw_header(pdf: _InvoicePdf, invoice: Invoice) -> None:
    client = invoice.client
    top = pdf.get_y()
    if client.logo:
        try:
            with client.logo.open("rb") as logo:
                pdf.image(logo, x=_MARGIN, y=top, h=18)
        except (OSError, ValueError, RuntimeError) as err:  # unreadable image: print without
            logger.warning("Logo of client %s not printed: %s", client.pk, err)
    title = _("CREDIT NOTE") if invoice.is_credit_note else _("INVOICE")
    pdf.set_font(_FONT, "B", 20)
    pdf.set_xy(pdf.w - _MARGIN - 80, top)
    pdf.cell(80, 9, _text(title), align="R")
    # Seller, right-hand column under the title.
    pdf.set_font(_FONT, size=9)
    y = top + 11
    for line in _seller_lines(client):
        pdf.set_xy(pdf.w - _MARGIN - 80, y)
        pdf.cell(80, 4.5, _text(line), align="R")
        y += 4.5
    # Buyer, left, below the logo (the window of an envelope).
    pdf.set_xy(_MARGIN, top + 30)
    pdf.set_font(_FONT, "B", 10)
    pdf.cell(90, 5, _text(_("Invoice to")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(_FONT, size=10)
    for line in _buyer_lines(invoice.customer):
        pdf.cell(90, 5, _text(line), new_x="LMARGIN", new_y="NEXT")
    buyer_bottom = pdf.get_y()
    # Invoice facts, right.
    y = top + 30
    for label, value in _facts(invoice):
        pdf.set_xy(pdf.w - _MARGIN - 80, y)
        pdf.set_font(_FONT, size=9)
        pdf.cell(38, 5, _text(label))
        pdf.set_font(_FONT, "B", 9)
        pdf.cell(42, 5, _text(value), align="R")
        y += 5
    pdf.set_y(max(buyer_bottom, y) + 6)


def _draw_lines(pdf: _InvoicePdf, lines) -> None:
    headings = {
        "description": _("Description"), "quantity": _("Qty"), "unit_price": _("Unit price"),
        "discount": _("Disc. %"), "vat_rate": _("VAT %"), "amount": _("Amount excl. VAT"),
    }  # fmt: skip
    pdf.set_font(_FONT, "B", 9)
    pdf.set_fill_color(235, 235, 235)
    for key, width, align in _LINE_COLUMNS:
        pdf.cell(width, 7, _text(headings[key]), border="B", align=align, fill=True)
    pdf.ln(7)
    pdf.set_font(_FONT, size=9)
    for line in lines:
        values = {
            "description": line.description, "quantity": _number(line.quantity, 3),
            "unit_price": money_display(line.unit_price),
            "discount": _number(line.discount_percent) if line.discount_percent else "",
            "vat_rate": _number(line.vat_rate), "amount": money_display(line.amount_excl_vat),
        }  # fmt: skip
        for key, width, align in _LINE_COLUMNS:
            text = _text(values[key])
            while key == "description" and pdf.get_string_width(text) > width - 2:
                text = text[:-2] + "…" if len(text) > 2 else text[:1]
                text = _text(text)
            pdf.cell(width, 6, text, align=align)
        pdf.ln(6)
    pdf.ln(2)


def _draw_totals(pdf: _InvoicePdf, invoice: Invoice, lines) -> None:
    left = pdf.w - _MARGIN - 100
    pdf.set_font(_FONT, "B", 9)
    pdf.set_x(left)
    for heading, width in ((_("VAT rate"), 30), (_("Basis"), 35), (_("VAT"), 35)):
        pdf.cell(width, 6, _text(heading), border="B", align="R")
    pdf.ln(6)
    pdf.set_font(_FONT, size=9)
    for rate, basis, vat in vat_per_rate(lines):
        pdf.set_x(left)
        pdf.cell(30, 5, _text(f"{_number(rate)} %"), align="R")
        pdf.cell(35, 5, _text(money_display(basis)), align="R")
        pdf.cell(35, 5, _text(money_display(vat)), align="R")
        pdf.ln(5)
    totals = invoice.totals
    pdf.ln(2)
    rows = [
        (_("Total excl. VAT"), totals.amount_excl_vat, False),
        (_("VAT"), totals.vat_amount, False),
        (_("Total to credit") if invoice.is_credit_note else _("Total to pay"),
         totals.amount_incl_vat, True),
    ]
    for label, amount, bold in rows:
        pdf.set_x(left)
        pdf.set_font(_FONT, "B" if bold else "", 11 if bold else 9)
        pdf.cell(65, 6, _text(f"{label} ({invoice.currency_code})"), align="R",
                 border="T" if bold else 0)
        pdf.cell(35, 6, _text(money_display(amount)), align="R", border="T" if bold else 0)
        pdf.ln(6)


def _draw_payment(pdf: _InvoicePdf, invoice: Invoice) -> None:
    pdf.ln(6)
    pdf.set_font(_FONT, size=9)
    if invoice.is_credit_note:
        original = invoice.credited_invoice
        text = _("This credit note credits invoice %(number)s of %(date)s.") % {
            "number": original.number, "date": _date(original.invoice_date)}
    elif invoice.client.bank_account:
        text = _("Please pay %(amount)s to account %(account)s by %(due)s, marked with KID "
                 "%(kid)s.") % {
            "amount": money_display(invoice.totals.amount_incl_vat),
            "account": invoice.client.bank_account, "due": _date(invoice.due_date),
            "kid": invoice.kid or "—"}  # fmt: skip
    else:
        text = _("Please pay by %(due)s, marked with KID %(kid)s.") % {
            "due": _date(invoice.due_date), "kid": invoice.kid or "—"}
    pdf.multi_cell(0, 5, _text(text))


def _draw(invoice: Invoice) -> bytes:
    client = invoice.client
    footer = " · ".join(part for part in (
        client.name,
        _("Org. no. %(number)s MVA") % {
            "number": organization_number_display(client.organization_number)},
        client.bank_account and _("Bank account %(account)s") % {"account": client.bank_account},
    ) if part)  # fmt: skip
    pdf = _InvoicePdf(footer)
    pdf.set_title(_text(invoice.label))
    pdf.set_author(_text(client.name))
    pdf.add_page()
    lines = list(invoice.lines.select_related("account").order_by("line_no"))
    _draw_header(pdf, invoice)
    if invoice.description:
        pdf.set_font(_FONT, "B", 10)
        pdf.multi_cell(0, 5, _text(invoice.description))
        pdf.ln(2)
    _draw_lines(pdf, lines)
    _draw_totals(pdf, invoice, lines)
    _draw_payment(pdf, invoice)
    return bytes(pdf.output())


def invoice_pdf_bytes(invoice: Invoice) -> bytes:
    """The invoice or credit note as a PDF, in its client's invoice language."""
    with translation.override(invoice.client.invoice_language or "nb"):
        return _draw(invoice)
