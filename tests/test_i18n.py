"""Norwegian bokmål for Norwegian users, English for the rest, and a complete bokmål catalogue.

The .mo files are git-ignored: `make test` compiles them, and the fixture below does the same when
the suite runs straight from a fresh clone with `.venv/bin/pytest`.
"""

import ast
import contextlib
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from accounting.models import Customer, Invoice, InvoiceLine
from accounting.services import invoice_line_save, record_save
from tests.factories import AccountFactory, ClientFactory, CustomerFactory, InvoiceFactory

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
NB_PO = LOCALE_DIR / "nb" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]|%[sdr]|\{[a-z_]*\}")


@pytest.fixture(scope="session")
def _compiled_catalogues():
    if shutil.which("msgfmt") is None:
        pytest.skip("GNU gettext (msgfmt) is not installed; see the README's requirements.")
    with contextlib.chdir(settings.BASE_DIR):
        call_command("compilemessages", locale=["nb", "en"], ignore_patterns=[".venv"], verbosity=0)


@pytest.fixture
def catalogues(_compiled_catalogues, settings):
    # Setting LOCALE_PATHS again empties Django's per-process cache of loaded catalogues, so a
    # catalogue compiled by the fixture above is read even if another test loaded "nb" earlier.
    settings.LOCALE_PATHS = [LOCALE_DIR]


def po_entries(path: Path) -> list[dict]:
    """Entries of a .po file as {flags, msgid, msgid_plural?, msgstr: [forms]}, header excluded."""
    entries = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry: dict = {"flags": "", "msgstr": []}
        parts: list[str] = []
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] += line
            elif line.startswith("msgctxt "):
                entry["msgctxt"] = ast.literal_eval(line.split(" ", 1)[1])
            elif match := re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d\])?) (".*")$', line):
                parts = [ast.literal_eval(match.group(2))]
                if match.group(1).startswith("msgstr"):
                    entry["msgstr"].append(parts)
                else:
                    entry[match.group(1)] = parts
            elif line.startswith('"'):
                parts.append(ast.literal_eval(line))
        for key in ("msgid", "msgid_plural"):
            if key in entry:
                entry[key] = "".join(entry[key])
        entry["msgstr"] = ["".join(form) for form in entry["msgstr"]]
        entries.append(entry)
    return [entry for entry in entries if entry.get("msgid")]


@pytest.mark.django_db
class TestAdminLanguage:
    def test_admin_index_is_norwegian_for_a_norwegian_browser(self, catalogues, admin_client):
        page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="nb-NO,nb;q=0.9,en;q=0.5")
        html = page.content.decode()
        assert page.status_code == 200
        assert '<html lang="nb"' in html
        for text in ("Regnskap", "Kunder", "Fakturaer", "Integrasjoner", "Overføringer"):
            assert text in html
        assert "Customers" not in html

    def test_admin_links_keep_django_s_endre(self, catalogues, admin_client):
        html = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
        assert ">Endre<" in html and ">Bytt<" not in html

    def test_admin_index_is_english_for_an_english_browser(self, catalogues, admin_client):
        html = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
        assert '<html lang="en"' in html
        assert "Accounting" in html and "Customers" in html
        assert "Regnskap" not in html

    def test_customer_list_columns_and_filters_are_norwegian(self, catalogues, admin_client):
        CustomerFactory(name="Fjord Fisk AS")
        page = admin_client.get("/admin/accounting/customer/", HTTP_ACCEPT_LANGUAGE="nb")
        html = page.content.decode()
        assert "Fjord Fisk AS" in html
        assert ">Organisasjonsnummer</a>" in html and ">Landkode</a>" in html
        assert "Etter fakturaleveringsmetode" in html


class TestModelNames:
    def test_verbose_names_are_norwegian_under_nb(self, catalogues):
        with translation.override("nb"):
            assert str(Customer._meta.verbose_name_plural) == "kunder"
            assert str(Invoice._meta.verbose_name) == "faktura"
            assert str(Invoice._meta.get_field("due_date").verbose_name) == "forfallsdato"
            assert str(InvoiceLine._meta.get_field("vat_code").verbose_name) == "mva-kode"

    def test_verbose_names_stay_english_under_en(self, catalogues):
        with translation.override("en"):
            assert str(Customer._meta.verbose_name_plural) == "customers"
            assert str(Invoice._meta.get_field("due_date").verbose_name) == "due date"


