"""Sales orders: marking one invoiced numbers it and queues its draft for the accounting system."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.exceptions import AccountingError
from accounting.models import SalesOrder
from accounting.numbering import invoice_number_next
from accounting.references import DocumentKind, document_reference
from integrations.outbox import Operation, TransferKind, transfer_enqueue


@transaction.atomic
def sales_order_mark_invoiced(
    *, order: SalesOrder, by: AbstractBaseUser | None = None
) -> SalesOrder:
    """Mark an order invoiced: give it the next invoice number and queue its sales-order draft
    (TransferKind.SALES_ORDER, created once). Marking it again changes and queues nothing.

    Raises AccountingError naming the order when it has no lines.
    """
    order = SalesOrder.objects.select_for_update().get(pk=order.pk)
    if order.is_invoiced:
        return order
    if not order.lines.exists():
        raise AccountingError(_("it has no lines to invoice."), record=order, field="lines")
    order.full_clean()
    order.invoice_number = order.invoice_number or invoice_number_next(client=order.client)
    order.transfer_reference = order.transfer_reference or document_reference(
        client=order.client, kind=DocumentKind.SALES_ORDER, number=order.number
    )
    order.state = SalesOrder.State.INVOICED
    order.invoiced_at = timezone.now()
    order.save(
        update_fields=["invoice_number", "transfer_reference", "state", "invoiced_at", "updated_at"]
    )
    transfer_enqueue(obj=order, kind=TransferKind.SALES_ORDER, operation=Operation.CREATE)
    return order
