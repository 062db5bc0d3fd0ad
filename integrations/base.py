"""The shape every connector has: BaseConnector, BaseExporter, BaseImporter.

A connector is a registered `BaseConnector` subclass that maps transfer kinds to exporter and
importer classes. The engine builds a `TransferContext` per attempt and calls
`connector.run(transfer, context)`. Exporters and importers follow a fixed step order (see
CONVENTIONS.md and ADDING_A_CONNECTOR.md); subclasses fill in hooks, never reorder the steps.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, models, transaction
from django.utils import formats
from django.utils.translation import gettext as _

from .documents import (
    document_reference_of,
    document_send_begin,
    document_send_finish,
    document_send_for,
    document_send_forget,
    document_send_posted,
    document_state_of,
    documents_with_state,
    export_lease,
    transfer_object_lease,
)
from .errors import (
    AuthError,
    ConnectionIncomplete,
    ConnectionMisconfigured,
    DataError,
    OutcomeUnknown,
    PermanentError,
    TransientError,
)
from .links import (
    external_link_bind,
    link_for_external_id,
    link_for_object,
    links_for_objects,
    payload_hash,
)
from .models import Connection, Operation, Transfer

SUCCEEDED = "succeeded"
SKIPPED = "skipped"


@dataclass
class ConnectionTestResult:
    ok: bool
    message: str


@dataclass(frozen=True)
class PosProduct:
    """A product in the accounting system a POS product id may name (shown to pick from)."""

    external_id: int
    code: str
    name: str
    sales_account: str = ""


@dataclass
class SecretField:
    """One secret a connector needs (rendered as a write-only password input in the admin)."""

    name: str
    label: str
    help_text: str = ""
    required: bool = True


@dataclass
class ExportResult:
    outcome: str  # SUCCEEDED or SKIPPED
    external_id: str = ""
    message: str = ""


@dataclass
class ImportReport:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # why records were skipped

    def as_result(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = data["errors"][:20]
        data["notes"] = data["notes"][:20]
        return data


class AlreadyImported(Exception):  # noqa: N818 - a signal, not an error
    """Raised by an importer's create()/update() when the record turned out to be stored
    already (e.g. by an overlapping run that won a unique constraint): counted as skipped."""


class TransferContext:
    """What one attempt knows and records: transfer, connection, API client, steps, exchange.

    An attempt may export thousands of documents (a POS batch): it keeps the links of the
    `LINKS_KEPT` objects it used last (older ones are read again if needed) and its first
    `STEPS_KEPT` steps (the rest are counted in a last step), so its memory and the attempt's
    stored record do not grow with the batch."""

    LINKS_KEPT = 256
    STEPS_KEPT = 100

    def __init__(self, *, transfer: Transfer, connector: BaseConnector) -> None:
        self.transfer = transfer
        self.connection: Connection = transfer.connection
        self.connector = connector
        self.params: dict[str, Any] = dict(transfer.params or {})
        self.steps: list[dict[str, Any]] = []
        self.leases: set[tuple[int, int]] = set()  # export leases this attempt holds
        self._client: Any = None
        # Links of objects used this attempt, most recently used last.
        self._links: OrderedDict[tuple[type, int], Any] = OrderedDict()
        self._steps_left_out = 0

    def link_of(self, obj: models.Model):
        """The object's link on this connection, read once per attempt (dependencies, ids of
        bound records); a document's own link is always read afresh under its lease."""
        key = (type(obj), obj.pk)
        if key in self._links:
            self._links.move_to_end(key)
        else:
            self._links[key] = link_for_object(connection=self.connection, obj=obj)
            self._links_trim()
        return self._links[key]

    def links_prefetch(self, objs: Iterable[models.Model | None]) -> None:
        """Read the links of several objects at once (a document and its dependencies)."""
        wanted = [o for o in objs if o is not None and (type(o), o.pk) not in self._links]
        if wanted:
            self._links.update(links_for_objects(connection=self.connection, objs=wanted))
            self._links_trim()

    def link_bound(self, obj: models.Model, link) -> None:
        key = (type(obj), obj.pk)
        self._links[key] = link
        self._links.move_to_end(key)
        self._links_trim()

    def _links_trim(self) -> None:
        while len(self._links) > self.LINKS_KEPT:
            self._links.popitem(last=False)

    @property
    def client(self) -> Any:
        """The connector's API client for this connection, built once per attempt."""
        if self._client is None:
            try:
                self._client = self.connector.client_for(self.connection)
            except ConnectionIncomplete:
                raise
            except ConnectionMisconfigured as err:
                raise ConnectionIncomplete(str(err)) from err
        return self._client

    @property
    def has_client(self) -> bool:
        return self._client is not None

    def record_step(
        self, step: str, *, action: str, obj: Any = None, external_id: str = "", detail: str = ""
    ) -> None:
        """Note one thing done in this attempt, e.g. ("customer", action="created",
        external_id="123"). Shown on the attempt row in the admin."""
        entry = {"step": step, "action": action}
        if obj is not None:
            entry["object"] = str(obj)[:100]
        if external_id:
            entry["external_id"] = str(external_id)
        if detail:
            entry["detail"] = detail[:300]
        if len(self.steps) < self.STEPS_KEPT:
            self.steps.append(entry)
            return
        self._steps_left_out += 1
        if self._steps_left_out == 1:
            self.steps.append({})  # the last step counts the ones left out
        self.steps[-1] = {
            "step": "…",
            "action": _("%(count)d more not kept") % {"count": self._steps_left_out},
        }

    def progress(self, *, done: int, total: int | None = None, **counts: int) -> None:
        """Store progress on the transfer at once (outside any transaction) for the admin."""
        result = {**(self.transfer.result or {}), "done": done, **counts}
        if total is not None:
            result["total"] = total
        self.transfer.result = result
        Transfer.objects.filter(pk=self.transfer.pk).update(result=result)


