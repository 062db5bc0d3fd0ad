from accounting.models import Product, ProductGroup, Unit
from api.registers import Reference, RegisterSpec
from api.schemas.registers import ProductIn, ProductOut

from .registers import register_router

SPEC = RegisterSpec(
    path="products",
    model=Product,
    schema_in=ProductIn,
    schema_out=ProductOut,
    key_field="code",
    key_type=str,
    references=(
        Reference("group_number", "group", ProductGroup),
        Reference("unit_code", "unit", Unit, key="code"),
    ),
    select_related=("group", "unit"),
)

router = register_router(SPEC, tag="products")
