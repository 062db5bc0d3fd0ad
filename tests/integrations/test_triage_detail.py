"""The failed transfer's page: what to fix with a link to the setting or record, an attempts
count that agrees with the attempts listed, the request shown only when it is the refused one,
and tables where raw JSON was shown."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from integrations.models import TransferKind, TransferStatus
from integrations.triage import transfer_triage
from pos.models import PosBatch
from tests.factories import CustomerFactory, UserFactory
from tests.factories.integrations import ConnectionFactory, TransferAttemptFactory, TransferFactory
from tests.factories.pos import PosSettingsFactory

pytestmark = pytest.mark.django_db

POS_FAILURE = (
    "1 of 2 records could not be imported\n"
    "POS sale 778: Object(s) not found: SalesOrderLines[0].ProductId 30 not found. "
    "(system poweroffice, HTTP 404)"
)


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_superuser=True))
    return client


def pos_batch_failure(connection):
    batch = PosBatch.objects.create(client=connection.client, business_date=dt.date(2025, 3, 14))
    transfer = TransferFactory(
        connection=connection, kind=TransferKind.POS_BATCH, status=TransferStatus.FAILED,
        content_type=ContentType.objects.get_for_model(PosBatch), object_id=batch.pk,
        object_repr=str(batch), object_number="", last_error=POS_FAILURE, attempts=1,
    )  # fmt: skip
    # The batch went on after the refused sale: the last call is the look-up that followed.
    TransferAttemptFactory(
        transfer=transfer, outcome="failed", http_status=204,
        request_summary="GET https://po.test/v2/SalesOrders?customerNo=10001",
    )  # fmt: skip
    return transfer


class TestWhatToFix:
    def test_unknown_pos_product_points_at_the_pos_settings_product_ids(self):
        connection = ConnectionFactory()
        settings = PosSettingsFactory(client=connection.client)
        triage = transfer_triage(transfer=pos_batch_failure(connection))
        assert triage.category == "pos_product"
        assert "product list" in triage.what_to_fix
        assert "deleted" not in triage.what_to_fix
        assert triage.fix_url == reverse("admin:pos_possettings_change", args=[settings.pk])
        assert triage.fix_label == "Open the POS settings (product ids)"

    def test_missing_product_id_setting_points_at_the_pos_settings(self):
        connection = ConnectionFactory()
        PosSettingsFactory(client=connection.client)
        transfer = pos_batch_failure(connection)
        transfer.last_error = (
            "1 of 1 records could not be imported\nPOS sale 9: no PowerOffice Go product id for "
            "12 % VAT (POS settings, “product id, 12 % VAT”)."
        )
        assert transfer_triage(transfer=transfer).category == "pos_product"

    def test_refused_record_links_to_the_record(self):
        customer = CustomerFactory(number=10042)
        connection = ConnectionFactory(client=customer.client)
        transfer = TransferFactory(
            connection=connection, status=TransferStatus.FAILED, object_number="10042",
            content_type=ContentType.objects.get_for_model(customer), object_id=customer.pk,
            last_error="Customer 10042: e-mail is not valid (HTTP 400)",
        )  # fmt: skip
        TransferAttemptFactory(transfer=transfer, outcome="failed", http_status=400,
                               request_summary="POST https://po.test/v2/Customers {}")
        triage = transfer_triage(transfer=transfer)
        assert triage.category == "validation"
        assert triage.fix_url == reverse("admin:accounting_customer_change", args=[customer.pk])
        assert triage.fix_label == "Open customer 10042"

    def test_deleted_record_gives_no_dead_link(self):
        customer = CustomerFactory(number=10043)
        connection = ConnectionFactory(client=customer.client)
        transfer = TransferFactory(
            connection=connection, status=TransferStatus.FAILED, object_number="10043",
            content_type=ContentType.objects.get_for_model(customer), object_id=customer.pk + 999,
            last_error="Customer 10043: refused (HTTP 400)",
        )  # fmt: skip
        TransferAttemptFactory(transfer=transfer, outcome="failed", http_status=400)
        assert transfer_triage(transfer=transfer).fix_url == ""


class TestFailurePage:
    def test_pos_failure_page_links_the_settings_and_lists_each_sale(self, superuser_client):
        connection = ConnectionFactory()
        settings = PosSettingsFactory(client=connection.client)
        transfer = pos_batch_failure(connection)
        page = superuser_client.get(
            reverse("admin:integrations_transfer_change", args=[transfer.pk])
        ).content.decode()
        settings_url = reverse("admin:pos_possettings_change", args=[settings.pk])
        assert f'href="{settings_url}" data-testid="fix-link"' in page
        assert 'data-testid="record-errors"' in page
        assert "<td>POS sale 778: Object(s) not found" in page
        # The look-up made after the refusal is not presented as the refused request.
        assert 'data-testid="failing-request"' not in page
        assert 'data-testid="no-failing-request"' in page

    def test_refused_request_is_shown_with_its_answer(self, superuser_client):
        transfer = TransferFactory(status=TransferStatus.FAILED, last_error="Refused (HTTP 400)")
        TransferAttemptFactory(transfer=transfer, outcome="failed", http_status=400,
                               request_summary="POST https://po.test/v2/Customers {\"Name\": 1}",
                               response_summary='{"title": "Validation failed"}')
        page = superuser_client.get(
            reverse("admin:integrations_transfer_change", args=[transfer.pk])
        ).content.decode()
        assert "POST https://po.test/v2/Customers" in page
        assert 'data-testid="failing-request"' in page

    def test_attempts_count_agrees_with_the_attempts_listed(self, superuser_client):
        transfer = TransferFactory(status=TransferStatus.FAILED, last_error="x", attempts=1)
        for number in range(1, 5):
            TransferAttemptFactory(transfer=transfer, number=number, outcome="failed")
        page = superuser_client.get(
            reverse("admin:integrations_transfer_change", args=[transfer.pk])
        ).content.decode()
        assert "4 in all, 1 since it was last re-queued" in page
        assert page.count('class="field-number"') >= 4

    def test_steps_params_and_answers_are_tables_not_json(self, superuser_client):
        transfer = TransferFactory(
            status=TransferStatus.FAILED, last_error="Refused (HTTP 400)",
            params={"numbers": "10001,10002"}, result={"fetched": 3, "failed": 1},
        )  # fmt: skip
        steps = [{"step": "customer", "action": "created", "external_id": "51"},
                 {"step": "invoice", "action": "refused", "detail": "HTTP 400"}]
        answer = {"title": "Validation failed", "errors": {"Lines[0].Quantity": ["Must be > 0"]}}
        TransferAttemptFactory(transfer=transfer, outcome="failed", http_status=400, steps=steps,
                               response_summary=json.dumps(answer))
        page = superuser_client.get(
            reverse("admin:integrations_transfer_change", args=[transfer.pk])
        ).content.decode()
        assert '<table class="steps-table">' in page
        assert "<td>customer</td><td>created</td><td>—</td><td>51</td>" in page
        assert '"step": "customer"' not in page and "&quot;step&quot;" not in page
        assert '<th scope="row">numbers</th><td>10001,10002</td>' in page
        assert '<th scope="row">failed</th><td>1</td>' in page
        assert "<td><code>Lines[0].Quantity</code></td><td>Must be &gt; 0</td>" in page
