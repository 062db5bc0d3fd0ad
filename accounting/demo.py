"""The demo data set: one demo client to click through. Idempotent: records are looked up by
their natural keys (client + number/code) and only created when missing.

Other apps add their own demo pieces in `<app>/demo.py` with an idempotent
`demo_load(*, client)` (or `demo_load()`); demo_setup() calls them after the accounting data,
in INSTALLED_APPS order. What they return (lines of text) is printed by the command.
"""

import inspect
import os
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from importlib import import_module

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.module_loading import module_has_submodule

from accounting.models import Account, Client, Customer, Department, Invoice, Project, VatCode
from accounting.services import (
    client_create,
    invoice_credit,
    invoice_finalize,
    invoice_line_save,
    invoice_save,
    record_save,
    vat_codes_create_standard,
)

DEMO_ORGANIZATION_NUMBER = "999000118"
DEMO_ADMIN_USERNAME = "admin"
#: Documented demo default; set DEMO_ADMIN_PASSWORD to choose another. Never used in production.
DEMO_ADMIN_DEFAULT_PASSWORD = "ledgerbridge-demo"

# (number, name, VAT code): the client's standard VAT codes (services.client_create) are used;
# an account's external VAT code follows its VAT code. 3900 is left without one to show the
# warning list.
ACCOUNTS = [
    (3000, "Salgsinntekt, avgiftspliktig", "3"),
    (3030, "Salgsinntekt, middels sats", "31"),
    (3033, "Salgsinntekt, lav sats", "33"),
    (3100, "Salgsinntekt, avgiftsfri", "5"),
    (3200, "Salgsinntekt, utenfor avgiftsområdet", "6"),
    (3900, "Annen driftsrelatert inntekt", None),
    (4000, "Innkjøp av råvarer og halvfabrikata", "1"),
    (6800, "Kontorrekvisita", "1"),
    (7140, "Reisekostnad, ikke oppgavepliktig", "0"),
]
DEPARTMENTS = [("10", "Rådgivning"), ("20", "Utvikling")]
# (number, name, organization number, e-mail, city, country, delivery method)
CUSTOMERS = [
    (10001, "Nordlys Bakeri AS", "911111128", "post@nordlys.example", "Tromsø", "NO", "email"),
    (
        10002,
        "Fjellvent Eiendom AS",
        "922222231",
        "faktura@fjellvent.example",
        "Bergen",
        "NO",
        "ehf",
    ),
    (
        10003,
        "Skärgård Konsult AB",
        "5566778899",
        "info@skargard.example",
        "Göteborg",
        "SE",
        "print",
    ),
]
# (number, name, customer, department, expenses billable)
PROJECTS = [
    ("P-1001", "Nytt kassesystem", 10001, "10", "inherit"),
    ("P-1002", "Energiråd 2026", 10002, "20", "yes"),
]
# (number, customer, project, date, [(description, account, quantity, unit price)])
INVOICES = [
    (10001, 10001, "P-1001", date(2026, 3, 2), [
        ("Rådgivning, februar", 3000, "12.5", "1250.00"),
        ("Kurs: kassesystem", 3100, "1", "4500.00"),
    ]),
    (10002, 10002, "P-1002", date(2026, 3, 9), [
        ("Energikartlegging", 3000, "8", "1450.00"),
        ("Reise (viderefakturert)", 3030, "1", "899.00"),
    ]),
]  # fmt: skip
CREDIT_NOTE_NUMBER = 10003


@dataclass
class DemoResult:
    client: Client
    admin_username: str
    admin_password: str
    lines: list[str] = field(default_factory=list)


def _save_new(model, lookup: dict, values: dict):
    """The record matching `lookup`, created (through record_save) if missing."""
    existing = model.objects.filter(**lookup).first()
    return existing or record_save(record=model(**lookup, **values))


def _account_plan(client: Client) -> None:
    vat_codes_create_standard(client=client)  # a demo client made before they existed
    for number, name, vat_code in ACCOUNTS:
        vat = VatCode.objects.get(client=client, code=vat_code) if vat_code else None
        _save_new(Account, {"client": client, "number": number}, {"name": name, "vat_code": vat})


