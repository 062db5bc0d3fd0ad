"""Saving register records (customers, projects, ...): validate, save, queue the transfer.

One implementation for every register. Setup records that no connector transfers (VAT codes,
accounts, units) go through the same path, without a transfer.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction

from accounting.models import (
    ContactPerson,
    Customer,
    Department,
    Employee,
    Product,
    ProductGroup,
    Project,
    Supplier,
)
from integrations.outbox import Operation, TransferKind, transfer_enqueue

#: Register model → the transfer kind queued when one of its records is saved.
TRANSFER_KINDS: dict[type[models.Model], str] = {
    Customer: TransferKind.CUSTOMER,
    ContactPerson: TransferKind.CONTACT_PERSON,
    Project: TransferKind.PROJECT,
    Department: TransferKind.DEPARTMENT,
    Employee: TransferKind.EMPLOYEE,
    Supplier: TransferKind.SUPPLIER,
    Product: TransferKind.PRODUCT,
    ProductGroup: TransferKind.PRODUCT_GROUP,
}


def transfer_kind_for(record: models.Model) -> str | None:
    return TRANSFER_KINDS.get(type(record))


@transaction.atomic
def record_save(*, record: models.Model, by: AbstractBaseUser | None = None) -> models.Model:
    """Validate and save a register or setup record; queue its transfer in the same transaction.

    Raises ValidationError (keyed by field, messages naming the record) and saves nothing then.
    `by` is who saved it (kept for the audit trail of callers; not stored on the record).
    """
    record.full_clean()
    record.save()
    kind = transfer_kind_for(record)
    if kind is not None:
        transfer_enqueue(obj=record, kind=kind, operation=Operation.UPSERT)
    return record