@pytest.mark.django_db
class TestAccountingErrors:
    def test_line_on_account_without_vat_code_is_refused_in_norwegian(self, catalogues):
        invoice = InvoiceFactory()
        account = AccountFactory(client=invoice.client, number=3900, vat_code=None)
        line = InvoiceLine(
            invoice=invoice, line_no=2, description="x", account=account, unit_price=1
        )
        with translation.override("nb"), pytest.raises(ValidationError) as excinfo:
            invoice_line_save(line=line)
        message = excinfo.value.message_dict["account"][0]
        assert message.endswith("linje 2: konto 3900 har ingen mva-kode, så mva-satsen er ukjent.")
        assert message.startswith("Utkast til faktura")

    def test_bad_country_code_is_refused_in_norwegian(self, catalogues):
        customer = CustomerFactory.build(client=ClientFactory(), number=10002, country_code="XX")
        with translation.override("nb"), pytest.raises(ValidationError) as excinfo:
            record_save(record=customer)
        assert excinfo.value.message_dict["country_code"] == [
            "Kunde 10002: landkoden «XX» er ikke en ISO 3166-1 alfa-2-kode (f.eks. NO, SE)."
        ]

    def test_bad_country_code_is_refused_in_english(self, catalogues):
        customer = CustomerFactory.build(client=ClientFactory(), number=10002, country_code="XX")
        with translation.override("en"), pytest.raises(ValidationError) as excinfo:
            record_save(record=customer)
        assert excinfo.value.message_dict["country_code"] == [
            "Customer 10002: country code 'XX' is not an ISO 3166-1 alpha-2 code (e.g. NO, SE)."
        ]


def test_plural_messages_use_both_norwegian_forms(catalogues):
    singular, plural = "%(count)d token revoked.", "%(count)d tokens revoked."
    with translation.override("nb"):
        assert translation.ngettext(singular, plural, 1) % {"count": 1} == "1 token tilbakekalt."
        assert translation.ngettext(singular, plural, 3) % {"count": 3} == "3 tokener tilbakekalt."


class TestNorwegianCatalogue:
    def test_header_declares_bokmal_utf8_and_two_plural_forms(self):
        header = NB_PO.read_text(encoding="utf-8").split("\n\n", 1)[0]
        assert '"Language: nb\\n"' in header
        assert "charset=UTF-8" in header
        assert "nplurals=2; plural=(n != 1);" in header
        assert "fuzzy" not in header

    def test_every_entry_is_translated_and_none_is_fuzzy(self):
        entries = po_entries(NB_PO)
        assert len(entries) > 100
        untranslated = [e["msgid"] for e in entries if not all(e["msgstr"]) or not e["msgstr"]]
        fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
        assert untranslated == []
        assert fuzzy == []

    def test_django_s_own_strings_keep_django_s_translation(self):
        """The project's catalogue comes first: a msgid Django translates too would replace
        Django's words everywhere (every admin link said "Bytt" instead of "Endre")."""
        import gettext

        import django

        django_nb = {}
        for mo in Path(django.__file__).parent.glob("**/locale/nb/LC_MESSAGES/django.mo"):
            with mo.open("rb") as file:
                django_nb.update({key: value for key, value in
                                  gettext.GNUTranslations(file)._catalog.items()
                                  if isinstance(key, str) and key})
        overridden = [
            entry["msgid"] for entry in po_entries(NB_PO)
            if "msgid_plural" not in entry and "msgctxt" not in entry
            and django_nb.get(entry["msgid"], entry["msgstr"][0]) != entry["msgstr"][0]
        ]
        assert overridden == []

    def test_plural_entries_have_both_forms(self):
        plurals = [e for e in po_entries(NB_PO) if "msgid_plural" in e]
        assert plurals
        assert [e["msgid"] for e in plurals if len(e["msgstr"]) != 2] == []

    def test_translations_keep_every_placeholder_and_html_tag(self):
        def parts(text):
            found = PLACEHOLDER.findall(text) + re.findall(r"</?[a-z]+>", text)
            return sorted(found)

        broken = [
            e["msgid"]
            for e in po_entries(NB_PO)
            for form in e["msgstr"]
            if parts(form) != parts(e.get("msgid_plural", e["msgid"]))
            and parts(form) != parts(e["msgid"])
        ]
        assert broken == []


