"""Factories for the Azets connector: a sandbox-mode connection with its settings."""

import factory

from integrations.azets import sandbox
from integrations.azets.models import AzetsSettings
from integrations.models import System
from tests.factories.integrations import ConnectionFactory


class AzetsConnectionFactory(ConnectionFactory):
    system = System.AZETS
    secrets = factory.LazyFunction(
        lambda: {"username": sandbox.DEFAULT_USERNAME, "password": sandbox.DEFAULT_PASSWORD}
    )


class AzetsSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AzetsSettings

    connection = factory.SubFactory(AzetsConnectionFactory)
    source_client_id = sandbox.DEFAULT_SOURCE_CLIENT_ID
    parent_client_id = sandbox.DEFAULT_PARENT_CLIENT_ID
    expense_activity_name = "Expenses"
