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


def links_for_objects(
    *, connection: Connection, objs: list[models.Model]
) -> dict[tuple[type, Any], ExternalLink | None]:
    """The links of several objects on `connection` in one query: {(model, pk): link or None}."""
    found: dict[tuple[type, Any], ExternalLink | None] = {}
    wanted = models.Q(pk__in=[])
    types: dict[int, type] = {}
    for obj in objs:
        content_type = ContentType.objects.get_for_model(obj)
        types[content_type.pk] = type(obj)
        found[(type(obj), obj.pk)] = None
        wanted |= models.Q(content_type=content_type, object_id=obj.pk)
    if found:
        for link in ExternalLink.objects.filter(wanted, connection=connection):
            key = (types[link.content_type_id], link.object_id)
            if key in found:
                found[key] = link
    return found


def link_for_external_id(
    *, connection: Connection, model: type[models.Model], external_id: str
) -> ExternalLink | None:
    return ExternalLink.objects.filter(
        connection=connection,
        content_type=ContentType.objects.get_for_model(model),
        external_id=str(external_id),
    ).first()


def external_link_bind(
    *, connection: Connection, obj: models.Model, external_id: str, content_hash: str = "",
    unbound: bool = False,
) -> ExternalLink:
    """Bind `obj` to `external_id` on `connection` (create or move the link), stamp the sync.
    `unbound`: the caller has just seen the object without a link (a document under its export
    lease), so the link is inserted straight away; should one exist after all, it is moved.

    Raises DataError when the external id is already bound to another of our objects.
    """
    content_type = ContentType.objects.get_for_model(obj)
    values = {"external_id": str(external_id), "content_hash": content_hash,
              "synced_at": timezone.now()}  # fmt: skip
    key = {"connection": connection, "content_type": content_type, "object_id": obj.pk}
    try:
        if unbound:
            try:
                with transaction.atomic():
                    return ExternalLink.objects.create(**key, **values)
            except IntegrityError:
                pass  # bound meanwhile, or the external id is taken: the general way decides
        with transaction.atomic():
            link, _created = ExternalLink.objects.update_or_create(**key, defaults=values)
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