class SkipRecord(Exception):
    """Raised by an importer hook (parse, create) for a record that is deliberately not imported
    (an unknown project, an account outside the range, a rule saying "ignore"): counted as
    skipped, with the reason kept among the report's notes, and the import goes on."""


class BaseConnector:
    """One external system. Subclasses set the class attributes and implement `client_for` and
    `test_connection`; the rest is shared."""

    system: ClassVar[str] = ""
    # Name of the settings dict {mode: base URL}, e.g. "POWEROFFICE_BASE_URLS".
    base_urls_setting: ClassVar[str] = ""
    exporters: ClassVar[Mapping[str, type[BaseExporter]]] = {}
    importers: ClassVar[Mapping[str, type[BaseImporter]]] = {}
    secret_fields: ClassVar[tuple[SecretField, ...]] = ()
    # InlineModelAdmin classes for connector-owned settings models (one-to-one with Connection).
    admin_inlines: ClassVar[tuple[type, ...]] = ()
    # Related names of those settings models that transfers read (loaded with the transfer).
    connection_related: ClassVar[tuple[str, ...]] = ()

    def handles(self, kind: str) -> bool:
        return kind in self.exporters or kind in self.importers

    def base_url(self, connection: Connection) -> str:
        urls = getattr(settings, self.base_urls_setting, None) or {}
        url = urls.get(connection.mode, "")
        if not url:
            raise ConnectionMisconfigured(
                _("%(connection)s: no base URL for mode “%(mode)s” (settings.%(setting)s).")
                % {"connection": connection, "mode": connection.mode,
                   "setting": self.base_urls_setting or "?"}
            )
        return url.rstrip("/")

    def missing_secrets(self, secrets: dict) -> list[SecretField]:
        """The secret fields still to be entered (connectors with alternatives override)."""
        return [f for f in self.secret_fields if f.required and not secrets.get(f.name)]

    def require_secrets(self, connection: Connection) -> dict[str, str]:
        """The connection's secrets; ConnectionMisconfigured naming any missing one."""
        secrets = connection.secrets or {}
        missing = [f.label for f in self.missing_secrets(secrets)]
        if missing:
            raise ConnectionMisconfigured(
                _("%(connection)s: missing %(fields)s.")
                % {"connection": connection, "fields": ", ".join(map(str, missing))}
            )
        return secrets

    def client_for(self, connection: Connection) -> Any:
        """Build the API client (an ApiSession subclass) for this connection."""
        raise NotImplementedError(f"{type(self).__name__} must implement client_for()")

    def test_connection(self, connection: Connection) -> ConnectionTestResult:
        """Check credentials and reachability with one cheap call. May raise IntegrationError."""
        raise NotImplementedError(f"{type(self).__name__} must implement test_connection()")

    def pos_settings_test(self, pos_settings: Any) -> ConnectionTestResult:
        """Check a client's POS settings (pos.PosSettings) against this system: the keys and
        every configured product id. Connectors that take POS sales override this."""
        return ConnectionTestResult(
            False, _("%(system)s does not take POS sales.") % {"system": self.system}
        )

    def fetch_pos_products(self, pos_settings: Any) -> list[PosProduct]:
        """The products a client's POS settings may name, fetched from this system, to pick
        from. Connectors that take POS sales override this."""
        raise ConnectionMisconfigured(
            _("%(system)s does not take POS sales.") % {"system": self.system}
        )

    def run(self, transfer: Transfer, context: TransferContext) -> ExportResult | ImportReport:
        """Run the exporter or importer registered for the transfer's kind."""
        if transfer.kind in self.exporters:
            return self.exporters[transfer.kind](context).export_transfer(transfer)
        if transfer.kind in self.importers:
            return self.importers[transfer.kind](context).run()
        raise ConnectionMisconfigured(
            _("%(connector)s does not handle %(kind)s transfers.")
            % {"connector": type(self).__name__, "kind": transfer.get_kind_display()}
        )


