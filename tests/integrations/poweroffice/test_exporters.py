"""PowerOffice exporters through the engine over mocked HTTP (`responses`): what is sent, in
which order, what is refused before any call, and that nothing is ever posted twice."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from accounting.services import invoice_credit, invoice_finalize, record_save
from integrations import registry
from integrations.engine import transfer_process
from integrations.links import link_for_object
from integrations.models import (
    DocumentSend,
    ExternalLink,
    Transfer,
    TransferKind,
    TransferStatus,
)
from integrations.outbox import transfer_enqueue
from integrations.poweroffice.connector import PowerOfficeConnector
from integrations.poweroffice.models import PowerOfficeSettings, VoucherRoute
from tests.factories import (
    AccountFactory,
    CustomerFactory,
    InvoiceFactory,
    InvoiceLineFactory,
    ProductFactory,
)

from .conftest import API, captured
from .contract_helpers import sent_json, sent_requests
from .export_helpers import (
    CUSTOMER_ROW,
    VOUCHER,
    VOUCHER_ID,
    make_connection,
    mock_new_customer,
    mock_reference_data,
    mock_token,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection(settings, django_capture_on_commit_callbacks):
    settings.INTEGRATIONS_MAX_ATTEMPTS = 5
    with registry.override(PowerOfficeConnector()):
        yield make_connection(settings)


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def run_export(obj, kind, connection):
        with django_capture_on_commit_callbacks(execute=True):
            [transfer] = transfer_enqueue(obj=obj, kind=kind, connection=connection)
        # A document finalized while the connection was disabled already waited (and so was
        # not handed to the queue again): run it now, as enabling the connection would.
        transfer_process(transfer.pk)
        transfer.refresh_from_db()
        return transfer

    return run_export


def retry(transfer) -> Transfer:
    Transfer.objects.filter(pk=transfer.pk).update(next_attempt_at=timezone.now())
    transfer_process(transfer.pk)
    transfer.refresh_from_db()
    return transfer


def finalized(connection, **kwargs):
    customer = kwargs.pop("customer", None) or CustomerFactory(
        client=connection.client, number=10001
    )
    invoice = InvoiceFactory(client=connection.client, customer=customer, **kwargs)
    InvoiceLineFactory(invoice=invoice, quantity=Decimal("2"), unit_price=Decimal("500.00"))
    connection.enabled = False  # finalize would queue and run it; the tests drive it with run()
    connection.save()
    invoice = invoice_finalize(invoice=invoice, by=None)
    connection.enabled = True
    connection.save()
    return invoice


def mock_invoice_happy_path(http, *, pdf_status: int = 204) -> None:
    mock_token(http)
    mock_reference_data(http)
    mock_new_customer(http)
    http.add("POST", f"{API}/Vouchers/OutgoingInvoiceJournals", json=VOUCHER, status=201)
    http.add("PUT", f"{API}/VoucherDocumentation", status=pdf_status)


# -- customers --------------------------------------------------------------------------------
class TestCustomerExport:
    def test_new_customer_is_created_then_a_change_is_patched_not_duplicated(
        self, connection, http, run, django_capture_on_commit_callbacks
    ):
        mock_token(http)
        mock_reference_data(http)
        customer = CustomerFactory(client=connection.client, number=10001, name="Fjord AS")
        mock_new_customer(http)
        first = run(customer, TransferKind.CUSTOMER, connection)

        customer.name = "Fjord Catering AS"
        http.add("GET", f"{API}/Customers/7001", json={**CUSTOMER_ROW, "Name": "Fjord AS"})
        http.add(
            "PATCH", f"{API}/Customers/7001", json={**CUSTOMER_ROW, "Name": "Fjord Catering AS"}
        )
        with django_capture_on_commit_callbacks(execute=True):
            record_save(record=customer)  # the change queues (and, after commit, runs) a transfer
        second = Transfer.objects.exclude(pk=first.pk).get(kind=TransferKind.CUSTOMER)

        assert (first.status, second.status) == (TransferStatus.SUCCEEDED, TransferStatus.SUCCEEDED)
        assert len(sent_requests(http, "POST", "/Customers")) == 1
        patch = sent_json(http, "PATCH", "/Customers/7001")
        assert {"op": "replace", "path": "/Name", "value": "Fjord Catering AS"} in patch
        assert all(op["path"] != "/PaymentTerm" for op in patch)
        assert ExternalLink.objects.get(connection=connection).external_id == "7001"

    def test_unchanged_customer_is_skipped_without_a_call(self, connection, http, run):
        mock_token(http)
        mock_reference_data(http)
        customer = CustomerFactory(client=connection.client, number=10001)
        mock_new_customer(http)
        run(customer, TransferKind.CUSTOMER, connection)
        calls = len(http.calls)

        again = run(customer, TransferKind.CUSTOMER, connection)

        assert again.status == TransferStatus.SKIPPED
        assert len(http.calls) == calls

    def test_customer_existing_in_poweroffice_is_matched_by_number(self, connection, http, run):
        mock_token(http)
        mock_reference_data(http)
        customer = CustomerFactory(client=connection.client, number=10001, name="Fjord AS")
        http.add("GET", f"{API}/Customers", json=[{**CUSTOMER_ROW, "Name": "Old name"}])
        http.add("PATCH", f"{API}/Customers/7001", json=CUSTOMER_ROW)

        transfer = run(customer, TransferKind.CUSTOMER, connection)

        assert transfer.status == TransferStatus.SUCCEEDED and transfer.external_id == "7001"
        assert not sent_requests(http, "POST", "/Customers")

    def test_email_delivery_without_organization_number_is_refused_before_any_call(
        self, connection, http, run
    ):
        customer = CustomerFactory(
            client=connection.client, number=10001, organization_number="",
            invoice_delivery_method="email",
        )  # fmt: skip

        transfer = run(customer, TransferKind.CUSTOMER, connection)

        assert transfer.status == TransferStatus.FAILED
        assert "Customer 10001: invoice delivery method is E-mail" in transfer.last_error
        assert len(http.calls) == 0

    def test_number_outside_the_customer_series_is_refused_with_the_series(
        self, connection, http, run
    ):
        mock_token(http)
        mock_reference_data(http)
        customer = CustomerFactory(client=connection.client, number=500)

        transfer = run(customer, TransferKind.CUSTOMER, connection)

        assert transfer.status == TransferStatus.FAILED
        assert "Customer 500: number 500 is outside the customer number series" in (
            transfer.last_error
        )
        assert "10000–19999" in transfer.last_error
        assert not sent_requests(http, "POST", "/Customers")
        assert not sent_requests(http, "GET", "/Customers")


class TestProductsTravelOnlyThroughTheirOwnTransfers:
    def test_connector_handles_products_and_product_groups_as_registers(self):
        connector = PowerOfficeConnector()
        assert connector.handles(TransferKind.PRODUCT)
        assert connector.handles(TransferKind.PRODUCT_GROUP)

    def test_invoice_exporter_never_exports_products_as_dependencies(self):
        from integrations.poweroffice.exporters import ProductExporter, ProductGroupExporter
        from integrations.poweroffice.vouchers import CreditNoteExporter, InvoiceExporter

        for exporter in (InvoiceExporter, CreditNoteExporter):
            assert ProductExporter not in exporter.dependencies
            assert ProductGroupExporter not in exporter.dependencies

    def test_invoice_with_a_product_line_sends_no_product(self, connection, http, run):
        invoice = finalized(connection)
        product = ProductFactory(client=connection.client, unit=None)
        invoice.lines.update(product=product)  # the line is locked; set it behind its back
        mock_invoice_happy_path(http)

        transfer = run(invoice, TransferKind.INVOICE, connection)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert not [c for c in http.calls if "/Products" in c.request.url]


# -- invoices ---------------------------------------------------------------------------------
class TestInvoiceExport:
    def test_invoice_posts_customer_voucher_and_pdf_and_records_each_step(
        self, connection, http, run
    ):
        invoice = finalized(connection)
        mock_invoice_happy_path(http)

        transfer = run(invoice, TransferKind.INVOICE, connection)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert transfer.external_id == VOUCHER_ID
        body = sent_json(http, "POST", "/Vouchers/OutgoingInvoiceJournals")
        assert body["CustomerAccountId"] == CUSTOMER_ROW["SubledgerAccountId"]
        assert body["OutgoingInvoiceLines"][0]["AccountId"] == 1011
        assert sent_requests(http, "PUT", "/VoucherDocumentation")[0].body.find(b"%PDF") > 0
        steps = [(s["step"], s["action"], s.get("external_id")) for s in
                 transfer.attempt_set.get().steps]  # fmt: skip
        assert ("customer", "created", "7001") in steps
        assert ("voucher", "created", VOUCHER_ID) in steps
        assert ("attachment", "uploaded", VOUCHER_ID) in steps

    def test_missing_external_vat_code_fails_without_any_http_call(self, connection, http, run):
        invoice = InvoiceFactory(client=connection.client, customer=CustomerFactory(
            client=connection.client, number=10001))  # fmt: skip
        InvoiceLineFactory(invoice=invoice)
        bare = AccountFactory(client=connection.client, number=3900, external_vat_code="")
        InvoiceLineFactory(invoice=invoice, account=bare)
        connection.enabled = False
        connection.save()
        invoice_finalize(invoice=invoice, by=None)
        connection.enabled = True
        connection.save()

        transfer = run(invoice, TransferKind.INVOICE, connection)

        assert transfer.status == TransferStatus.FAILED
        assert (
            f"Invoice {invoice.number} line 2: account 3900 has no external VAT code"
            in transfer.last_error
        )
        assert len(http.calls) == 0

    def test_invoice_in_a_locked_period_fails_before_anything_is_written(
        self, connection, http, run
    ):
        invoice = finalized(connection)
        mock_token(http)
        mock_reference_data(http, lock_date="2026-03-31")

        transfer = run(invoice, TransferKind.INVOICE, connection)

        assert transfer.status == TransferStatus.FAILED
        assert "period locked in the accounting system" in transfer.last_error
        assert "2026-03-31" in transfer.last_error
        assert [c.request.method for c in http.calls] == ["POST", "GET"]  # token, lock date

    @pytest.mark.parametrize(
        "refusal",
        [
            "problem_details_400_duplicate_reference.json",
            "problem_details_400_duplicate_plain.json",
            "problem_details_400_no_fields.json",
        ],
    )
    def test_a_refused_post_is_looked_up_and_the_voucher_found_there_is_bound(
        self, connection, http, run, refusal
    ):
        """Whatever the refusal says (or whether it names a field at all), the voucher is looked
        up by its reference before the transfer fails; found, it is bound as a success."""
        invoice = finalized(connection)
        mock_token(http)
        mock_reference_data(http)
        mock_new_customer(http)
        http.add("POST", f"{API}/Vouchers/OutgoingInvoiceJournals", status=400,
                 json=captured(refusal))  # fmt: skip
        http.add("GET", f"{API}/Customerledger/Statement", json=[{
            "VoucherId": VOUCHER_ID, "VoucherNo": 40001, "InvoiceNo": str(invoice.number),
            "ExternalImportReference": invoice.transfer_reference,
        }])  # fmt: skip
        http.add("PUT", f"{API}/VoucherDocumentation", status=204)

        transfer = run(invoice, TransferKind.INVOICE, connection)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert transfer.external_id == VOUCHER_ID
        steps = [(s["step"], s["action"]) for s in transfer.attempt_set.get().steps]
        assert ("look-up", "found") in steps
        assert ("invoice", "recovered") in steps

    def test_a_refused_post_not_found_by_the_look_up_fails_with_the_refusal(
        self, connection, http, run
    ):
        invoice = finalized(connection)
        mock_token(http)
        mock_reference_data(http)
        mock_new_customer(http)
        http.add("POST", f"{API}/Vouchers/OutgoingInvoiceJournals", status=400,
                 json=captured("problem_details_400_no_fields.json"))  # fmt: skip
        http.add("GET", f"{API}/Customerledger/Statement", status=204)

        transfer = run(invoice, TransferKind.INVOICE, connection)

        assert transfer.status == TransferStatus.FAILED
        assert "could not be processed" in transfer.last_error
        assert link_for_object(connection=connection, obj=invoice) is None
        assert not DocumentSend.objects.exists()  # the next try sends without a look-up
        # The attempt keeps the refused POST, not the look-up that followed it.
        attempt = transfer.attempt_set.get()
        assert attempt.http_status == 400
        assert attempt.request_summary.startswith("POST ")
        assert "OutgoingInvoiceJournals" in attempt.request_summary

    def test_an_answer_that_cannot_be_read_is_an_unknown_outcome_looked_up_next_time(
        self, connection, http, run, monkeypatch
    ):
        invoice = finalized(connection)
        mock_invoice_happy_path(http)
        from integrations.poweroffice import resources

        def unreadable(data):
            raise KeyError("VoucherId")

        with monkeypatch.context() as patched:
            patched.setattr(resources, "parse_posted_voucher", unreadable)
            transfer = run(invoice, TransferKind.INVOICE, connection)

        assert transfer.status == TransferStatus.PENDING
        assert "could not be read" in transfer.last_error
        assert DocumentSend.objects.get().external_id == ""  # outcome unknown
        http.add("GET", f"{API}/Customerledger/Statement", json=[{
            "VoucherId": VOUCHER_ID, "VoucherNo": 40001, "InvoiceNo": str(invoice.number),
            "ExternalImportReference": invoice.transfer_reference,
        }])  # fmt: skip
        transfer = retry(transfer)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert transfer.external_id == VOUCHER_ID
        assert len(sent_requests(http, "POST", "/Vouchers/OutgoingInvoiceJournals")) == 1

    def test_pdf_failure_then_retry_uploads_without_posting_a_second_voucher(
        self, connection, http, run
    ):
        invoice = finalized(connection)
        mock_invoice_happy_path(http, pdf_status=503)

        transfer = run(invoice, TransferKind.INVOICE, connection)
        assert transfer.status == TransferStatus.PENDING
        # The voucher is there: bound at once, with the upload still to do.
        assert ExternalLink.objects.filter(object_id=invoice.pk, external_id=VOUCHER_ID).exists()
        assert DocumentSend.objects.get().external_id == VOUCHER_ID

        http.replace("PUT", f"{API}/VoucherDocumentation", status=204)
        transfer = retry(transfer)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert len(sent_requests(http, "POST", "/Vouchers/OutgoingInvoiceJournals")) == 1
        assert transfer.external_id == VOUCHER_ID
        last = transfer.attempt_set.order_by("-number").first()
        assert ("invoice", "completed") in [(s["step"], s["action"]) for s in last.steps]
        assert not DocumentSend.objects.exists()

    def test_manual_journal_route_posts_a_balanced_journal(self, connection, http, run):
        PowerOfficeSettings.objects.create(
            connection=connection, voucher_route=VoucherRoute.MANUAL_JOURNAL
        )
        invoice = finalized(connection)
        mock_token(http)
        mock_reference_data(http)
        mock_new_customer(http)
        http.add("POST", f"{API}/Vouchers/ManualJournals", json=VOUCHER, status=201)
        http.add("PUT", f"{API}/VoucherDocumentation", status=204)

        transfer = run(invoice, TransferKind.INVOICE, connection)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        body = sent_json(http, "POST", "/Vouchers/ManualJournals")
        assert sum(line["CurrencyAmount"] for line in body["VoucherLines"]) == 0
        assert body["VoucherLines"][0]["CustomMatchingReference"] == str(invoice.number)
        assert not sent_requests(http, "POST", "/Vouchers/OutgoingInvoiceJournals")

    def test_credit_note_is_posted_with_the_credited_invoice_number(self, connection, http, run):
        invoice = finalized(connection)
        mock_invoice_happy_path(http)
        run(invoice, TransferKind.INVOICE, connection)
        note = invoice_credit(invoice=invoice, by=None)
        connection.enabled = False
        connection.save()
        note = invoice_finalize(invoice=note, by=None)
        connection.enabled = True
        connection.save()
        note_voucher = {**VOUCHER, "Id": "9e8d7c6b-5a49-4382-9170-615243342516"}
        http.replace(
            "POST", f"{API}/Vouchers/OutgoingInvoiceJournals", json=note_voucher, status=201
        )

        transfer = run(note, TransferKind.CREDIT_NOTE, connection)

        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        body = sent_json(http, "POST", "/Vouchers/OutgoingInvoiceJournals")
        assert body["CurrencyAmount"] == -1250.0
        assert body["CustomMatchingReference"] == str(invoice.number)
        assert f"credits invoice {invoice.number}" in body["Description"]
        assert len(sent_requests(http, "POST", "/Customers")) == 1  # unchanged: not sent again

    def test_already_posted_invoice_is_skipped_without_a_call(self, connection, http, run):
        invoice = finalized(connection)
        mock_invoice_happy_path(http)
        run(invoice, TransferKind.INVOICE, connection)
        calls = len(http.calls)

        again = run(invoice, TransferKind.INVOICE, connection)

        assert again.status == TransferStatus.SKIPPED
        assert len(http.calls) == calls


# -- statements ---------------------------------------------------------------------------------
def statements_of(captured) -> list[str]:
    """The statements sent, savepoints (the test's own transaction) and the cache's table left
    out."""
    return [
        q["sql"] for q in captured.captured_queries
        if "SAVEPOINT" not in q["sql"] and "_cache" not in q["sql"]
    ]  # fmt: skip


class TestStatementsPerInvoice:
    """What one more invoice of a known customer costs the database, the engine's bookkeeping
    (pick, claim, attempt, outcome) included: the document read once, under its lease, with its
    link and send; no COUNT; earlier failures of the object resolved by the finishing UPDATE."""

    @pytest.fixture
    def repeat_invoice(self, connection, http, run):
        mock_invoice_happy_path(http)
        customer = CustomerFactory(client=connection.client, number=10001)
        first = run(finalized(connection, customer=customer), TransferKind.INVOICE, connection)
        assert first.status == TransferStatus.SUCCEEDED, first.last_error
        invoice = finalized(connection, customer=customer)
        [transfer] = Transfer.objects.filter(object_id=invoice.pk, kind=TransferKind.INVOICE)
        second = {**VOUCHER, "Id": "5e0c9a1b-2d3f-4a5b-8c7d-6e5f4a3b2c1d"}
        http.replace("POST", f"{API}/Vouchers/OutgoingInvoiceJournals", json=second, status=201)
        return transfer

    def assert_posted(self, transfer):
        transfer.refresh_from_db()
        assert transfer.status == TransferStatus.SUCCEEDED, transfer.last_error
        assert transfer.external_id == "5e0c9a1b-2d3f-4a5b-8c7d-6e5f4a3b2c1d"
        assert DocumentSend.objects.count() == 0

    def test_a_repeat_invoice_costs_at_most_14_statements(self, repeat_invoice):
        from django.db import connection as db
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(db) as captured:
            transfer_process(repeat_invoice.pk)
        statements = statements_of(captured)

        self.assert_posted(repeat_invoice)
        assert len(statements) <= 14, "\n".join(statements)

    def test_a_cluster_worker_picks_claims_and_exports_it_in_at_most_15_statements(
        self, repeat_invoice, connection, settings
    ):
        """The path a cluster worker takes (`transfers_dispatch`): the fair pick, while another
        client's bulk work waits (so the running bulk transfers are counted too), the claim,
        then the run."""
        from django.db import connection as db
        from django.test.utils import CaptureQueriesContext

        from integrations import engine
        from integrations.models import TransferPriority
        from tests.factories.integrations import ConnectionFactory, TransferFactory

        settings.INTEGRATIONS_BULK_WORKERS = 1
        other = ConnectionFactory()
        served = timezone.now()  # after the first invoice: this client's turn comes second
        TransferFactory(connection=other, status=TransferStatus.SUCCEEDED, started_at=served,
                        object_id=1, priority=TransferPriority.BULK)  # bulk's turn was last
        waiting = TransferFactory(
            connection=other, priority=TransferPriority.BULK, object_id=2,
            next_attempt_at=served - timezone.timedelta(minutes=5),
        )  # fmt: skip

        with CaptureQueriesContext(db) as captured:
            transfer = engine.transfer_claim_next()
            assert transfer.pk == repeat_invoice.pk
            engine._transfer_run(transfer)
        statements = statements_of(captured)

        self.assert_posted(repeat_invoice)
        waiting.refresh_from_db()
        assert waiting.status == TransferStatus.PENDING
        assert len(statements) <= 15, "\n".join(statements)
