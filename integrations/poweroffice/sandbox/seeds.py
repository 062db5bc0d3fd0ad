"""What every emulated PowerOffice Go client starts with: a Norwegian chart of accounts
excerpt, the standard VAT codes, sub-ledger number series and the integration's privileges."""

# Ids of VAT codes are PowerOffice's own (int); Code is what accountants see.
VAT_CODES = [
    {
        "Id": 1,
        "Code": "0",
        "Name": "No VAT",
        "Rate": 0.0,
        "IsActive": True,
        "ValidFrom": "2000-01-01",
    },
    {
        "Id": 3,
        "Code": "3",
        "Name": "Output VAT, standard rate",
        "Rate": 25.0,
        "IsActive": True,
        "ValidFrom": "2000-01-01",
    },
    {
        "Id": 5,
        "Code": "5",
        "Name": "No output VAT, exempt",
        "Rate": 0.0,
        "IsActive": True,
        "ValidFrom": "2000-01-01",
    },
    {
        "Id": 6,
        "Code": "6",
        "Name": "Outside the VAT act",
        "Rate": 0.0,
        "IsActive": True,
        "ValidFrom": "2000-01-01",
    },
    {
        "Id": 31,
        "Code": "31",
        "Name": "Output VAT, middle rate",
        "Rate": 15.0,
        "IsActive": True,
        "ValidFrom": "2000-01-01",
    },
    {
        "Id": 33,
        "Code": "33",
        "Name": "Output VAT, low rate",
        "Rate": 12.0,
        "IsActive": True,
        "ValidFrom": "2000-01-01",
    },
    {
        "Id": 1001,
        "Code": "1",
        "Name": "Input VAT, standard rate",
        "Rate": 25.0,
        "IsActive": True,
        "ValidFrom": "2000-01-01",
    },
]

ACCOUNTS = [
    {"AccountNo": number, "Name": name, "IsActive": True, "VatCode": vat}
    for number, name, vat in (
        (1500, "Accounts receivable", None),
        (1920, "Bank deposits", None),
        (2400, "Accounts payable", None),
        (2700, "Output VAT, standard rate", None),
        (2701, "Output VAT, middle rate", None),
        (2702, "Output VAT, low rate", None),
        (3000, "Sales revenue, taxable", "3"),
        (3030, "Sales revenue, taxable, middle rate", "31"),
        (3033, "Sales revenue, taxable, low rate", "33"),
        (3100, "Sales revenue, exempt", "5"),
        (3200, "Sales revenue, outside the VAT act", "6"),
        (4000, "Purchase of goods", "1"),
        (6300, "Rent", "1"),
        (7770, "Bank charges", "0"),
    )
]

NUMBER_SERIES = [
    {
        "Id": "6a1f0c2e-0000-4000-8000-00000000c001",
        "Name": "Customers",
        "SubLedgerNumberSeriesType": "Customer",
        "FromInclusive": 10000,
        "ToInclusive": 19999,
        "IsDefault": True,
        "IsClientTrust": False,
        "GeneralLedgerAccountNo": 1500,
        "GeneralLedgerAccountId": 1001,
    },
    {
        "Id": "6a1f0c2e-0000-4000-8000-00000000c002",
        "Name": "Suppliers",
        "SubLedgerNumberSeriesType": "Supplier",
        "FromInclusive": 20000,
        "ToInclusive": 29999,
        "IsDefault": True,
        "IsClientTrust": False,
        "GeneralLedgerAccountNo": 2400,
        "GeneralLedgerAccountId": 1003,
    },
    {
        "Id": "6a1f0c2e-0000-4000-8000-00000000c003",
        "Name": "Employees",
        "SubLedgerNumberSeriesType": "Employee",
        "FromInclusive": 1,
        "ToInclusive": 9999,
        "IsDefault": True,
        "IsClientTrust": False,
        "GeneralLedgerAccountNo": 2930,
        "GeneralLedgerAccountId": 0,
    },
]

# Everything the Ledgerbridge flows use; a client configured in the sandbox may hold fewer.
PRIVILEGES = [
    "AccountTransaction",
    "CommonServices",
    "ContactGroup_Full",
    "ContactPerson_Full",
    "CustomerLedger",
    "Customer_Full",
    "Department_Full",
    "Employee_Full",
    "GeneralLedgerAccount_Full",
    "ManualVoucher_Full",
    "OutgoingInvoiceVoucher_Full",
    "Product_Full",
    "Project_Full",
    "SalesOrders_Full",
    "SupplierLedger",
    "Supplier_Full",
    "VoucherDocumentation_Full",
]
