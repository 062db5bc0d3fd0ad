"""Pure readers of imported rows: amounts, zips and how a match group becomes payments."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

import pytest

from integrations.errors import DataError
from integrations.poweroffice import parsing


def entry(entry_id, voucher_type, amount, balance=0.0, day="2026-03-20"):
    return parsing.parse_ledger_entry(
        {
            "Id": entry_id,
            "VoucherId": f"v{entry_id}",
            "VoucherNo": entry_id,
            "VoucherType": voucher_type,
            "Amount": amount,
            "Balance": balance,
            "VoucherDate": day,
        }
    )


class TestPaymentShares:
    def test_earlier_shares_do_not_change_when_a_later_payment_joins(self):
        invoice = entry(1, "OutgoingInvoice", 1000.0, balance=0.0)
        group = [
            invoice,
            entry(3, "BankJournal", -700.0, day="2026-03-25"),
            entry(2, "BankJournal", -300.0, day="2026-03-21"),
        ]

        shares = parsing.payment_shares(invoice, group)

        assert [(s.payment_entry.entry_id, s.amount) for s in shares] == [
            ("2", Decimal("300.00")),
            ("3", Decimal("700.00")),
        ]
        assert shares[0].external_reference == "v1/2"

    def test_one_payment_for_two_invoices_is_split_to_what_each_has_settled(self):
        first = entry(1, "OutgoingInvoice", 1000.0, balance=0.0)
        second = entry(2, "OutgoingInvoice", 500.0, balance=0.0)
        group = [first, second, entry(3, "BankJournal", -1500.0)]

        amounts = [s.amount for inv in (first, second) for s in parsing.payment_shares(inv, group)]

        assert amounts == [Decimal("1000.00"), Decimal("500.00")]

    def test_an_unpaid_invoice_or_a_credit_note_has_no_payments(self):
        unpaid = entry(1, "OutgoingInvoice", 1000.0, balance=1000.0)
        credit = entry(2, "OutgoingCreditNote", -1000.0, balance=0.0)
        group = [unpaid, credit, entry(3, "BankJournal", -50.0)]

        assert parsing.payment_shares(unpaid, group) == []
        assert parsing.payment_shares(credit, group) == []


class TestCostRow:
    def test_amount_includes_vat_and_bad_numbers_name_the_row(self):
        row = {
            "Id": 5,
            "VoucherId": "v",
            "VoucherNo": 9,
            "AccountNo": 4300,
            "Amount": 99.99,
            "VatAmount": 25.0,
            "VoucherDate": "2026-03-01",
            "PostingDate": "2026-03-01",
        }

        assert parsing.parse_cost_row(row).amount_incl_vat == Decimal("124.99")
        with pytest.raises(DataError, match=r"Account transaction 5 \(voucher 9\): Amount “x”"):
            parsing.parse_cost_row({**row, "Amount": "x"})


def test_unzip_drops_directories_and_keeps_base_names():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("scans/", b"")
        archive.writestr("scans/a.pdf", b"%PDF a")

    assert parsing.unzip_documents(buffer.getvalue(), where="V1") == [("a.pdf", b"%PDF a")]
    assert parsing.unzip_documents(b"", where="V1") == []
    with pytest.raises(DataError, match="V1: the documentation download is not a zip"):
        parsing.unzip_documents(b"not a zip", where="V1")
