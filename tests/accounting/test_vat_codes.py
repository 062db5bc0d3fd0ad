"""A new client's standard VAT codes, their import/export, and an account's two VAT fields."""

from decimal import Decimal

import pytest
import tablib
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounting.imports import SpreadsheetCSV
from accounting.models import Account, Client, VatCode
from accounting.resources import AccountResource, VatCodeResource
from accounting.services import client_create, record_save, vat_codes_create_standard
from accounting.vat_codes import STANDARD_VAT_CODES
from tests.factories import AccountFactory, ClientFactory, VatCodeFactory

pytestmark = pytest.mark.django_db


def rates(client) -> dict[str, Decimal]:
    return dict(VatCode.objects.filter(client=client).values_list("code", "rate"))


def new_client(**values) -> Client:
    return client_create(client=Client(**{"name": "Ny Kunde AS",
                                          "organization_number": "923456783", **values}))


def csv_import(resource, text: str, **kwargs):
    dataset = SpreadsheetCSV().create_dataset(text.encode("utf-8"))
    return resource.import_data(dataset, dry_run=False, **kwargs)


def import_messages(result) -> list[str]:
    found = [str(e.error) for _n, errors in result.row_errors() for e in errors]
    for invalid in result.invalid_rows:
        found += [m for messages in invalid.error_dict.values() for m in messages]
    return found


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client


class TestStandardCodesForANewClient:
    def test_a_new_client_has_the_saft_standard_codes_with_their_rates(self):
        client = new_client()
        found = rates(client)
        assert len(found) == len(STANDARD_VAT_CODES) == 30
        assert found["3"] == Decimal("25.00")
        assert found["31"] == Decimal("15.00")
        assert found["33"] == Decimal("12.00")
        assert found["32"] == Decimal("11.11")
        assert {found[c] for c in ("0", "5", "51", "52", "6")} == {Decimal("0.00")}
        assert VatCode.objects.get(client=client, code="1").name.startswith("Fradrag")

    def test_codes_a_client_already_has_are_left_as_they_are(self):
        client = ClientFactory()
        VatCodeFactory(client=client, code="3", name="Our own", rate=Decimal("25"))
        created = vat_codes_create_standard(client=client)
        assert len(created) == 29
        assert VatCode.objects.get(client=client, code="3").name == "Our own"
        assert vat_codes_create_standard(client=client) == []

    def test_an_invalid_client_is_refused_and_gets_no_codes(self):
        with pytest.raises(ValidationError) as excinfo:
            new_client(organization_number="123")
        assert "organization_number" in excinfo.value.message_dict
        assert not VatCode.objects.exists()

    def test_other_clients_codes_are_untouched(self):
        other = ClientFactory()
        VatCodeFactory(client=other, code="3")
        new_client()
        assert list(VatCode.objects.filter(client=other).values_list("code", flat=True)) == ["3"]

    def test_a_client_added_in_the_admin_has_the_codes(self, superuser_client):
        response = superuser_client.post(
            reverse("admin:accounting_client_add"),
            {"name": "Admin Ny AS", "organization_number": "923 456 783", "active": "on",
             "next_invoice_number": 10001, "invoice_language": "nb"},
        )  # fmt: skip
        assert response.status_code == 302, response.content.decode()[:3000]
        client = Client.objects.get(organization_number="923456783")
        assert rates(client)["3"] == Decimal("25.00")

    def test_the_demo_client_has_the_codes(self):
        from accounting.demo import demo_setup

        client = demo_setup().client
        assert len(rates(client)) == 30
        assert Account.objects.get(client=client, number=3000).external_vat_code == "3"


class TestVatCodeImportExport:
    def test_import_creates_and_updates_codes_by_client_and_code(self):
        client = new_client()
        result = csv_import(
            VatCodeResource(),
            "client;code;name;rate\n"
            f"{client.organization_number};3;Utgående mva, høy;25\n"
            f"{client.organization_number};99;Særskilt kode;11.11\n",
        )
        assert not result.has_errors() and not result.has_validation_errors()
        assert VatCode.objects.get(client=client, code="3").name == "Utgående mva, høy"
        assert rates(client)["99"] == Decimal("11.11")

    def test_a_bad_rate_names_the_row_and_saves_nothing(self):
        client = new_client()
        result = csv_import(
            VatCodeResource(),
            "client;code;name;rate\n"
            f"{client.organization_number};98;Ok;0\n"
            f"{client.organization_number};99;Too much;125\n",
        )
        assert result.has_validation_errors()
        assert not VatCode.objects.filter(client=client, code__in=["98", "99"]).exists()

    def test_export_lists_the_client_by_organization_number(self):
        client = new_client()
        dataset = VatCodeResource().export(VatCode.objects.filter(client=client, code="31"))
        assert dataset.headers == ["client", "code", "name", "rate"]
        assert list(dataset[0])[:2] == ["923456783", "31"] and "15" in str(dataset[0][3])


