"""Statements a finalization costs: the same for an invoice of 1 line as for one of 20."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounting.services import invoice_finalize
from tests.factories import InvoiceFactory, InvoiceLineFactory, UserFactory

pytestmark = pytest.mark.django_db


def _finalize_statements(lines: int) -> list[str]:
    invoice = InvoiceFactory()
    account = InvoiceLineFactory(invoice=invoice).account
    for _n in range(lines - 1):
        InvoiceLineFactory(invoice=invoice, account=account)
    user = UserFactory()
    with CaptureQueriesContext(connection) as captured:
        invoice_finalize(invoice=invoice, by=user)
    invoice.refresh_from_db()
    assert invoice.is_finalized and invoice.lines.count() == lines
    return [query["sql"] for query in captured.captured_queries]


def test_finalizing_20_lines_costs_the_statements_of_1_line():
    _finalize_statements(1)  # what a process reads once (content types) is read here
    one, twenty = _finalize_statements(1), _finalize_statements(20)
    assert len(twenty) == len(one), "\n".join(twenty)
    assert len(one) <= 25, "\n".join(one)
