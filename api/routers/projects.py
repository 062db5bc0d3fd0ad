from accounting.models import Customer, Department, Project
from api.registers import Reference, RegisterSpec
from api.schemas.registers import ProjectIn, ProjectOut

from .registers import register_router

SPEC = RegisterSpec(
    path="projects",
    model=Project,
    schema_in=ProjectIn,
    schema_out=ProjectOut,
    key_type=str,
    references=(
        Reference("customer_number", "customer", Customer),
        Reference("department_code", "department", Department, key="code"),
    ),
    select_related=("customer", "department"),
)

router = register_router(SPEC, tag="projects")
