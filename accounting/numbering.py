"""Invoice numbers and KID (payment identifiers)."""

from django.db import transaction

from accounting.models import Client, Invoice


def invoice_number_next(*, client: Client) -> int:
    """Take the client's next free invoice number. Must run inside the finalizing transaction:
    the client row is locked, so two finalizations never get the same number."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invoice_number_next() must run inside a transaction.")
    locked = Client.objects.select_for_update().get(pk=client.pk)
    number = locked.next_invoice_number
    taken = set(
        Invoice.objects.filter(client=client, number__gte=number).values_list("number", flat=True)
    )
    while number in taken:
        number += 1
    locked.next_invoice_number = number + 1
    locked.save(update_fields=["next_invoice_number", "updated_at"])
    client.next_invoice_number = locked.next_invoice_number
    return number


def mod10_check_digit(digits: str) -> str:
    """The MOD10 (Luhn) check digit Norwegian banks use for KID numbers."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def kid_for(*, customer_number: int, invoice_number: int) -> str:
    """KID = customer number (6 digits) + invoice number (8 digits) + MOD10 check digit."""
    base = f"{customer_number:06d}{invoice_number:08d}"[-24:]
    return base + mod10_check_digit(base)
