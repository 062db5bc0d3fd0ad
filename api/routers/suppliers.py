from accounting.models import Supplier
from api.registers import RegisterSpec
from api.schemas.registers import SupplierIn, SupplierOut

from .registers import register_router

SPEC = RegisterSpec(path="suppliers", model=Supplier, schema_in=SupplierIn, schema_out=SupplierOut)

router = register_router(SPEC, tag="suppliers")
