import pytest
from django.core.management.base import CommandError

from accounting.management.clients import client_argument
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def test_a_client_is_named_by_id_organization_number_or_name():
    client = ClientFactory(name="Fjordkafé AS", organization_number="912345678")
    ClientFactory(name="Other AS")

    assert client_argument(str(client.pk)) == client
    assert client_argument("912345678") == client
    assert client_argument("912 345 678") == client
    assert client_argument("fjordkafé as") == client


def test_an_unknown_or_ambiguous_client_is_refused_with_the_value_named():
    ClientFactory(name="Twin AS")
    ClientFactory(name="twin as")

    with pytest.raises(CommandError, match="“Twin AS”"):
        client_argument("Twin AS")
    with pytest.raises(CommandError, match="“999999999”"):
        client_argument("999999999")
