"""Encrypted model fields: secrets at rest, readable only with a key from FIELD_ENCRYPTION_KEYS.

`settings.FIELD_ENCRYPTION_KEYS` is a list of Fernet keys, newest first. The first key encrypts;
every key decrypts (cryptography's MultiFernet). To rotate: put a new key first, deploy, run
`manage.py rotate_secrets` (re-encrypts every encrypted value with the first key), then drop the
old key. With no key configured, any use raises ImproperlyConfigured and a system check fails.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

_cache: dict[tuple[str, ...], MultiFernet] = {}


def encryption_keys() -> tuple[str, ...]:
    return tuple(k for k in getattr(settings, "FIELD_ENCRYPTION_KEYS", ()) if k)


def fernet() -> MultiFernet:
    """The MultiFernet for the configured keys; ImproperlyConfigured when there is none."""
    keys = encryption_keys()
    if not keys:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is empty: secrets cannot be encrypted or read. "
            "Set at least one Fernet key in the environment."
        )
    if keys not in _cache:
        try:
            _cache[keys] = MultiFernet([Fernet(key) for key in keys])
        except (ValueError, TypeError) as err:
            # The message never includes the key itself.
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEYS holds a value that is not a valid Fernet key "
                "(32 url-safe base64-encoded bytes)."
            ) from err
    return _cache[keys]


def encrypt_text(plain: str) -> str:
    return fernet().encrypt(plain.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as err:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS "
            "(was a key removed before `rotate_secrets` ran?)."
        ) from err


class EncryptedJSONField(models.TextField):
    """A JSON dict stored as one Fernet token. Reads give a dict; writes always use the first
    key. Not searchable, not orderable; never put it in list_display or search_fields."""

    description = _("Encrypted JSON")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", dict)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for key, value in (("default", dict), ("blank", True), ("editable", False)):
            if kwargs.get(key) == value:
                kwargs.pop(key)
        return name, path, args, kwargs

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return {}
        return json.loads(decrypt_text(value))

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        if value in (None, ""):
            return {}
        return json.loads(decrypt_text(value))

    def get_prep_value(self, value):
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise TypeError(f"{self.name} holds a dict of secrets, not {type(value).__name__}")
        return encrypt_text(json.dumps(value, sort_keys=True))

    def value_to_string(self, obj):
        # Serialisation (dumpdata) never writes plain secrets.
        return "***"


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every concrete model with encrypted fields, and the names of those fields."""
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedJSONField)]
        if names:
            found.append((model, names))
    return found


def encrypted_values_rotate() -> int:
    """Re-encrypt every encrypted value with the first key. Returns the number of rows saved."""
    fernet()  # fail before touching anything when no key is configured
    count = 0
    for model, names in encrypted_fields():
        with transaction.atomic():
            for row in model._base_manager.select_for_update().only("pk", *names).iterator():
                model._base_manager.filter(pk=row.pk).update(
                    **{name: getattr(row, name) for name in names}
                )
                count += 1
    return count
