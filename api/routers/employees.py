from accounting.models import Department, Employee
from api.registers import Reference, RegisterSpec
from api.schemas.registers import EmployeeIn, EmployeeOut

from .registers import register_router

SPEC = RegisterSpec(
    path="employees",
    model=Employee,
    schema_in=EmployeeIn,
    schema_out=EmployeeOut,
    references=(Reference("department_code", "department", Department, key="code"),),
    select_related=("department",),
)

router = register_router(SPEC, tag="employees")
