"""The PowerOffice Go probe (issue 21) against the sandbox over loopback HTTP, under each of the
sandbox's behaviours: the report must name the behaviour the sandbox was set to."""

from __future__ import annotations

import datetime as dt
import json

import environ
import pytest
from django.core.management import CommandError, call_command

from integrations.models import Mode
from integrations.poweroffice import probe, sandbox
from integrations.poweroffice.probe import poweroffice_probe_run, report_write
from integrations.poweroffice.sandbox.app import SandboxConfig
from integrations.poweroffice.sandbox.seeds import PRIVILEGES
from integrations.ratelimit import SlidingWindowRateLimiter
from tests.factories.integrations import ConnectionFactory

from .conftest import DUPLICATE_BEHAVIOURS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

WRITE_ANSWERS = ("full", "empty", "no_id", "not_json")
VOUCHER_POST = "/Vouchers/OutgoingInvoiceJournals"
TODAY = dt.date(2026, 3, 2)
SECRETS = (
    sandbox.DEFAULT_CLIENT_KEY,
    sandbox.DEFAULT_APPLICATION_KEY,
    sandbox.DEFAULT_SUBSCRIPTION_KEY,
)


@pytest.fixture
def connection(po_sandbox):
    return ConnectionFactory(
        secrets={"client_key": sandbox.DEFAULT_CLIENT_KEY},
        client__name="Probe Demo AS",
        client__organization_number="999000111",
    )


def run(connection, **kwargs):
    return poweroffice_probe_run(
        connection=connection,
        today=TODAY,
        run_number=kwargs.pop("run_number", 7),
        rate_limiter=SlidingWindowRateLimiter(1000),
        timeout=(2.0, 5.0),
        **kwargs,
    )


def answer(report, question_id):
    found = report.answer(question_id)
    assert found is not None, f"{question_id} was not asked"
    return found


def voucher_posts(po_sandbox) -> list[dict]:
    return [r for r in po_sandbox.requests(VOUCHER_POST) if r["method"] == "POST"]


@pytest.mark.parametrize("write_answer", WRITE_ANSWERS)
@pytest.mark.parametrize("duplicates", DUPLICATE_BEHAVIOURS)
def test_the_report_names_the_behaviour_the_sandbox_was_set_to(
    connection, po_sandbox, duplicates, write_answer
):
    po_sandbox.control("config", {"duplicates": duplicates, "write_answer": write_answer})

    report = run(connection)

    assert report.stopped_at == "", report.stop_reason
    assert report.behaviour == {"duplicates": duplicates, "write_answer": write_answer}
    assert report.setting == (
        f"POWEROFFICE_SANDBOX_BEHAVIOUR=duplicates={duplicates},write_answer={write_answer}"
    )
    assert answer(report, "customer_create").matches == {"write_answer": write_answer}
    assert answer(report, "credit_note_post").matches == {"write_answer": write_answer}
    # Whatever the answer looked like, the look-up found each voucher, so all reads ran.
    stored = po_sandbox.control("books", method="GET")["vouchers"]
    doubled = po_sandbox.control("books", method="GET")["doubled"]
    assert len(stored) == (3 if duplicates == "accept" else 2)
    assert doubled == (["ledgerbridge-probe-7-invoice"] if duplicates == "accept" else [])
    if duplicates == "accept":
        first = report.created["vouchers"]["invoice"]["Id"]
        [second] = [v["Id"] for v in stored if v["Id"] != first
                    and v["ExternalImportReference"] == "ledgerbridge-probe-7-invoice"]  # fmt: skip
        assert answer(report, "duplicate_post").facts["second_voucher_ids"] == [second]
    # The text table says the same as the JSON.
    text = report.to_text()
    assert f"duplicates={duplicates}, write_answer={write_answer}" in text
    assert report.setting in text


def test_the_setting_line_of_a_report_sets_the_sandbox_default(
    connection, po_sandbox, settings, monkeypatch
):
    po_sandbox.control("config", {"duplicates": "refuse_plain", "write_answer": "no_id"})
    report = run(connection)
    name, _, value = report.setting.partition("=")
    monkeypatch.setenv(name, value)

    settings.POWEROFFICE_SANDBOX_BEHAVIOUR = environ.Env().dict(name, default={})

    config = SandboxConfig()
    assert (config.duplicates, config.write_answer) == ("refuse_plain", "no_id")
    assert SandboxConfig(duplicates="accept").duplicates == "accept"  # explicit values win


def test_an_unknown_switch_in_the_setting_is_refused(settings):
    settings.POWEROFFICE_SANDBOX_BEHAVIOUR = {"duplicate": "accept"}
    with pytest.raises(ValueError, match="unknown switch duplicate"):
        SandboxConfig()


