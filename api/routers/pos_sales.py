"""POS sales paid "on invoice" at the till: record one, read them back, see where each stands.

Recording calls pos.services.pos_sale_record, the same service as the admin and the bulk import;
the nightly POS batch sends the sale to PowerOffice Go as a sales order.
"""

from typing import Annotated, Literal

from ninja import Field, Query, Router

from api.idempotency import api_write
from api.registers import saved_or_problem
from api.responses import page, respond
from api.schemas.common import Number, Page, PageQuery, QueryIn
from api.schemas.pos import PosSaleIn, PosSaleOut, PosSaleTransferStatusOut
from api.selectors import record_of_client_or_404, transfers_of_record
from pos.models import PosSale
from pos.services import pos_sale_record

router = Router(tags=["pos sales"])
SaleNumber = Annotated[str, Field(max_length=40)]

#: PosError fields of pos_sale_record → the document's fields they point at.
RENAME = {
    "customer": "customer_number",
    "quantity": "lines",
    "amount_incl_vat": "lines",
    "vat_rate": "lines",
}


class PosSaleFilter(QueryIn):
    status: Literal["unsent", "sent", "failed"] | None = None
    till: str | None = Field(None, max_length=60)
    customer_number: Number | None = None


def _sale(request, number: str) -> PosSale:
    return record_of_client_or_404(
        PosSale, client=request.auth.client, select_related=("customer", "batch"), number=number
    )


@router.post("", response={200: PosSaleOut, 201: PosSaleOut}, operation_id="pos_sales_create")
@api_write
def pos_sale_create(request, payload: PosSaleIn):
    """Record one sale (201). A sale number already recorded returns the stored sale (200),
    unchanged: a sale is recorded once."""
    client = request.auth.client
    data = payload.model_dump()
    sale, created = saved_or_problem(
        lambda: pos_sale_record(client=client, data=data), rename=RENAME
    )
    return respond(PosSaleOut.from_orm(_sale(request, sale.number)), status=201 if created else 200)


@router.get("/{number}", response=PosSaleOut, operation_id="pos_sales_get")
def pos_sale_detail(request, number: SaleNumber):
    return _sale(request, number)


@router.get("", response=Page[PosSaleOut], operation_id="pos_sales_list")
def pos_sale_list(request, params: Query[PageQuery], filters: Query[PosSaleFilter]):
    """Your client's POS sales, newest first; filter by status (unsent, sent, failed), till or
    invoice customer number."""
    queryset = PosSale.objects.filter(client=request.auth.client).select_related("customer")
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.till:
        queryset = queryset.filter(till=filters.till)
    if filters.customer_number is not None:
        queryset = queryset.filter(customer__number=filters.customer_number)
    return page(queryset.prefetch_related("lines").order_by("-sold_at", "-pk"), params)


@router.get(
    "/{number}/transfers", response=PosSaleTransferStatusOut, operation_id="pos_sales_transfers"
)
def pos_sale_transfers(request, number: SaleNumber):
    """Unsent, sent with the PowerOffice Go sales order id, or failed with the reason; and the
    transfers of the nightly batch that carried the sale."""
    sale = _sale(request, number)
    batch = sale.batch
    return {
        "status": sale.status,
        "external_id": sale.external_id,
        "reason": sale.error,
        "sent_at": sale.sent_at,
        "batch_date": batch.business_date if batch else None,
        "transfers": transfers_of_record(record=batch) if batch else [],
    }
