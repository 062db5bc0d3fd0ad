"""Invoices and credit notes: create drafts with lines and PDF, replace drafts, finalize, credit."""

from typing import Literal

from django.db.models import Prefetch
from ninja import File, Query, Router
from ninja.files import UploadedFile

from accounting.models import Invoice, InvoiceLine
from accounting.services import invoice_credit, invoice_finalize
from api.idempotency import api_write
from api.invoices import invoice_draft_write, invoice_pdf_attach, pdf_content
from api.registers import saved_or_problem
from api.responses import page, respond
from api.schemas.common import (
    BigNumber,
    Number,
    Page,
    PageQuery,
    QueryIn,
    TransferStatusOut,
)
from api.schemas.invoices import CreditNoteIn, InvoiceIn, InvoiceOut
from api.selectors import record_of_client_or_404, transfer_status_of

router = Router(tags=["invoices"])
credit_notes_router = Router(tags=["invoices"])

RELATED = ("customer", "project", "department", "credited_invoice")
#: Lines with what InvoiceOut shows of them, fetched once for a page of invoices (the totals are
#: summed from the same prefetched lines).
LINES = Prefetch(
    "lines", queryset=InvoiceLine.objects.select_related("account", "product", "vat_code")
)


class InvoiceFilter(QueryIn):
    number: BigNumber | None = None
    state: Literal["draft", "finalized"] | None = None
    customer_number: Number | None = None


def _invoice(request, invoice_id: int) -> Invoice:
    return record_of_client_or_404(
        Invoice, client=request.auth.client, select_related=RELATED, pk=invoice_id
    )


def _answer(invoice: Invoice, *, status: int = 200):
    invoice = Invoice.objects.select_related(*RELATED).prefetch_related(LINES).get(pk=invoice.pk)
    return respond(InvoiceOut.from_orm(invoice), status=status)


@router.post("", response={201: InvoiceOut}, operation_id="invoices_create")
@api_write
def invoice_create(request, payload: InvoiceIn):
    """Create a draft invoice with its lines (and your PDF, base64)."""
    invoice = Invoice(client=request.auth.client)
    invoice_draft_write(invoice=invoice, data=payload.model_dump(exclude_unset=True))
    return _answer(invoice, status=201)


@credit_notes_router.post("", response={201: InvoiceOut}, operation_id="credit_notes_create")
@api_write
def credit_note_create(request, payload: CreditNoteIn):
    """Create a draft credit note (negative quantities) for a finalized invoice."""
    invoice = Invoice(client=request.auth.client)
    invoice_draft_write(invoice=invoice, data=payload.model_dump(exclude_unset=True))
    return _answer(invoice, status=201)


@router.put("/{invoice_id}", response={200: InvoiceOut}, operation_id="invoices_replace")
@api_write
def invoice_replace(request, invoice_id: Number, payload: InvoiceIn):
    """Replace a draft's header fields sent and all its lines. Finalized invoices are refused."""
    invoice = _invoice(request, invoice_id)
    invoice_draft_write(invoice=invoice, data=payload.model_dump(exclude_unset=True))
    return _answer(invoice)


@router.post("/{invoice_id}/pdf", response={200: InvoiceOut}, operation_id="invoices_pdf_upload")
@api_write
def invoice_pdf_upload(request, invoice_id: Number, file: File[UploadedFile]):
    """Attach your own PDF to a draft (multipart/form-data, field `file`)."""
    invoice = _invoice(request, invoice_id)
    content = pdf_content(content=file.read(), filename=file.name or "", at=("file",))
    invoice_pdf_attach(invoice=invoice, pdf=content)
    return _answer(invoice)


@router.post("/{invoice_id}/finalize", response={200: InvoiceOut}, operation_id="invoices_finalize")
@api_write
def invoice_finalize_view(request, invoice_id: Number):
    """Number, lock and queue for transfer (as the admin's Finalize action does)."""
    invoice = _invoice(request, invoice_id)
    via = f"API token {request.auth}"  # the audit trail names the token: no person finalized it
    saved_or_problem(lambda: invoice_finalize(invoice=invoice, by=None, via=via))
    return _answer(invoice)


@router.post("/{invoice_id}/credit", response={201: InvoiceOut}, operation_id="invoices_credit")
@api_write
def invoice_credit_view(request, invoice_id: Number):
    """A draft credit note crediting every line of a finalized invoice."""
    invoice = _invoice(request, invoice_id)
    credit_note = saved_or_problem(lambda: invoice_credit(invoice=invoice, by=None))
    return _answer(credit_note, status=201)


@router.get("/{invoice_id}", response=InvoiceOut, operation_id="invoices_get")
def invoice_detail(request, invoice_id: Number):
    return _answer(_invoice(request, invoice_id))


@router.get("", response=Page[InvoiceOut], operation_id="invoices_list")
def invoice_list(request, params: Query[PageQuery], filters: Query[InvoiceFilter]):
    queryset = (
        Invoice.objects.filter(client=request.auth.client)
        .select_related(*RELATED)
        .prefetch_related(LINES)
    )
    if filters.number is not None:
        queryset = queryset.filter(number=filters.number)
    if filters.state:
        queryset = queryset.filter(state=filters.state)
    if filters.customer_number is not None:
        queryset = queryset.filter(customer__number=filters.customer_number)
    return page(queryset.order_by("-pk"), params)


@router.get(
    "/{invoice_id}/transfers", response=TransferStatusOut, operation_id="invoices_transfers"
)
def invoice_transfers(request, invoice_id: Number):
    """Transfer status: pending, succeeded with the external id, or failed with the reason."""
    return transfer_status_of(record=_invoice(request, invoice_id))
