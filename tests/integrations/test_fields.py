"""Secrets are encrypted at rest; keys rotate without losing data."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection as db

from integrations.checks import check_encryption_keys
from integrations.models import Connection
from tests.factories.integrations import TEST_CLIENT_KEY, ConnectionFactory

pytestmark = pytest.mark.django_db
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def stored_token(connection) -> str:
    with db.cursor() as cursor:
        cursor.execute("SELECT secrets FROM integrations_connection WHERE id = %s", [connection.pk])
        return cursor.fetchone()[0]


def test_secrets_are_not_stored_in_plain_text(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    connection = ConnectionFactory()

    assert TEST_CLIENT_KEY not in stored_token(connection)
    assert Connection.objects.get(pk=connection.pk).secrets == {"client_key": TEST_CLIENT_KEY}


def test_old_key_still_decrypts_after_a_new_key_is_put_first(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    connection = ConnectionFactory()
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]

    assert Connection.objects.get(pk=connection.pk).secrets["client_key"] == TEST_CLIENT_KEY


def test_rotate_secrets_reencrypts_with_the_first_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    connection = ConnectionFactory()
    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]

    call_command("rotate_secrets", stdout=StringIO())

    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    assert Fernet(NEW).decrypt(stored_token(connection).encode())
    assert Connection.objects.get(pk=connection.pk).secrets["client_key"] == TEST_CLIENT_KEY


def test_a_secret_unreadable_with_every_key_fails_loudly_without_showing_it(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    connection = ConnectionFactory()
    settings.FIELD_ENCRYPTION_KEYS = [NEW]

    with pytest.raises(ImproperlyConfigured, match="cannot be decrypted") as info:
        Connection.objects.get(pk=connection.pk)
    assert TEST_CLIENT_KEY not in str(info.value)


def test_no_key_is_refused_on_use_and_by_the_system_check(settings):
    settings.FIELD_ENCRYPTION_KEYS = []

    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS is empty"):
        ConnectionFactory()
    assert [e.id for e in check_encryption_keys()] == ["integrations.E001"]
