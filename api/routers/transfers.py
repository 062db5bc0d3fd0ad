"""Transfer status of any object, by kind and our number."""

from ninja import Query, Router, Schema

from api.responses import page
from api.schemas.common import Page, PageQuery, TransferOut
from api.selectors import transfers_of_client

router = Router(tags=["transfers"])


class TransferFilter(Schema):
    kind: str | None = None
    number: str | None = None
    status: str | None = None


@router.get("", response=Page[TransferOut], operation_id="transfers_list")
def transfer_list(request, params: Query[PageQuery], filters: Query[TransferFilter]):
    """Your client's transfers, newest first; filter by kind (customer, invoice, …), our number
    and status (pending, succeeded, failed, …)."""
    queryset = transfers_of_client(client=request.auth.client)
    for name in ("kind", "status"):
        if getattr(filters, name):
            queryset = queryset.filter(**{name: getattr(filters, name)})
    if filters.number:
        queryset = queryset.filter(object_number=filters.number)
    return page(queryset.order_by("-created_at", "-pk"), params)