class BaseExporter:
    """Export one object. Fixed order (do not override `export`):

    should_skip → ensure_dependencies → (lease) reload → write → (lease released)

    `write` for records that can change (registers): build_payload → (unchanged? skip) →
    find_existing → create or update → bind → after_export. `DocumentExporter` writes documents
    (vouchers, sales orders) once, looking them up whenever an earlier send's outcome is unknown.

    No database transaction or row lock is held while a request waits for an answer: the
    export lease keeps other workers off the object, and each write to our database is a short
    transaction of its own (claim → release → call → record).
    """

    kind: ClassVar[str] = ""
    # Exporters of objects that must exist remotely first; see dependency_objects().
    dependencies: ClassVar[tuple[type[BaseExporter], ...]] = ()
    # False for records that cannot change once sent: a bound object is skipped.
    updatable: ClassVar[bool] = True

    def __init__(self, context: TransferContext) -> None:
        self.context = context
        self.connection = context.connection

    @property
    def client(self) -> Any:
        return self.context.client

    # -- the template -------------------------------------------------------------------------
    def export_transfer(self, transfer: Transfer) -> ExportResult:
        """Export the transfer's object (the engine's way in, through `BaseConnector.run`)."""
        return self.export(self.load_existing(transfer), operation=transfer.operation)

    def load_existing(self, transfer: Transfer) -> models.Model:
        obj = self.load(transfer)
        if obj is None:
            raise DataError(
                _("%(object)s no longer exists.") % {"object": transfer.describe_object()}
            )
        return obj

    def export(self, obj: models.Model, *, operation: str = Operation.UPSERT) -> ExportResult:
        reason = self.should_skip(obj)
        if reason:
            self.context.record_step(self.kind, action=SKIPPED, obj=obj, detail=reason)
            return ExportResult(SKIPPED, message=reason)
        self.ensure_dependencies(obj)
        with export_lease(context=self.context, obj=obj):
            return self.write(self.reload(obj), operation)

    def write(self, obj: models.Model, operation: str) -> ExportResult:
        link = link_for_object(connection=self.connection, obj=obj)
        if link and (operation == Operation.CREATE or not self.updatable):
            return self._skip(obj, link.external_id, "already transferred")
        payload = self.build_payload(obj)
        digest = payload_hash(payload)
        if link and link.content_hash == digest:
            return self._skip(obj, link.external_id, "unchanged since the last transfer")
        if link is None:
            existing = self.find_existing(obj, payload)
            if existing:
                external_id, action = str(self.update(existing, payload) or existing), "matched"
            else:
                external_id, action = str(self.create(payload)), "created"
        else:
            external_id = str(self.update(link.external_id, payload) or link.external_id)
            action = "updated"
        self.bind(obj, external_id, digest)
        self.context.record_step(self.kind, action=action, obj=obj, external_id=external_id)
        self.after_export(obj, external_id)
        return ExportResult(SUCCEEDED, external_id=external_id)

    def _skip(self, obj, external_id: str, reason: str) -> ExportResult:
        self.context.record_step(
            self.kind, action=SKIPPED, obj=obj, external_id=external_id, detail=reason
        )
        return ExportResult(SKIPPED, external_id=external_id, message=reason)

    # -- hooks ----------------------------------------------------------------------------------
    def load(self, transfer: Transfer) -> models.Model | None:
        """The transfer's object (None when it no longer exists), with what the exporter reads
        before its lease (`reload_queryset`)."""
        model = (
            ContentType.objects.get_for_id(transfer.content_type_id).model_class()
            if transfer.content_type_id else None
        )  # fmt: skip
        if model is None or transfer.object_id is None:
            return transfer.object
        return self.load_queryset(model).filter(pk=transfer.object_id).first()

    def load_queryset(self, model: type[models.Model]) -> models.QuerySet:
        """The objects `load` reads from: `reload_queryset` (a document adds its link and send,
        `DocumentExporter`)."""
        return self.reload_queryset(model)

    def reload_queryset(self, model: type[models.Model]) -> models.QuerySet:
        """The objects, with the related rows the exporter reads (select_related)."""
        return model._default_manager.all()

    def object_date(self, obj: models.Model) -> date | None:
        """The business date compared with Connection.enabled_since (None: always export)."""
        return None

    def should_skip(self, obj: models.Model) -> str:
        """A reason not to export at all (empty string: go on)."""
        since, day = self.connection.enabled_since, self.object_date(obj)
        if since and day and day < since:
            return _("dated %(day)s, before the connection was enabled (%(since)s)") % {
                "day": formats.localize(day),
                "since": formats.localize(since)}
        return ""

    def dependency_objects(self, obj: models.Model) -> Iterable[tuple[type[BaseExporter], Any]]:
        """(exporter class, object) pairs to export first. Default: the attribute named after
        each dependency's kind (InvoiceExporter → invoice.customer, invoice.project)."""
        return [(dep, getattr(obj, dep.kind, None)) for dep in self.dependencies]

    def ensure_dependencies(self, obj: models.Model) -> None:
        for exporter_class, dependency in self.dependency_objects(obj):
            if dependency is not None and not self.dependency_current(dependency):
                exporter_class(self.context).export(dependency, operation=Operation.UPSERT)

    def dependency_current(self, dependency: models.Model) -> bool:
        """True when the record is bound on this connection and unchanged since it was last
        sent (`updated_at` not after the link's `synced_at`): nothing to send before the
        document, no lease, no reload. A later change is sent by the record's own transfer."""
        changed = getattr(dependency, "updated_at", None)
        link = self.context.link_of(dependency)
        return bool(link and changed and link.synced_at and changed <= link.synced_at)

    def reload(self, obj: models.Model) -> models.Model:
        """The object as stored now (the lease keeps other exports of it away; no lock)."""
        return self.reload_queryset(type(obj)).get(pk=obj.pk)

    def build_payload(self, obj: models.Model) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement build_payload()")

    def find_existing(self, obj: models.Model, payload: dict[str, Any]) -> str | None:
        """External id of a remote record that already is this object (e.g. same number)."""
        return None

    def create(self, payload: dict[str, Any]) -> str:
        """Create remotely; return the external id."""
        raise NotImplementedError(f"{type(self).__name__} must implement create()")

    def update(self, external_id: str, payload: dict[str, Any]) -> str | None:
        """Update remotely; return the (possibly new) external id or None to keep it."""
        raise NotImplementedError(f"{type(self).__name__} cannot update; set updatable = False")

    def bind(
        self, obj: models.Model, external_id: str, content_hash: str, *, unbound: bool = False
    ) -> None:
        """Bind `obj` (`unbound`: seen without a link under its lease: one insert)."""
        link = external_link_bind(
            connection=self.connection, obj=obj, external_id=external_id,
            content_hash=content_hash, unbound=unbound,
        )  # fmt: skip
        self.context.link_bound(obj, link)

    def after_export(self, obj: models.Model, external_id: str) -> None:
        """Extra work after binding (attachments, sending). For documents it is repeated by the
        next attempt until it has finished once, so it must be safe to repeat."""


