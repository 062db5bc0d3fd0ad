"""Writing draft invoices and credit notes from API documents: parse, then call the accounting
services (invoice_save, invoice_line_save, invoice_line_delete) in the caller's transaction."""

from __future__ import annotations

import base64
import binascii

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from accounting.models import Account, Customer, Department, Invoice, InvoiceLine, Product, Project
from accounting.services import invoice_line_delete, invoice_line_save, invoice_save

from .problems import FieldError, field_errors, pointer, validation_problem
from .registers import Reference, references_resolve, saved_or_problem

HEADER_REFERENCES = (
    Reference("customer_number", "customer", Customer),
    Reference("project_number", "project", Project),
    Reference("department_code", "department", Department, key="code"),
    Reference("credited_invoice_number", "credited_invoice", Invoice),
)
LINE_REFERENCES = (
    Reference("account_number", "account", Account),
    Reference("product_code", "product", Product, key="code"),
)
HEADER_RENAME = {ref.model_field: ref.api_field for ref in HEADER_REFERENCES}
LINE_RENAME = {ref.model_field: ref.api_field for ref in LINE_REFERENCES}
PDF_MAGIC = b"%PDF-"


def pdf_content(*, content: bytes, filename: str, at: tuple) -> ContentFile:
    """The uploaded bytes as a file to store, refused (422) unless they are a PDF."""
    if not content.startswith(PDF_MAGIC):
        raise validation_problem([FieldError(_("This is not a PDF file."), pointer(*at))])
    name = get_valid_filename(filename) or "invoice.pdf"
    return ContentFile(content, name=name if name.lower().endswith(".pdf") else f"{name}.pdf")


def pdf_from_base64(pdf: dict) -> ContentFile:
    try:
        content = base64.b64decode(pdf["content_base64"], validate=True)
    except (binascii.Error, ValueError) as error:
        message = _("This is not valid base64.")
        raise validation_problem([FieldError(message, pointer("pdf", "content_base64"))]) from error
    return pdf_content(
        content=content, filename=pdf.get("filename", "invoice.pdf"), at=("pdf", "content_base64")
    )


def invoice_pdf_attach(*, invoice: Invoice, pdf: ContentFile) -> Invoice:
    invoice.check_editable()
    invoice.pdf.save(pdf.name, pdf, save=False)
    return saved_or_problem(lambda: invoice_save(invoice=invoice, by=None))


def _lines_replace(invoice: Invoice, lines: list[dict]) -> None:
    for line in list(invoice.lines.all()):
        invoice_line_delete(line=line)
    errors: list[FieldError] = []
    for index, data in enumerate(lines):
        prefix = ("lines", index)
        data.update(
            references_resolve(
                client=invoice.client, data=data, references=LINE_REFERENCES, prefix=prefix
            )
        )
        line = InvoiceLine(client=invoice.client, invoice=invoice, **data)
        try:
            invoice_line_save(line=line)
        except ValidationError as error:
            errors.extend(field_errors(error, prefix=prefix, rename=LINE_RENAME))
    if errors:
        raise validation_problem(errors)


def invoice_draft_write(*, invoice: Invoice, data: dict) -> Invoice:
    """Set the header fields sent, replace the lines, attach the PDF if sent. Must run inside the
    caller's transaction: a 422 problem leaves nothing behind."""
    invoice.check_editable()
    lines = data.pop("lines", [])
    pdf = data.pop("pdf", None)
    pdf_file = pdf_from_base64(pdf) if pdf else None
    data.update(references_resolve(client=invoice.client, data=data, references=HEADER_REFERENCES))
    for name, value in data.items():
        setattr(invoice, name, value)
    saved_or_problem(lambda: invoice_save(invoice=invoice, by=None), rename=HEADER_RENAME)
    _lines_replace(invoice, lines)
    if pdf_file is not None:
        invoice_pdf_attach(invoice=invoice, pdf=pdf_file)
    return invoice
