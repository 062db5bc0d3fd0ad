"""A document's dependencies cost nothing when they are already sent and unchanged (issue 19)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.base import BaseExporter, TransferContext
from integrations.models import ExternalLink
from integrations.registry import get_connector
from tests.factories.accounting import CustomerFactory
from tests.factories.integrations import ExternalLinkFactory, TransferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def exporter(connection):
    transfer = TransferFactory(connection=connection)
    return BaseExporter(TransferContext(transfer=transfer, connector=get_connector("poweroffice")))


def test_a_bound_unchanged_dependency_is_not_sent_again(exporter, connection):
    customer = CustomerFactory(client=connection.client)
    ExternalLinkFactory(connection=connection, object=customer, external_id="77",
                        synced_at=timezone.now() + timedelta(seconds=1))  # fmt: skip
    assert exporter.dependency_current(customer)


def test_a_dependency_changed_after_its_last_send_is_sent_first(exporter, connection):
    customer = CustomerFactory(client=connection.client)
    ExternalLinkFactory(connection=connection, object=customer, external_id="77",
                        synced_at=timezone.now() - timedelta(minutes=1))  # fmt: skip
    assert not exporter.dependency_current(customer)


def test_an_unbound_dependency_is_sent_first(exporter, connection):
    assert not exporter.dependency_current(CustomerFactory(client=connection.client))


def test_a_link_is_read_once_per_attempt(exporter, connection, django_assert_num_queries):
    customer = CustomerFactory(client=connection.client)
    ExternalLinkFactory(connection=connection, object=customer, external_id="77")
    with django_assert_num_queries(1):
        for _ in range(3):
            assert exporter.context.link_of(customer).external_id == "77"
    assert ExternalLink.objects.count() == 1
