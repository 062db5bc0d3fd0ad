from accounting.models import Department, Employee
from api.registers import Reference, RegisterSpec
from api.schemas.registers import DepartmentIn, DepartmentOut

from .registers import register_router

SPEC = RegisterSpec(
    path="departments",
    model=Department,
    schema_in=DepartmentIn,
    schema_out=DepartmentOut,
    key_field="code",
    key_type=str,
    references=(Reference("manager_number", "manager", Employee),),
    select_related=("manager",),
)

router = register_router(SPEC, tag="departments")
