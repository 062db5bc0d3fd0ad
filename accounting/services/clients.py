"""Creating a client: the record and what every new client starts with (its VAT codes).

Admin, API and the demo create clients through client_create(); nothing happens in a signal.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from accounting.models import Client, VatCode
from accounting.vat_codes import STANDARD_VAT_CODES

from .records import record_save


@transaction.atomic
def vat_codes_create_standard(*, client: Client) -> list[VatCode]:
    """Add the standard Norwegian VAT codes the client lacks; codes it has are left as they are.

    Returns the codes created."""
    existing = set(VatCode.objects.filter(client=client).values_list("code", flat=True))
    created = []
    for code, name, rate in STANDARD_VAT_CODES:
        if code not in existing:
            created.append(record_save(record=VatCode(client=client, code=code, name=name,
                                                      rate=rate)))  # fmt: skip
    return created


@transaction.atomic
def client_create(*, client: Client, by: AbstractBaseUser | None = None) -> Client:
    """Validate and save a new client, then give it the standard VAT codes.

    Raises ValidationError (nothing saved) when the client is invalid."""
    record_save(record=client, by=by)
    vat_codes_create_standard(client=client)
    return client