class DocumentExporter(BaseExporter):
    """A document that is created once and never updated: a voucher, a sales order.

    It carries its fixed reference (`reference()`, stored on the document when it was finalized
    or batched). The send is recorded before it goes out (`DocumentSend`), so whenever an
    earlier send's outcome is unknown (a lost answer, a 5xx, a 2xx without a usable body, a
    worker killed mid-request) the next attempt first looks the document up (`look_up()`, by
    what we are master of) and binds what it finds; it sends again only when the look-up shows
    the document absent. A refusal of the send triggers the same look-up before the transfer
    fails. Nothing here depends on the remote system refusing duplicates, nor on its words.

    The engine's transfer of a document takes the lease first and reads the document once,
    under it (`export_transfer`): (lease) load with link and send → should_skip →
    ensure_dependencies → write → (lease released).
    """

    updatable = False

    #: The document `export_transfer` read under its lease, with its link and send (`_state`).
    _read_under_lease: models.Model | None = None
    _state: tuple | None = None

    def export_transfer(self, transfer: Transfer) -> ExportResult:
        """The lease first, then the document, read once with its link and send: nothing is
        read before the lease only to be read again under it. (`export` of a document loaded
        elsewhere, e.g. a POS batch's sale, reloads it under the lease instead.)"""
        if transfer.content_type_id is None or transfer.object_id is None:
            return super().export_transfer(transfer)
        with transfer_object_lease(context=self.context):
            obj = self.load_existing(transfer)
            self._state = (obj.pk, *document_state_of(obj, connection=self.connection))
            self._read_under_lease = obj
            try:
                return self.export(obj, operation=transfer.operation)
            finally:
                self._read_under_lease = None

    def load_queryset(self, model: type[models.Model]) -> models.QuerySet:
        return self._with_state(model)

    def _with_state(self, model: type[models.Model]) -> models.QuerySet:
        return documents_with_state(self.reload_queryset(model), connection=self.connection)

    def should_skip(self, obj: models.Model) -> str:
        # The dependencies' links in one read (and the document's own, unless it was read with
        # the document under its lease).
        state = self._state[1:] if obj is self._read_under_lease else None
        if state is not None:
            self.context.link_bound(obj, state[0])
        self.context.links_prefetch(
            [obj, *(dependency for _exporter, dependency in self.dependency_objects(obj))]
        )
        link = self.context.link_of(obj)
        if link is not None:
            send = state[1] if state is not None else document_send_for(
                connection=self.connection, obj=obj
            )  # fmt: skip
            if send is None:
                return _("already transferred as %(id)s") % {"id": link.external_id}
        return super().should_skip(obj)

    def reload(self, obj: models.Model) -> models.Model:
        """The document as stored now, with its link and send read in the same statement (no
        read at all when `export_transfer` read it under the lease already)."""
        if obj is self._read_under_lease:
            return obj
        obj = self._with_state(type(obj)).get(pk=obj.pk)
        self._state = (obj.pk, *document_state_of(obj, connection=self.connection))
        return obj

    def reference(self, obj: models.Model) -> str:
        return document_reference_of(obj)

    def look_up(self, obj: models.Model, payload: dict[str, Any]) -> str | None:
        """External id of this document if the system holds it (by its reference, number and
        date), else None. Must not send anything."""
        raise NotImplementedError(f"{type(self).__name__} must implement look_up()")

    def write(self, obj: models.Model, operation: str) -> ExportResult:
        # True when an earlier attempt sent the document (found by the look-up, or bound and
        # its follow-up unfinished): after_export then checks before repeating an action.
        self.sent_before = False
        state = getattr(self, "_state", None)  # read with the document under the lease
        if state is not None and state[0] == obj.pk:
            _pk, link, send = state
        else:  # a subclass reloaded the document its own way
            link = link_for_object(connection=self.connection, obj=obj)
            send = document_send_for(connection=self.connection, obj=obj)
        self._state = None
        if link is not None:
            if send is None:
                return self._skip(obj, link.external_id, "already transferred")
            self.sent_before = True
            return self._finish(obj, link.external_id, send, "completed")
        payload = self.build_payload(obj)
        external_id = self._look_up(obj, payload, _("the outcome of the last send was unknown")) \
            if send is not None else None  # fmt: skip
        action = "recovered" if external_id else "created"
        if external_id is None:
            send = document_send_begin(
                connection=self.connection, obj=obj, reference=self.reference(obj), known=send
            )
            try:
                external_id = str(self.create(payload))
            except AuthError:
                raise  # nothing was processed; the connection waits for new credentials
            except PermanentError:
                external_id = self._look_up(obj, payload, _("the send was refused"))
                if external_id is None:
                    document_send_forget(send=send)
                    raise
                action = "recovered"
            except (TransientError, DataError, ConnectionMisconfigured):
                raise  # transient: the send stays recorded and is looked up next time
            except Exception as err:  # an answer we cannot read: it was probably stored
                raise OutcomeUnknown(
                    _("The answer to sending %(record)s could not be read (%(error)s); whether "
                      "it was stored will be checked before it is sent again.")
                    % {"record": obj, "error": f"{type(err).__name__}: {err}"},
                ) from err
        self.bind(obj, external_id, payload_hash(payload), unbound=True)
        self.context.record_step(self.kind, action=action, obj=obj, external_id=external_id)
        return self._finish(obj, external_id, send, action)

    def _finish(self, obj, external_id: str, send, action: str) -> ExportResult:
        try:
            self.after_export(obj, external_id)
        except BaseException:
            # The follow-up is left to the next attempt: the send notes where the document is
            # (the link, bound already, is what the next attempt goes by). On success the
            # send is simply removed, so the happy path never writes this.
            if send.external_id != external_id:
                with contextlib.suppress(DatabaseError):
                    document_send_posted(send=send, external_id=external_id)
            raise
        document_send_finish(send=send)
        if action == "completed":
            self.context.record_step(self.kind, action=action, obj=obj, external_id=external_id,
                                     detail=_("bound earlier; the remaining steps are done"))
        return ExportResult(SUCCEEDED, external_id=external_id)

    def _look_up(self, obj, payload, why: str) -> str | None:
        found = self.look_up(obj, payload)
        self.sent_before = bool(found)
        if found:
            detail = _("%(why)s; found it there with reference %(reference)s: bound, not sent "
                       "again") % {"why": why, "reference": self.reference(obj)}
        else:
            detail = _("%(why)s; looked it up by reference %(reference)s: not there") % {
                "why": why, "reference": self.reference(obj)}
        self.context.record_step("look-up", action="found" if found else "not found", obj=obj,
                                 external_id=found or "", detail=detail)  # fmt: skip
        return str(found) if found else None


