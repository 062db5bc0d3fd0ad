"""Accounts of the account plan with their external VAT codes (not transferred themselves)."""

from accounting.models import Account, VatCode
from api.registers import Reference, RegisterSpec
from api.schemas.registers import AccountIn, AccountOut

from .registers import register_router

SPEC = RegisterSpec(
    path="accounts",
    model=Account,
    schema_in=AccountIn,
    schema_out=AccountOut,
    references=(Reference("vat_code", "vat_code", VatCode, key="code"),),
    select_related=("vat_code",),
)

router = register_router(SPEC, tag="accounts")