class TestCatalogueMatchesTheCode:
    """`make messages` on the code as it is adds nothing untranslated and finds nothing stale: the
    catalogue was not appended to by hand with entries the code no longer has, and no new
    user-facing string was left without its bokmål."""

    @pytest.fixture(scope="class")
    @staticmethod
    def extracted(tmp_path_factory):
        if shutil.which("xgettext") is None:
            pytest.skip("GNU gettext (xgettext) is not installed; see the README's requirements.")
        root = tmp_path_factory.mktemp("project")
        base = Path(settings.BASE_DIR)
        for name in ("accounting", "api", "config", "integrations", "pos", "templates"):
            shutil.copytree(base / name, root / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        shutil.copytree(LOCALE_DIR, root / "locale",
                        ignore=shutil.ignore_patterns("*.mo"))
        with contextlib.chdir(root), override_settings_locale(root / "locale"):
            call_command("makemessages", locale=["nb"], no_obsolete=True, verbosity=0)
        return po_entries(root / "locale" / "nb" / "LC_MESSAGES" / "django.po")

    def test_every_string_of_the_code_has_a_norwegian_translation(self, extracted):
        untranslated = [e["msgid"] for e in extracted if not e["msgstr"] or not all(e["msgstr"])]
        fuzzy = [e["msgid"] for e in extracted if "fuzzy" in e["flags"]]
        assert untranslated == []
        assert fuzzy == []

    def test_the_catalogue_holds_no_entry_the_code_lacks(self, extracted):
        in_code = {(e.get("msgctxt"), e["msgid"]) for e in extracted}
        stale = [e["msgid"] for e in po_entries(NB_PO)
                 if (e.get("msgctxt"), e["msgid"]) not in in_code]
        assert stale == []

    def test_no_plural_is_written_with_parentheses(self, extracted):
        assert [e["msgid"] for e in extracted if re.search(r"\w\((s|es|er)\)", e["msgid"])] == []


@contextlib.contextmanager
def override_settings_locale(path: Path):
    from django.test import override_settings

    with override_settings(LOCALE_PATHS=[path]):
        yield


@pytest.mark.django_db
class TestIntegrationTextsInNorwegian:
    """Error texts, connection test results and failure e-mails speak bokmål under nb."""

    def test_pos_sale_without_gratuity_product_is_refused_in_norwegian_with_the_amount(
        self, catalogues
    ):
        from integrations.errors import DataError
        from integrations.poweroffice.pos import pos_sale_payload
        from tests.factories.pos import PosSaleFactory, PosSettingsFactory

        pos_settings = PosSettingsFactory(gratuity_product_id=None)
        sale = PosSaleFactory(client=pos_settings.client, number="7788",
                              gratuity_amount="1234.5")
        with translation.override("nb"), pytest.raises(DataError) as excinfo:
            pos_sale_payload(sale, settings=pos_settings, customer_id=1)
        assert excinfo.value.message == (
            "Kassesalg 7788: driks 1\xa0234,50, men ingen produkt-id for driks "
            "(kasseinnstillinger, «produkt-id for driks»)."
        )

    def test_unreachable_system_is_reported_in_norwegian(self, catalogues):
        import requests

        from integrations.http import _network_error

        with translation.override("nb"):
            err = _network_error("poweroffice", "POST", "https://x.test/Customers", (3, 30),
                                 requests.ReadTimeout("read timed out"))
        assert err.message == (
            "poweroffice: forespørselen ble sendt, men intet svar innen (3, 30) sekunder; om den "
            "ble lagret, kontrolleres før den sendes på nytt"
        )

    def test_connection_test_of_unknown_azets_client_is_norwegian(self, catalogues):
        import responses

        from integrations.registry import get_connector
        from tests.factories.azets import AzetsConnectionFactory, AzetsSettingsFactory

        connection = AzetsConnectionFactory()
        AzetsSettingsFactory(connection=connection)
        connector = get_connector(connection.system)
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
            mocked.add(responses.GET, re.compile(r".*"), status=404,
                       json={"title": "Client not found"})
            mocked.add(responses.POST, re.compile(r".*"), status=404,
                       json={"title": "Client not found"})
            with translation.override("nb"):
                result = connector.test_connection(connection)
        assert not result.ok
        assert result.message.startswith("Azets kjenner ikke denne klienten")
        assert "(system azets, operasjon GET " in result.message

    def test_failure_email_is_norwegian_when_the_site_speaks_norwegian(
        self, catalogues, settings
    ):
        from django.core import mail
        from django.utils import timezone

        from integrations import notify
        from integrations.models import TransferStatus
        from tests.factories.integrations import ConnectionFactory, TransferFactory

        settings.LANGUAGE_CODE = "nb"
        connection = ConnectionFactory(error_recipients="feil@example.com")
        for number in ("10023", "10024"):
            TransferFactory(connection=connection, status=TransferStatus.FAILED, kind="invoice",
                            object_number=number, last_error="HTTP 400", attempts=2,
                            finished_at=timezone.now())
        assert notify.failures_notify(connection=connection)
        [message] = mail.outbox
        assert "2 overføringer til" in message.subject and "feilet" in message.subject
        assert "2 overføringer feilet:" in message.body
        assert "(2 forsøk)" in message.body
        assert "Slik gjør du:" in message.body
        assert "transfers failed" not in message.body