def test_read_routes_report_ledger_signs_currency_and_what_was_left(connection, po_sandbox):
    report = run(connection)

    ledger = answer(report, "read_customer_ledger").facts
    assert ledger["invoice"]["appears"] and ledger["credit_note"]["appears"]
    assert ledger["invoice"]["sign"] == "positive"
    assert ledger["credit_note"]["sign"] == "negative"
    assert ledger["credit_note"]["VoucherType"] == "OutgoingCreditNote"
    assert ledger["invoice"]["CurrencyCode"] == "NOK"
    assert ledger["invoice"]["CurrencyAmount"] == 1250.0
    assert ledger["credit_note"]["CustomMatchingReference"] == ledger["invoice"]["InvoiceNo"]

    voucher = answer(report, "read_voucher").facts
    assert voucher["invoice"]["sign"] == "positive"
    assert voucher["credit_note"]["sign"] == "negative"
    assert voucher["invoice"]["ExternalImportReference"] == "ledgerbridge-probe-7-invoice"

    transactions = answer(report, "read_account_transactions").facts
    assert transactions["balance"] == "0.0"
    assert {row["AccountNo"] for row in transactions["rows"]} == {3000, 19900}

    assert answer(report, "find_by_reference").facts == {
        "invoice": {"found": True, "same_id": True},
        "credit_note": {"found": True, "same_id": True},
    }
    pdf = answer(report, "pdf_upload")
    assert pdf.facts["upload_status"] == 204
    assert pdf.facts["documentation"][0]["HasPdf"] is True
    invoice_id = report.created["vouchers"]["invoice"]["Id"]
    assert invoice_id in po_sandbox.books().documents

    # The sandbox's integration lacks OutgoingInvoice and YearEndVoucher_Full (reversal), and
    # does not emulate DELETE: the report says so and lists what stayed behind.
    assert answer(report, "read_outgoing_invoices").outcome == "refused"
    assert answer(report, "read_outgoing_invoices").facts["status"] == 403
    assert answer(report, "cleanup_reverse").facts["reversed"] == {
        invoice_id: 403,
        report.created["vouchers"]["credit_note"]["Id"]: 403,
    }
    assert answer(report, "cleanup_customer").facts == {"status": 501}
    assert len(report.left_behind) == 4  # two vouchers, the project, the customer
    assert answer(report, "auth").facts["has"]["YearEndVoucher_Full"] is False


def test_the_probe_uses_the_reserved_numbers_and_a_free_customer_number(connection, po_client):
    po_client.create_customer({"Name": "Earlier probe", "Number": 19900})

    report = run(connection, run_number=12)

    assert report.created["customer"]["Number"] == 19901
    assert report.created["project"]["Code"] == "LBPROBE12"
    low = probe.PROBE_INVOICE_NUMBERS[0]
    assert answer(report, "read_customer_ledger").facts["invoice"]["InvoiceNo"] == str(low + 24)
    assert answer(report, "read_customer_ledger").facts["credit_note"]["InvoiceNo"] == str(low + 25)


def test_every_request_matched_the_contract_and_the_sandbox_refused_none(connection, po_sandbox):
    report = run(connection)

    sent = [e for a in report.answers for e in a.exchanges]
    assert len(sent) == len(po_sandbox.requests())
    refused = [r for r in po_sandbox.requests(status=400)]
    assert refused == [r for r in refused if VOUCHER_POST in r["path"]]  # only the duplicate
    assert len(refused) == 1


def test_a_request_the_contract_refuses_is_not_sent_and_stops_the_probe(
    connection, po_sandbox, monkeypatch
):
    original = probe.Probe.voucher_payload

    def with_unknown_field(self, role):
        return {**original(self, role), "InvoiceType": "Credit"}

    monkeypatch.setattr(probe.Probe, "voucher_payload", with_unknown_field)

    report = run(connection)

    assert report.stopped_at == "invoice_post"
    assert answer(report, "invoice_post").outcome == "not_sent"
    assert "InvoiceType" in answer(report, "invoice_post").finding
    assert voucher_posts(po_sandbox) == []
    assert report.answer("credit_note_post") is None
    # The clean-up still ran for what was created.
    assert answer(report, "cleanup_customer").outcome == "refused"


def test_refused_keys_stop_the_probe_before_anything_is_written(po_sandbox):
    connection = ConnectionFactory(secrets={"client_key": sandbox.OTHER_ENVIRONMENT_CLIENT_KEY})

    report = run(connection)

    assert report.stopped_at == "auth"
    assert "Authentication failed" in report.stop_reason
    assert [a.id for a in report.answers][:1] == ["auth"]
    assert [r for r in po_sandbox.requests() if r["method"] != "POST" or "oauth" not in
            r["path"].lower()] == []  # fmt: skip
    assert report.left_behind == []


def test_locked_books_stop_the_probe_before_anything_is_written(connection, po_sandbox):
    po_sandbox.control("config", {"lock_date": TODAY.isoformat()})

    report = run(connection)

    assert report.stopped_at == "lock_date"
    assert [r for r in po_sandbox.requests() if r["method"] == "POST"
            and "oauth" not in r["path"].lower()] == []  # fmt: skip


