"""Customers with their contact persons."""

from accounting.models import ContactPerson, Customer
from accounting.services import record_save
from api.registers import RegisterSpec, saved_or_problem
from api.schemas.registers import CustomerIn, CustomerOut

from .registers import register_router


def _matching_contact(customer: Customer, data: dict) -> ContactPerson:
    existing = customer.contact_persons.all()
    if data.get("email"):
        match = existing.filter(email__iexact=data["email"]).first()
    else:
        match = existing.filter(
            first_name=data["first_name"], last_name=data["last_name"], email=""
        ).first()
    return match or ContactPerson(client_id=customer.client_id, customer=customer)


def contact_persons_upsert(customer: Customer, contacts: list[dict]) -> None:
    """Update the contact persons matched by e-mail (else by name), add the others."""
    for index, data in enumerate(contacts):
        contact = _matching_contact(customer, data)
        for name, value in data.items():
            setattr(contact, name, value)
        saved_or_problem(
            lambda contact=contact: record_save(record=contact, by=None),
            prefix=("contact_persons", index),
        )


SPEC = RegisterSpec(
    path="customers",
    model=Customer,
    schema_in=CustomerIn,
    schema_out=CustomerOut,
    nested={"contact_persons": contact_persons_upsert},
    prefetch_related=("contact_persons",),
)

router = register_router(SPEC, tag="customers")
