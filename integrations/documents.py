"""Exactly once for documents, whatever the remote system answers; and one exporter per object.

- `DocumentSend` rows (see the model) record a send before it goes out. `document_send_begin()`
  commits one before the request; `document_send_posted()` notes the external id when the
  document is bound but its follow-up failed; `document_send_finish()` removes it when the
  follow-up work is done; `document_send_forget()` removes it when the system refused the
  document and a look-up showed it absent. Every step is its own short transaction: nothing is
  held while a request waits.
- `export_lease()` keeps two workers from exporting one object to one connection at the same
  time, without a database lock held across HTTP: a lease row, taken and released in short
  transactions, that another transfer can take over once its holder no longer runs.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import DataError, Deferred
from .models import Connection, DocumentSend, ExportLease, ExternalLink, TransferStatus


def _key(connection: Connection, obj: models.Model) -> dict:
    return {
        "connection": connection,
        "content_type": ContentType.objects.get_for_model(obj),
        "object_id": obj.pk,
    }


def document_reference_of(document: models.Model) -> str:
    """A document's stored transfer reference (accounting.references), the same for every
    attempt; DataError when it has none yet (not finalized, invoiced or batched)."""
    reference = getattr(document, "transfer_reference", "")
    if not reference:
        raise DataError(
            _("%(record)s has no transfer reference: it is given when the document is "
              "finalized, invoiced or batched.") % {"record": document},
            record=str(document), field="transfer_reference",
        )  # fmt: skip
    return reference


# -- document sends ------------------------------------------------------------------------------
def document_send_for(*, connection: Connection, obj: models.Model) -> DocumentSend | None:
    return DocumentSend.objects.filter(**_key(connection, obj)).first()


def document_send_begin(
    *, connection: Connection, obj: models.Model, reference: str,
    known: DocumentSend | None | bool = False,
) -> DocumentSend:
    """Record (and commit) that `obj` is about to be sent with `reference`.

    `known`: the send the caller read under the export lease (None: there was none), so one
    statement records it; left out, the row is read first."""
    values = {"reference": reference, "sent_at": timezone.now(), "external_id": ""}
    key = _key(connection, obj)
    if known is None:
        try:
            with transaction.atomic():
                return DocumentSend.objects.create(**key, **values)
        except IntegrityError:
            pass  # recorded meanwhile: the general way below
    elif known is not False and DocumentSend.objects.filter(pk=known.pk).update(**values):
        for name, value in values.items():
            setattr(known, name, value)
        return known
    with transaction.atomic():
        send, _created = DocumentSend.objects.update_or_create(**key, defaults=values)
    return send


def documents_with_state(queryset: models.QuerySet, *, connection: Connection) -> models.QuerySet:
    """`queryset` with each document's link and send on `connection` in the same statement
    (read back with `document_state_of`)."""
    content_type = ContentType.objects.get_for_model(queryset.model)
    links = ExternalLink.objects.filter(
        connection=connection, content_type=content_type, object_id=models.OuterRef("pk")
    )
    sends = DocumentSend.objects.filter(
        connection=connection, content_type=content_type, object_id=models.OuterRef("pk")
    )
    annotations = {f"_lb_link_{name}": models.Subquery(links.values(name)[:1])
                   for name in ("id", "external_id", "content_hash", "synced_at")}  # fmt: skip
    annotations |= {f"_lb_send_{name}": models.Subquery(sends.values(name)[:1])
                    for name in ("id", "reference", "sent_at", "external_id")}  # fmt: skip
    return queryset.annotate(**annotations)


def document_state_of(
    obj: models.Model, *, connection: Connection
) -> tuple[ExternalLink | None, DocumentSend | None]:
    """(link, send) of a document loaded through `documents_with_state`."""
    content_type = ContentType.objects.get_for_model(obj)
    key = {"connection": connection, "content_type": content_type, "object_id": obj.pk}
    link = send = None
    if obj._lb_link_id is not None:
        link = ExternalLink(
            pk=obj._lb_link_id, **key, external_id=obj._lb_link_external_id,
            content_hash=obj._lb_link_content_hash, synced_at=obj._lb_link_synced_at,
        )  # fmt: skip
    if obj._lb_send_id is not None:
        send = DocumentSend(
            pk=obj._lb_send_id, **key, reference=obj._lb_send_reference,
            sent_at=obj._lb_send_sent_at, external_id=obj._lb_send_external_id,
        )  # fmt: skip
    return link, send


def document_send_posted(*, send: DocumentSend, external_id: str) -> None:
    DocumentSend.objects.filter(pk=send.pk).update(external_id=str(external_id))
    send.external_id = str(external_id)


def document_send_finish(*, send: DocumentSend) -> None:
    DocumentSend.objects.filter(pk=send.pk).delete()


document_send_forget = document_send_finish


# -- export leases -------------------------------------------------------------------------------
@contextmanager
def export_lease(*, context, obj: models.Model):
    """Hold the lease on exporting `obj` to the context's connection for the block. Re-entrant
    within one attempt (an object reached twice through dependencies). Raises Deferred when
    another running transfer holds it."""
    content_type = ContentType.objects.get_for_model(obj)
    with _lease_held(context, content_type_id=content_type.pk, object_id=obj.pk, label=obj):
        yield


@contextmanager
def transfer_object_lease(*, context):
    """The export lease on the object of the context's transfer, taken before the object is
    read: a document is then read once, under its lease (`DocumentExporter.export_transfer`).
    `export_lease` on the same object inside the block is a no-op."""
    transfer = context.transfer
    with _lease_held(
        context, content_type_id=transfer.content_type_id, object_id=transfer.object_id,
        label=transfer.describe_object(),
    ):  # fmt: skip
        yield


@contextmanager
def _lease_held(context, *, content_type_id: int, object_id: int, label):
    key = {"connection": context.connection, "content_type_id": content_type_id,
           "object_id": object_id}  # fmt: skip
    token = (content_type_id, object_id)
    held = context.leases
    if token in held:
        yield
        return
    transfer = context.transfer
    holder = {"transfer": transfer, "attempt": transfer.attempts}
    expires = timezone.now() + timedelta(seconds=settings.INTEGRATIONS_LEASE_SECONDS)
    if not _lease_take(key, holder, expires):
        raise Deferred(
            _("%(object)s is being sent by another transfer; this one waits for it.")
            % {"object": label},
            delay=5.0,
        )
    held.add(token)
    try:
        yield
    finally:
        held.discard(token)
        ExportLease.objects.filter(**key, **holder).delete()


def _lease_take(key: dict, holder: dict, expires) -> bool:
    """Create the lease, or take it over (compare and swap on its holder) when its holder is
    this transfer, no longer runs, or let it expire."""
    try:
        with transaction.atomic():
            ExportLease.objects.create(**key, **holder, expires_at=expires)
        return True
    except IntegrityError:
        pass
    lease = ExportLease.objects.filter(**key).select_related("transfer").first()
    if lease is None:  # released meanwhile
        return _lease_take(key, holder, expires)
    stale = (
        lease.expires_at < timezone.now()
        or lease.transfer_id == holder["transfer"].pk
        or lease.transfer.status != TransferStatus.RUNNING
    )
    if not stale:
        return False
    swapped = ExportLease.objects.filter(
        pk=lease.pk, transfer_id=lease.transfer_id, attempt=lease.attempt
    ).update(transfer=holder["transfer"], attempt=holder["attempt"], expires_at=expires)
    return bool(swapped)
