"""An attempt that exports thousands of documents (a POS batch) does not grow with them."""

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext

from integrations.base import TransferContext
from integrations.registry import get_connector
from tests.factories.accounting import CustomerFactory
from tests.factories.integrations import ExternalLinkFactory, TransferFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def context(connection):
    transfer = TransferFactory(connection=connection)
    return TransferContext(transfer=transfer, connector=get_connector("poweroffice"))


def test_the_first_steps_are_kept_and_the_rest_counted(context):
    for n in range(TransferContext.STEPS_KEPT + 50):
        context.record_step("sale", action="created", external_id=str(n))

    assert len(context.steps) == TransferContext.STEPS_KEPT + 1
    assert context.steps[0]["external_id"] == "0"
    assert context.steps[-1] == {"step": "…", "action": "50 more not kept"}


def test_the_links_of_the_objects_used_last_are_kept_older_ones_read_again(context, connection):
    first = CustomerFactory(client=connection.client)
    link = ExternalLinkFactory(connection=connection, object=first, external_id="1")
    context.link_bound(first, link)
    later = CustomerFactory.create_batch(TransferContext.LINKS_KEPT, client=connection.client)
    for customer in later:
        context.link_bound(customer, None)

    with CaptureQueriesContext(db_connection) as recent:
        context.link_of(later[-1])
    with CaptureQueriesContext(db_connection) as evicted:
        assert context.link_of(first).external_id == "1"
    assert (len(recent), len(evicted)) == (0, 1)
