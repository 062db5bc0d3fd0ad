"""ExternalLink services and selectors: the binding between our objects and external ids."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import DataError
from .models import Connection, ExternalLink


def payload_hash(payload: Any) -> str:
    """A stable SHA-256 of a payload (key order and Decimal/date types do not matter)."""
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def link_for_object(*, connection: Connection, obj: models.Model) -> ExternalLink | None:
    return ExternalLink.objects.filter(
        connection=connection,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
    ).first()


def link_for_external_id(
    *, connection: Connection, model: type[models.Model], external_id: str
) -> ExternalLink | None:
    return ExternalLink.objects.filter(
        connection=connection,
        content_type=ContentType.objects.get_for_model(model),
        external_id=str(external_id),
    ).first()


@transaction.atomic
def external_link_bind(
    *, connection: Connection, obj: models.Model, external_id: str, content_hash: str = ""
) -> ExternalLink:
    """Bind `obj` to `external_id` on `connection` (create or move the link), stamp the sync.

    Raises DataError when the external id is already bound to another of our objects.
    """
    content_type = ContentType.objects.get_for_model(obj)
    try:
        with transaction.atomic():
            link, _created = ExternalLink.objects.update_or_create(
                connection=connection,
                content_type=content_type,
                object_id=obj.pk,
                defaults={
                    "external_id": str(external_id),
                    "content_hash": content_hash,
                    "synced_at": timezone.now(),
                },
            )
    except IntegrityError as err:
        other = link_for_external_id(
            connection=connection, model=type(obj), external_id=external_id
        )
        raise DataError(
            _("%(model)s %(record)s: external id %(id)s is already bound to %(model)s "
              "%(other)s on %(connection)s.")
            % {"model": content_type.name, "record": obj, "id": external_id,
               "other": other.object if other else "?", "connection": connection},
            record=str(obj),
            field="external_id",
        ) from err
    return link
