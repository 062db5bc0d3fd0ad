"""The bad-input catalogue of CSV/XLSX imports (issue 17): files as Norwegian Excel writes them
are read; every bad cell is refused naming its column and value; nothing is half-written; the
import page never shows a traceback."""

import io
from decimal import Decimal

import openpyxl
import pytest
import tablib
from django.contrib.auth import get_user_model

from accounting.imports import EXPORT_FORMATS, EscapedCSV, SpreadsheetCSV, formula_escaped
from accounting.models import Account, Customer, Product
from accounting.resources import AccountResource, CustomerResource, ProductResource
from tests.factories import ClientFactory, CustomerFactory, VatCodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_books():
    client = ClientFactory()
    VatCodeFactory(client=client, code="3", rate=Decimal("25.00"))
    return client


def load(text: str) -> tablib.Dataset:
    return SpreadsheetCSV().create_dataset(text.encode("utf-8"))


def messages(result) -> str:
    """Every error of an import result as one text (validation and row errors)."""
    parts = [str(error.error) for _n, errors in result.row_errors() for error in errors]
    for row in result.invalid_rows:
        parts.extend(f"{field}: {m}" for field, ms in row.error_dict.items() for m in ms)
    return " | ".join(parts)


def customer_csv(org: str, rows: str) -> str:
    return "client,number,name,organization_number,country_code\n" + rows.format(org=org)


CUSTOMER_ROWS = [
    # (id, rows, column named, value named)
    ("org number ABC'; --", "{org},30001,X AS,ABC'; --,NO\n", "organization_number", "ABC"),
    (
        "org number bad check digit",
        "{org},30001,X AS,923456789,NO\n",
        "organization_number",
        "923456789",
    ),
    ("customer number not a number", "{org},tretti,X AS,,NO\n", "number", "tretti"),
    ("unknown client", "999999999,30001,X AS,,NO\n", "client", "999999999"),
    ("NUL in the name", "{org},30001,X\x00AS,,NO\n", "name", "\\x00"),
    (
        "same customer number twice",
        "{org},30001,X AS,,NO\n{org},30001,Y AS,,NO\n",
        "number",
        "Rows 1 and 2",
    ),
]


@pytest.mark.parametrize(
    ("rows", "column", "value"), [c[1:] for c in CUSTOMER_ROWS], ids=[c[0] for c in CUSTOMER_ROWS]
)
def test_bad_customer_row_is_refused_naming_column_and_value(client_books, rows, column, value):
    dataset = load(customer_csv(client_books.organization_number, rows))
    result = CustomerResource().import_data(dataset, dry_run=False)
    assert result.has_errors() or result.has_validation_errors()
    text = messages(result)
    assert column in text and value in text, text
    assert not Customer.objects.exists()


PRODUCT_ROWS = [
    ("price 1e400", "sales_price", "1e400", "sales_price"),
    ("price abc", "sales_price", "abc", "sales_price"),
    ("price -10", "sales_price", "-10", "sales_price"),
    ("VAT rate 7 %", "vat_rate", "7", "vat_rate"),
    ("active 'maybe'", "active", "maybe", "active"),
    ("unknown unit", "unit", "furlong", "unit"),
]


@pytest.mark.parametrize(
    ("column", "value", "named"), [c[1:] for c in PRODUCT_ROWS], ids=[c[0] for c in PRODUCT_ROWS]
)
def test_bad_product_cell_is_refused_naming_column_and_value(client_books, column, value, named):
    row = {
        "client": client_books.organization_number,
        "code": "A1",
        "name": "Bolt",
        "type": "goods",
        "sales_price": "12.50",
        "vat_rate": "25",
        "active": "ja",
        column: value,
    }
    dataset = tablib.Dataset(headers=list(row))
    dataset.append(list(row.values()))
    result = ProductResource().import_data(dataset, dry_run=False)
    text = messages(result)
    assert named in text and value in text.lower().replace("+", ""), text
    assert not Product.objects.exists()


def test_eight_digit_account_number_is_refused(client_books):
    dataset = load(
        f"client,number,name,active\n{client_books.organization_number},30000000,Salg,ja\n"
    )
    result = AccountResource().import_data(dataset, dry_run=False)
    assert "30000000" in messages(result)
    assert not Account.objects.exists()


@pytest.mark.parametrize(
    ("word", "stored"),
    [("ja", True), ("Nei", False), ("yes", True), ("NO", False), ("true", True), ("0", False)],
)
def test_booleans_in_norwegian_and_english_are_read(client_books, word, stored):
    dataset = load(
        f"client,number,name,active\n{client_books.organization_number},3000,Salg,{word}\n"
    )
    result = AccountResource().import_data(dataset, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors(), messages(result)
    assert Account.objects.get().active is stored


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ";"), ("cp1252", ";"), ("cp1252", ",")],
)
def test_norwegian_excel_csv_is_read(client_books, encoding, delimiter):
    org = client_books.organization_number
    text = delimiter.join(["client", "number", "name", "city"]) + "\r\n"
    text += delimiter.join([org, "30001", "Blåbær og Ørret AS", "Tromsø"]) + "\r\n"
    dataset = SpreadsheetCSV().create_dataset(text.encode(encoding))
    result = CustomerResource().import_data(dataset, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors(), messages(result)
    assert Customer.objects.get().name == "Blåbær og Ørret AS"


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_superuser("imp", "imp@example.com", "pw")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "content",
    [
        "client;number;name\n{org};30001;Fjord AS\n{org};30001;Fjord AS\n".encode("cp1252"),
        b"client;number;price\n{org};1;1e400\n",
        b"\xff\xfe\x00garbage",
    ],
    ids=["duplicate keys, cp1252, semicolons", "unreadable amount", "binary garbage"],
)
def test_import_page_never_shows_a_traceback(staff, client_books, content):
    content = content.replace(b"{org}", client_books.organization_number.encode())
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("kunder.csv", content, content_type="text/csv")
    response = staff.post(
        "/admin/accounting/customer/import/",
        {"import_file": upload, "format": "0", "resource": "0"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Traceback" not in html and 'File "' not in html
    assert not Customer.objects.exists()


def test_duplicate_rows_on_the_import_page_name_both_rows(staff, client_books):
    from django.core.files.uploadedfile import SimpleUploadedFile

    org = client_books.organization_number
    content = f"client;number;name\n{org};30001;Fjord AS\n{org};30001;Fjell AS\n".encode("cp1252")
    upload = SimpleUploadedFile("kunder.csv", content, content_type="text/csv")
    response = staff.post(
        "/admin/accounting/customer/import/",
        {"import_file": upload, "format": "0", "resource": "0"},
    )
    assert "Rows 1 and 2" in response.content.decode()


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-10.00", "-10.00"),
        ("Fjord AS", "Fjord AS"),
    ],
)
def test_formula_leading_cells_are_escaped(cell, written):
    assert formula_escaped(cell) == written


def test_customer_export_escapes_a_formula_name(client_books):
    CustomerFactory(client=client_books, name='=HYPERLINK("http://evil","x")')
    for export_format in EXPORT_FORMATS:
        data = export_format().export_data(CustomerResource().export())
        if export_format is EscapedCSV:
            assert "'=HYPERLINK" in data and ",=HYPERLINK" not in data
        else:
            sheet = openpyxl.load_workbook(io.BytesIO(data)).active
            names = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
            assert names == ['\'=HYPERLINK("http://evil","x")']