class BaseImporter:
    """Import records of one kind. Fixed order per record (do not override `run`):

    fetch page → parse → is_up_to_date → match through ExternalLink (or `match`) →
    create or update atomically → bind
    """

    kind: ClassVar[str] = ""
    model: ClassVar[type[models.Model] | None] = None

    def __init__(self, context: TransferContext) -> None:
        self.context = context
        self.connection = context.connection
        self.params = context.params

    @property
    def client(self) -> Any:
        return self.context.client

    def run(self) -> ImportReport:
        report = ImportReport()
        for page in self.fetch_pages():
            for raw in page:
                report.fetched += 1
                self._import_one(raw, report)
            self.context.progress(done=report.fetched, **_counts(report))
        return report

    def _import_one(self, raw: Any, report: ImportReport) -> None:
        try:
            item = self.parse(raw)
            external_id = str(self.external_id_of(item))
            digest = payload_hash(raw)
            link = link_for_external_id(
                connection=self.connection, model=self.model, external_id=external_id
            )
            if self.is_up_to_date(item, link, digest):
                report.skipped += 1
                return
            with transaction.atomic():
                existing = link.object if link else self.match(item)
                obj = self.update(existing, item) if existing else self.create(item)
                external_link_bind(
                    connection=self.connection, obj=obj, external_id=external_id,
                    content_hash=digest,
                )
            report.created += existing is None
            report.updated += existing is not None
        except SkipRecord as reason:
            report.skipped += 1
            report.notes.append(str(reason))
        except AlreadyImported:
            report.skipped += 1
        except DataError as err:
            report.failed += 1
            report.errors.append(err.message)

    # -- hooks ----------------------------------------------------------------------------------
    def fetch_pages(self) -> Iterable[list[Any]]:
        """Yield pages of raw records from the API (uses self.client and self.params)."""
        raise NotImplementedError(f"{type(self).__name__} must implement fetch_pages()")

    def parse(self, raw: Any) -> Any:
        """Raw record → a small dataclass (mapping.parse_<entity>). Raise DataError if unusable."""
        return raw

    def external_id_of(self, item: Any) -> str:
        return item["id"] if isinstance(item, dict) else item.external_id

    def is_up_to_date(self, item: Any, link: Any, digest: str) -> bool:
        return link is not None and link.content_hash == digest and link.object is not None

    def match(self, item: Any) -> models.Model | None:
        """An existing local object this record is, though not yet linked (e.g. by reference)."""
        return None

    def create(self, item: Any) -> models.Model:
        raise NotImplementedError(f"{type(self).__name__} must implement create()")

    def update(self, obj: models.Model, item: Any) -> models.Model:
        raise NotImplementedError(f"{type(self).__name__} must implement update()")


def _counts(report: ImportReport) -> dict[str, int]:
    return {k: getattr(report, k) for k in ("created", "updated", "skipped", "failed")}
