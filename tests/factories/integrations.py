"""Factories for the integrations app (connections, transfers, attempts, links)."""

import factory
from django.contrib.contenttypes.models import ContentType

from accounting.models import Client
from integrations.models import (
    Connection,
    ExternalLink,
    Mode,
    System,
    Transfer,
    TransferAttempt,
    TransferKind,
    TransferStatus,
)
from integrations.triage import error_signature
from tests.factories.accounting import ClientFactory

TEST_CLIENT_KEY = "ck-secret-0123456789abcdef"


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    client = factory.SubFactory(ClientFactory)
    system = System.POWEROFFICE
    mode = Mode.SANDBOX
    enabled = True
    error_recipients = "errors@example.com"
    secrets = factory.LazyFunction(lambda: {"client_key": TEST_CLIENT_KEY})


class TransferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transfer

    connection = factory.SubFactory(ConnectionFactory)
    client = factory.SelfAttribute("connection.client")
    kind = TransferKind.CUSTOMER
    content_type = factory.LazyFunction(lambda: ContentType.objects.get_for_model(Client))
    object_id = factory.SelfAttribute("client.pk")
    object_repr = factory.LazyAttribute(lambda t: str(t.client))
    object_number = factory.LazyAttribute(lambda t: t.client.organization_number)
    # As the engine stores it: a failure carries the key of its cause (integrations.triage).
    status = TransferStatus.PENDING
    last_error = ""
    error_group = factory.LazyAttribute(
        lambda t: error_signature(t.last_error, t.object_number)
        if t.status == TransferStatus.FAILED
        else ""
    )


class TransferAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TransferAttempt

    transfer = factory.SubFactory(TransferFactory)
    number = 1


class ExternalLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExternalLink

    connection = factory.SubFactory(ConnectionFactory)
    content_type = factory.LazyFunction(lambda: ContentType.objects.get_for_model(Client))
    object_id = factory.SelfAttribute("connection.client.pk")
    external_id = factory.Sequence(lambda n: str(5000 + n))
