"""The seeded state of the Azets sandbox: org units of the Visma company and an expense feed
with accounts on both sides of 4000, an unknown project and billability values 1, 2 and 3 in
several organisational units (NOTES §5)."""

from __future__ import annotations

ORG_UNITS = [
    {"no": 1, "name": "Avdeling", "valueType": "integer"},
    {"no": 2, "name": "Fakturerbar", "valueType": "integer"},
    {"no": 3, "name": "Prosjekt", "valueType": "integer"},
    {"no": 4, "name": "Fakturerbar 2", "valueType": "integer"},
    {"no": 8, "name": "Prosjektkode", "valueType": "text"},
]
REPORTS = ["Standard", "Prosjektbilag"]


def _expense(no, day, account, project, amount, org_units, supplier="Kontorrekvisita AS"):
    return {
        "expenseId": f"AZ-EXP-{no:04d}",
        "voucherNo": str(60000 + no),
        "voucherDate": f"2025-01-{day:02d}",
        "accountNo": str(account),
        "projectNo": project,
        "description": f"Expense {no} on {account}",
        "amountInclVat": amount,
        "currency": "NOK",
        "supplierName": supplier,
        "supplierInvoiceNo": f"INV-{no}",
        "orgUnits": org_units,
        "attachments": [],
    }


def seed_expenses() -> list[dict]:
    return [
        _expense(1, 10, 6800, "200", "1250.00", {"1": "10", "2": "1", "4": "2"}),
        _expense(2, 11, 7140, "200", "399.50", {"1": "10", "2": "2", "4": "1"}),
        _expense(3, 12, 6540, "200", "820.00", {"1": "10", "2": "3", "4": "1"}),
        _expense(4, 13, 4000, "201", "5000.00", {"2": "1", "4": "1"}),
        _expense(5, 14, 3000, "200", "100.00", {"2": "1"}, supplier="Not a cost"),
        _expense(6, 15, 6800, "999", "75.00", {"2": "1"}, supplier="Unknown project"),
        _expense(7, 16, 6300, "201", "2200.00", {"2": "1", "8": "1"}),
    ]