def test_a_refused_invoice_post_stops_the_probe_and_says_so(connection, po_sandbox):
    privileges = [p for p in PRIVILEGES if p != "OutgoingInvoiceVoucher_Full"]
    po_sandbox.control(
        "config",
        {"clients": {sandbox.DEFAULT_CLIENT_KEY: {"name": "Demo", "privileges": privileges}}},
    )

    report = run(connection)

    assert report.stopped_at == "invoice_post"
    assert answer(report, "invoice_post").outcome == "refused"
    assert answer(report, "invoice_post").facts["status"] == 403
    assert "duplicates" not in report.behaviour
    assert len(voucher_posts(po_sandbox)) == 1


def test_a_refused_customer_stops_the_probe_before_any_voucher(connection, po_sandbox):
    privileges = [p for p in PRIVILEGES if p != "Customer_Full"]
    po_sandbox.control(
        "config",
        {"clients": {sandbox.DEFAULT_CLIENT_KEY: {"name": "Demo", "privileges": privileges}}},
    )

    report = run(connection)

    assert report.stopped_at == "customer_create"
    assert answer(report, "customer_create").outcome == "refused"
    assert voucher_posts(po_sandbox) == []
    assert answer(report, "cleanup_reverse").outcome == "skipped"
    assert report.left_behind == []


def test_an_unknown_outcome_that_no_look_up_finds_stops_the_probe(connection, po_sandbox):
    po_sandbox.control("faults", {"error_rate": 1.0, "paths": [VOUCHER_POST]})

    report = run(connection)

    assert report.stopped_at == "invoice_post"
    invoice = answer(report, "invoice_post")
    assert invoice.outcome == "unknown"
    assert invoice.facts["found_by_reference"] is False
    assert "look-up" in report.stop_reason
    assert len(voucher_posts(po_sandbox)) == 1  # never posted again
    assert report.answer("duplicate_post") is None


def test_a_lost_answer_is_looked_up_and_the_probe_goes_on(connection, po_sandbox):
    po_sandbox.control("faults", {"drop_rate": 1.0, "paths": [VOUCHER_POST]})

    report = run(connection)

    invoice = answer(report, "invoice_post")
    assert invoice.outcome == "unknown"
    assert invoice.facts["found_by_reference"] is True
    assert "write_answer" not in invoice.matches  # no answer came: nothing to match
    assert report.stopped_at == ""


def test_production_is_refused_without_the_explicit_flag(po_sandbox, settings):
    connection = ConnectionFactory(mode=Mode.PRODUCTION)

    with pytest.raises(probe.ProductionRefused):
        run(connection)
    with pytest.raises(CommandError, match="production"):
        call_command("poweroffice_probe", "--client", connection.client.organization_number)
    assert po_sandbox.requests() == []


def test_production_runs_with_the_explicit_flag(po_sandbox, settings):
    # Production pointed at the sandbox, so the flag's effect is visible without a real host.
    settings.POWEROFFICE_BASE_URLS = {**settings.POWEROFFICE_BASE_URLS,
                                      "production": po_sandbox.url}  # fmt: skip
    settings.POWEROFFICE_APPLICATION_KEY = sandbox.DEFAULT_APPLICATION_KEY
    settings.POWEROFFICE_SUBSCRIPTION_KEY = sandbox.DEFAULT_SUBSCRIPTION_KEY
    connection = ConnectionFactory(
        mode=Mode.PRODUCTION, secrets={"client_key": sandbox.DEFAULT_CLIENT_KEY}
    )

    report = run(connection, allow_production=True)

    assert report.mode == "production"
    assert report.stopped_at == ""


def test_the_command_writes_json_and_text_without_secrets(
    connection, po_sandbox, tmp_path, settings, capsys
):
    settings.POWEROFFICE_RATE_LIMIT = 1000.0

    call_command("poweroffice_probe", "--client", "999000111", "--output", str(tmp_path))

    [json_file] = tmp_path.glob("poweroffice-probe-sandbox-*.json")
    [text_file] = tmp_path.glob("poweroffice-probe-sandbox-*.txt")
    data = json.loads(json_file.read_text())
    assert data["behaviour"] == {"duplicates": "refuse_field", "write_answer": "full"}
    assert data["client"] == "Probe Demo AS (999000111)"
    assert [a["id"] for a in data["answers"]] == list(probe.QUESTIONS)
    out = capsys.readouterr().out
    assert str(json_file) in out and "Send the JSON file to the maintainers" in out
    tokens = [t for t in po_sandbox.app.tokens]
    for text in (json_file.read_text(), text_file.read_text(), out):
        for secret in (*SECRETS, *tokens):
            assert secret not in text


def test_report_write_names_files_after_mode_and_run(tmp_path):
    report = probe.ProbeReport(
        mode="demo", api_url="https://x/v2", client="A", run_number=3, started_at="now"
    )
    json_path, text_path = report_write(report, tmp_path / "out")
    assert json_path.name == "poweroffice-probe-demo-3.json"
    assert json.loads(json_path.read_text())["setting"] == ""
    assert "none decided" in text_path.read_text()
