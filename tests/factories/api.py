"""Factories for the inbound API: tokens are issued through the service (so they are hashed)."""

import factory

from api.models import ApiToken
from api.tokens import api_token_issue
from tests.factories.accounting import ClientFactory

__all__ = ["ApiTokenFactory"]


class ApiTokenFactory(factory.django.DjangoModelFactory):
    """`ApiTokenFactory()` saves a token; its full text is on `.plaintext` (test objects only)."""

    class Meta:
        model = ApiToken

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Source system {n}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        token = model_class(*args, **kwargs)
        token.plaintext = api_token_issue(token=token, by=None)
        return token
