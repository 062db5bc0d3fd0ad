"""Two full credit notes of one invoice finalized at the same moment: only one may pass
(PostgreSQL: real concurrency)."""

import threading

import pytest
from django.db import close_old_connections, connection

from accounting.exceptions import AccountingError
from accounting.models import Invoice
from accounting.services import invoice_credit, invoice_finalize
from tests.factories import FinalizedInvoiceFactory


@pytest.mark.django_db(transaction=True)
def test_two_full_credit_notes_finalized_at_once_credit_the_invoice_only_once():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    invoice = FinalizedInvoiceFactory()
    notes = [invoice_credit(invoice=invoice, by=None) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def finalize(note):
        try:
            barrier.wait()
            invoice_finalize(invoice=Invoice.objects.get(pk=note.pk), by=None)
            outcomes.append("finalized")
        except AccountingError as err:
            outcomes.append(str(err))
        finally:
            close_old_connections()

    threads = [threading.Thread(target=finalize, args=(note,)) for note in notes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("finalized") == 1
    assert any("credits more than is left" in outcome for outcome in outcomes)
    assert invoice.credit_notes.filter(state=Invoice.State.FINALIZED).count() == 1