def _registers(client: Client) -> None:
    for code, name in DEPARTMENTS:
        _save_new(Department, {"client": client, "code": code}, {"name": name})
    for number, name, org, email, city, country, method in CUSTOMERS:
        values = {
            "name": name, "organization_number": org, "email": email, "invoice_email": email,
            "city": city, "country_code": country, "invoice_delivery_method": method,
        }  # fmt: skip
        _save_new(Customer, {"client": client, "number": number}, values)
    for number, name, customer, department, billable in PROJECTS:
        values = {
            "name": name, "owner_email": "prosjekt@demo.example", "expenses_billable": billable,
            "customer": Customer.objects.get(client=client, number=customer),
            "department": Department.objects.get(client=client, code=department),
        }  # fmt: skip
        _save_new(Project, {"client": client, "number": number}, values)


def _invoices(client: Client, by) -> None:
    for number, customer, project, invoice_date, lines in INVOICES:
        if Invoice.objects.filter(client=client, number=number).exists():
            continue
        invoice = invoice_save(
            invoice=Invoice(
                client=client, number=number, invoice_date=invoice_date,
                customer=Customer.objects.get(client=client, number=customer),
                project=Project.objects.get(client=client, number=project),
                description=f"Demo invoice {number}", your_reference="Demo",
            ),
            by=by,
        )  # fmt: skip
        for description, account, quantity, price in lines:
            account_obj = Account.objects.get(client=client, number=account)
            line = invoice.lines.model(invoice=invoice, client=client, description=description,
                                       account=account_obj, quantity=Decimal(quantity),
                                       unit_price=Decimal(price))  # fmt: skip
            invoice_line_save(line=line)
        invoice_finalize(invoice=invoice, by=by)
    if not Invoice.objects.filter(client=client, number=CREDIT_NOTE_NUMBER).exists():
        credit_note = invoice_credit(
            invoice=Invoice.objects.get(client=client, number=10002), by=by
        )
        credit_note.number = CREDIT_NOTE_NUMBER
        invoice_finalize(invoice=invoice_save(invoice=credit_note, by=by), by=by)


def _admin_user() -> tuple:
    user_model = get_user_model()
    password = os.environ.get("DEMO_ADMIN_PASSWORD") or DEMO_ADMIN_DEFAULT_PASSWORD
    user, created = user_model.objects.get_or_create(
        username=DEMO_ADMIN_USERNAME, defaults={"is_staff": True, "is_superuser": True}
    )
    if created or os.environ.get("DEMO_ADMIN_PASSWORD"):
        user.set_password(password)
        user.save()
    return user, password


def _other_apps_demo(client: Client) -> list[str]:
    lines: list[str] = []
    for app_config in apps.get_app_configs():
        if app_config.name == "accounting" or not module_has_submodule(app_config.module, "demo"):
            continue
        loader = getattr(import_module(f"{app_config.name}.demo"), "demo_load", None)
        if loader is None:
            continue
        takes_client = "client" in inspect.signature(loader).parameters
        produced = loader(client=client) if takes_client else loader()
        lines.extend(produced or [])
    return lines


@transaction.atomic
def demo_setup() -> DemoResult:
    """Create (or complete) the demo client, its books and the admin user; then other apps' demo."""
    user, password = _admin_user()
    client = Client.objects.filter(organization_number=DEMO_ORGANIZATION_NUMBER).first()
    client = client or client_create(
        client=Client(
            name="Demo Rådgivning AS", organization_number=DEMO_ORGANIZATION_NUMBER,
            address_line1="Storgata 1", postcode="0155", city="Oslo", bank_account="1503.12.34567",
        )
    )
    _account_plan(client)
    _registers(client)
    _invoices(client, user)
    result = DemoResult(client=client, admin_username=user.username, admin_password=password)
    result.lines = _other_apps_demo(client)
    return result
