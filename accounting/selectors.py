"""Read paths shared by the admin, exporters, imports and batches."""

from collections.abc import Iterable

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, QuerySet

from accounting.models import Account, Client, Invoice, Project


def clients_matching(*, reference: str) -> list[Client]:
    """Clients a person may mean by `reference`: its id, organization number or exact name (in
    that order of precedence; the first kind that matches wins)."""
    reference = reference.strip()
    clients = Client.objects.all()
    for lookup in (
        {"pk": int(reference)} if reference.isdigit() and len(reference) < 9 else None,
        {"organization_number": reference.replace(" ", "")},
        {"name__iexact": reference},
    ):
        if lookup and (matches := list(clients.filter(**lookup))):
            return matches
    return []


def accounts_missing_vat_code(*, client: Client) -> QuerySet[Account]:
    """Accounts without an external VAT code: invoice lines on them cannot be transferred."""
    return Account.objects.filter(client=client, external_vat_code="").order_by("number")


def accounts_used_without_vat_code(*, invoice: Invoice) -> QuerySet[Account]:
    """The accounts of an invoice's lines that lack an external VAT code."""
    return Account.objects.filter(invoice_lines__invoice=invoice, external_vat_code="").distinct()


def invoices_finalized(
    *, client: Client, numbers: Iterable[int] | None = None
) -> QuerySet[Invoice]:
    """Finalized invoices and credit notes of a client, optionally only the given numbers."""
    queryset = Invoice.objects.filter(client=client, state=Invoice.State.FINALIZED)
    if numbers is not None:
        queryset = queryset.filter(number__in=list(numbers))
    return queryset.select_related(
        "customer", "project", "department", "credited_invoice"
    ).order_by("number")


def invoices_pending_transfer(*, client: Client) -> QuerySet[Invoice]:
    """Finalized invoices of a client that no transfer has delivered yet (none succeeded)."""
    transfer_model = apps.get_model("integrations", "Transfer")
    delivered = transfer_model.objects.filter(
        content_type=ContentType.objects.get_for_model(Invoice),
        object_id=OuterRef("pk"),
        status="succeeded",
    )
    return invoices_finalized(client=client).filter(~Exists(delivered))


def projects_by_number(*, client: Client, numbers: Iterable[str]) -> dict[str, Project]:
    """Projects of a client keyed by number (imports only keep expenses on known projects)."""
    return {p.number: p for p in Project.objects.filter(client=client, number__in=list(numbers))}
