"""Create-or-update of register records by number: parse the document, call record_save.

What each register looks like to the API is declared once in a RegisterSpec; the routers are
built from it (routers/registers.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from ninja import Schema

from accounting.services import record_save

from .problems import FieldError, field_errors, pointer, validation_problem


@dataclass(frozen=True)
class Reference:
    """A foreign key sent as the other record's number or code: customer_number → customer."""

    api_field: str
    model_field: str
    model: type[models.Model]
    key: str = "number"


@dataclass(frozen=True)
class RegisterSpec:
    path: str  # "customers"
    model: type[models.Model]
    schema_in: type[Schema]
    schema_out: type[Schema]
    key_field: str = "number"
    key_type: type = int
    references: tuple[Reference, ...] = ()
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    #: Fields of the document handled after the record is saved: name → hook(record, value, by).
    nested: dict[str, Callable] = field(default_factory=dict)

    @property
    def rename(self) -> dict[str, str]:
        return {ref.model_field: ref.api_field for ref in self.references}


def references_resolve(
    *, client, data: dict, references: tuple[Reference, ...], prefix: tuple = ()
) -> dict[str, models.Model | None]:
    """Model field → referenced record for each reference sent; a 422 naming every unknown one."""
    resolved, errors = {}, []
    for ref in references:
        if ref.api_field not in data:
            continue
        value = data.pop(ref.api_field)
        if value is None:
            resolved[ref.model_field] = None
            continue
        record = ref.model.objects.filter(client=client, **{ref.key: value}).first()
        if record is None:
            message = _("There is no %(record)s %(value)s for this client.") % {
                "record": ref.model._meta.verbose_name,
                "value": value,
            }
            errors.append(FieldError(message, pointer(*prefix, ref.api_field)))
        resolved[ref.model_field] = record
    if errors:
        raise validation_problem(errors)
    return resolved


def saved_or_problem(save: Callable, *, prefix: tuple = (), rename=None):
    """Run a service call; its ValidationError becomes a 422 problem with body pointers."""
    try:
        return save()
    except ValidationError as error:
        raise validation_problem(field_errors(error, prefix=prefix, rename=rename)) from error


def register_upsert(
    *, spec: RegisterSpec, client, key, payload: Schema
) -> tuple[models.Model, bool]:
    """Create or update the client's record `key` from the fields sent; (record, created)."""
    data = payload.model_dump(exclude_unset=True)
    nested = {name: data.pop(name) for name in list(data) if name in spec.nested}
    record = spec.model.objects.filter(client=client, **{spec.key_field: key}).first()
    created = record is None
    if created:
        record = spec.model(client=client, **{spec.key_field: key})
    data.update(references_resolve(client=client, data=data, references=spec.references))
    for name, value in data.items():
        setattr(record, name, value)
    saved_or_problem(lambda: record_save(record=record, by=None), rename=spec.rename)
    for name, value in nested.items():
        if value is not None:
            spec.nested[name](record, value)
    return record, created
