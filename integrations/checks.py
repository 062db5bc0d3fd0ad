"""System checks: fail loudly when integrations are switched on but incomplete."""

from __future__ import annotations

from django.core import checks


@checks.register(checks.Tags.security)
def check_encryption_keys(app_configs=None, **kwargs):
    from django.core.exceptions import ImproperlyConfigured

    from .fields import encryption_keys, fernet

    if not encryption_keys():
        return [
            checks.Error(
                "FIELD_ENCRYPTION_KEYS is empty: connection secrets cannot be stored or read.",
                hint="Set FIELD_ENCRYPTION_KEYS to one or more Fernet keys (newest first).",
                id="integrations.E001",
            )
        ]
    try:
        fernet()
    except ImproperlyConfigured as err:
        return [checks.Error(str(err), id="integrations.E002")]
    return []