class TestAccountImportForANewClient:
    def test_semicolon_csv_with_standard_vat_codes_imports(self):
        client = new_client()
        result = csv_import(
            AccountResource(),
            "client;number;name;external_vat_code;vat_code;active\n"
            f"{client.organization_number};3000;Salgsinntekt, avgiftspliktig;3;3;ja\n"
            f"{client.organization_number};3100;Salgsinntekt, avgiftsfri;;5;ja\n"
            f"{client.organization_number};4000;Varekjøp;1;;ja\n",
        )
        assert not result.has_errors() and not result.has_validation_errors(), (
            import_messages(result))
        accounts = {a.number: a for a in Account.objects.filter(client=client)}
        assert (accounts[3000].vat_code.rate, accounts[3000].external_vat_code) == (
            Decimal("25.00"), "3")
        assert accounts[3100].external_vat_code == "5"  # taken from the VAT code
        assert accounts[4000].vat_code.code == "1"  # found from the external VAT code

    def test_an_unknown_vat_code_names_the_column_and_value(self):
        client = new_client()
        result = csv_import(
            AccountResource(),
            "client;number;name;external_vat_code;vat_code;active\n"
            f"{client.organization_number};3000;Salg;;77;ja\n",
        )
        text = " ".join(import_messages(result))
        assert "there is no VAT code '77' for this client" in text
        assert "matching query does not exist" not in text
        assert not Account.objects.filter(client=client).exists()

    def test_contradicting_vat_fields_refuse_the_file(self):
        client = new_client()
        result = csv_import(
            AccountResource(),
            "client;number;name;external_vat_code;vat_code;active\n"
            f"{client.organization_number};3000;Salg;31;3;ja\n",
        )
        text = " ".join(import_messages(result))
        assert "Account 3000: external VAT code 31 contradicts VAT code 3" in text
        assert not Account.objects.filter(client=client).exists()


class TestAccountVatFieldsAgree:
    def test_different_codes_are_refused_naming_record_and_field(self):
        account = AccountFactory(number=3000, external_vat_code="")
        account.external_vat_code = "31"
        with pytest.raises(ValidationError) as excinfo:
            record_save(record=account)
        assert excinfo.value.message_dict["external_vat_code"] == [
            "Account 3000: external VAT code 31 contradicts VAT code 3; give the same code in "
            "both, or leave one empty."
        ]

    def test_an_empty_external_code_takes_the_vat_codes(self):
        account = AccountFactory(number=3000, external_vat_code="")
        record_save(record=account)
        account.refresh_from_db()
        assert account.external_vat_code == "3"

    def test_an_empty_vat_code_is_found_from_the_external_code(self):
        client = ClientFactory()
        VatCodeFactory(client=client, code="31", rate=Decimal("15"))
        account = record_save(record=Account(client=client, number=3030, name="Salg middels",
                                             external_vat_code="31"))  # fmt: skip
        assert account.vat_code.rate == Decimal("15.00")

    def test_an_external_code_the_client_lacks_leaves_the_vat_code_empty(self):
        client = ClientFactory()
        account = record_save(record=Account(client=client, number=3030, name="Salg",
                                             external_vat_code="31"))  # fmt: skip
        assert account.vat_code is None and account.external_vat_code == "31"

    def test_the_admin_form_shows_the_contradiction_on_the_field(self, superuser_client):
        account = AccountFactory(number=3000)
        other = VatCodeFactory(client=account.client, code="31", rate=Decimal("15"))
        response = superuser_client.post(
            reverse("admin:accounting_account_change", args=[account.pk]),
            {"client": account.client.pk, "number": 3000, "name": "Salg",
             "external_vat_code": "3", "vat_code": other.pk, "active": "on"},
        )  # fmt: skip
        assert response.status_code == 200
        assert "external VAT code 3 contradicts VAT code 31" in response.content.decode()
        account.refresh_from_db()
        assert account.vat_code.code == "3"


class TestImportPageHelp:
    def test_the_import_page_explains_each_column(self, superuser_client):
        response = superuser_client.get(reverse("admin:accounting_account_import"))
        content = response.content.decode()
        assert "The client&#x27;s organization number (9 digits)." in content
        assert "<code>vat_code</code>" in content and "standard Norwegian codes" in content

    def test_vat_codes_have_an_import_page(self, superuser_client):
        response = superuser_client.get(reverse("admin:accounting_vatcode_import"))
        assert response.status_code == 200
        assert "<code>rate</code>" in response.content.decode()


def test_dataset_helper_round_trip():
    """The export of one client's codes imports again unchanged (no new or changed codes)."""
    client = new_client()
    exported = VatCodeResource().export(VatCode.objects.filter(client=client))
    before = rates(client)
    result = VatCodeResource().import_data(tablib.Dataset().load(exported.csv, format="csv"),
                                           dry_run=False)  # fmt: skip
    assert not result.has_errors() and not result.has_validation_errors()
    assert rates(client) == before
