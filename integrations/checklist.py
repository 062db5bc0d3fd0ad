"""The one-time setup steps of a client, each read as done / not done with a link to fix it.

Pure reads: nothing here writes. The steps follow the product documents ("One-time
configuration"): a connection saved and tested, the account plan with external VAT codes, error
recipients, the POS product ids (when POS is on), customer numbers inside PowerOffice Go's
customer number series, and the schedules the client needs. The two PowerOffice steps ask
PowerOffice Go through the connector's cached lookups (see integrations/poweroffice/checklist.py)
and say "unknown" with the reason when it cannot be reached.

    steps = client_checklist(client=client)          # list[Step]
    red = [s for s in steps if s.red]                # what blocks production (unless confirmed)

`connection=` replaces the stored connection of the same system by an unsaved one, so the
Connection admin can judge the values a user is about to save.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Connection, System
from .registry import connector_or_none

OK, MISSING, UNKNOWN, NOT_NEEDED = "ok", "missing", "unknown", "not_needed"


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    state: str  # OK, MISSING, UNKNOWN or NOT_NEEDED
    detail: str
    fix_url: str = ""

    @property
    def ok(self) -> bool:
        return self.state in (OK, NOT_NEEDED)

    @property
    def red(self) -> bool:
        return self.state == MISSING


def _url(name: str, *args, query: str = "") -> str:
    url = reverse(f"admin:{name}", args=args)
    return f"{url}?{query}" if query else url


def client_connections(*, client, connection: Connection | None = None) -> list[Connection]:
    """The client's connections, with `connection` (maybe unsaved) in place of its stored twin."""
    stored = list(Connection.objects.filter(client=client).order_by("system"))
    if connection is None:
        return stored
    return [c for c in stored if c.system != connection.system] + [connection]


def step_connection_tested(*, client, connection: Connection) -> Step:
    connector = connector_or_none(connection.system)
    unset = connector.missing_secrets(connection.secrets or {}) if connector else []
    title = _("Connection to %(system)s saved and tested") % {
        "system": connection.get_system_display()}
    fix_url = _url("integrations_connection_change", connection.pk) if connection.pk else ""
    if unset:  # the connector's own words: a client key for PowerOffice, an API key for Azets
        detail = ngettext(
            "%(fields)s not saved yet: enter it on the connection and save.",
            "%(fields)s not saved yet: enter them on the connection and save.", len(unset),
        ) % {"fields": ", ".join(str(f.label) for f in unset)}
        return Step(f"connection_{connection.system}", title, MISSING, detail, fix_url)
    if connection.is_broken:
        detail = _("The system rejected the credentials: %(reason)s") % {
            "reason": connection.broken_reason}
        return Step(f"connection_{connection.system}", title, MISSING, detail, fix_url)
    if connection.last_test_ok is not True:
        detail = connection.last_test_result or _("Not tested yet: press “Test connection”.")
        return Step(f"connection_{connection.system}", title, MISSING, detail, fix_url)
    detail = _("Last test passed (%(mode)s).") % {"mode": connection.get_mode_display()}
    return Step(f"connection_{connection.system}", title, OK, detail, fix_url)


def steps_connections(*, connections: list[Connection], client) -> list[Step]:
    if not connections:
        title = _("Connection to the accounting system saved and tested")
        detail = _("No connection yet: add one and enter its key (PowerOffice Go: the client "
                   "key; Azets: the API key).")
        add_url = _url("integrations_connection_add", query=f"client={client.pk}")
        return [Step("connection", title, MISSING, detail, add_url)]
    return [step_connection_tested(client=client, connection=c) for c in connections]


def step_vat_codes(*, client) -> Step:
    from accounting.models import Account
    from accounting.selectors import accounts_missing_vat_code

    missing = accounts_missing_vat_code(client=client).count()
    title = _("Account plan complete with external VAT codes")
    fix_url = _url(
        "accounting_account_changelist", query=f"client__id__exact={client.pk}"
        "&external_vat_code=missing")  # fmt: skip
    if not Account.objects.filter(client=client).exists():  # never green on empty data
        detail = _("Not done: the client has no accounts yet. Import the account plan.")
        return Step("vat_codes", title, MISSING, detail, fix_url)
    if missing:
        detail = ngettext(
            "%(count)d account has no external VAT code; invoice lines on it cannot be sent.",
            "%(count)d accounts have no external VAT code; invoice lines on them cannot be sent.",
            missing,
        ) % {"count": missing}
        return Step("vat_codes", title, MISSING, detail, fix_url)
    return Step("vat_codes", title, OK, _("Every account has an external VAT code."), fix_url)


def _recipients(connection: Connection, notify_emails: list[str] | None) -> list[str]:
    if notify_emails is None:
        return connection.error_recipient_list()
    from .models import split_emails

    return [*split_emails(connection.error_recipients), *notify_emails]


def step_error_recipients(
    *, connections: list[Connection], notify_emails: dict | None = None
) -> Step:
    """Every connection names someone who gets failure e-mails. `notify_emails` (system ->
    addresses) stands in for the stored users to notify of an unsaved connection."""
    title = _("Error e-mail recipients set")
    without = [
        c for c in connections
        if not _recipients(c, (notify_emails or {}).get(c.system))
    ]  # fmt: skip
    if not connections:
        return Step("error_recipients", title, MISSING, _("Add a connection first."))
    if without:
        names = ", ".join(c.get_system_display() for c in without)
        fix_url = _url("integrations_connection_change", without[0].pk) if without[0].pk else ""
        detail = _("Nobody gets failure e-mails for: %(systems)s.") % {"systems": names}
        return Step("error_recipients", title, MISSING, detail, fix_url)
    count = len({a for c in connections for a in _recipients(c, None)})
    detail = ngettext("Failure e-mails go to %(count)d address.",
                      "Failure e-mails go to %(count)d addresses.", count) % {"count": count}
    return Step("error_recipients", title, OK, detail)


def schedules_needed(*, client, connections: list[Connection]) -> dict[str, str]:
    """Django-Q2 schedule name -> what it does, for every schedule this client relies on."""
    from pos.models import PosSettings
    from pos.schedules import pos_schedule_name

    from .poweroffice.schedules import FLAGS, schedule_name

    needed = {}
    enabled = [c for c in connections if c.enabled and c.pk]
    if enabled:
        needed["integrations.transfers_sweep"] = _("sends queued transfers every minute")
    if PosSettings.objects.filter(client=client, enabled=True, client__active=True).exists():
        needed[pos_schedule_name(client)] = _("nightly POS batch")
    for connection in (c for c in enabled if c.system == System.POWEROFFICE):
        from .poweroffice.schedules import reconciliation_schedule_name

        needed[reconciliation_schedule_name(connection.pk)] = _("nightly reconciliation")
        po_settings = getattr(connection, "poweroffice_settings", None)
        for kind, (flag, _time) in FLAGS.items():
            if po_settings is not None and getattr(po_settings, flag):
                needed[schedule_name(kind, connection.pk)] = str(kind.label)
    return needed


def step_schedules(*, client, connections: list[Connection]) -> Step:
    from django_q.models import Schedule

    title = _("Schedules active")
    needed = schedules_needed(client=client, connections=connections)
    existing = set(
        Schedule.objects.filter(name__in=needed).exclude(repeats=0).values_list("name", flat=True)
    )
    missing = [f"{name} ({what})" for name, what in needed.items() if name not in existing]
    fix_url = _url("accounting_client_checklist", client.pk)
    if not needed:
        return Step("schedules", title, NOT_NEEDED, _("No enabled connection needs a schedule."))
    if missing:
        detail = _("Missing: %(names)s. Press “Create the missing schedules”.") % {
            "names": "; ".join(missing)}
        return Step("schedules", title, MISSING, detail, fix_url)
    detail = ngettext("%(count)d schedule in place.", "%(count)d schedules in place.",
                      len(needed)) % {"count": len(needed)}
    return Step("schedules", title, OK, detail)


def client_checklist(
    *, client, connection: Connection | None = None, notify_emails: dict | None = None
) -> list[Step]:
    """Every setup step of `client`, in the order a person does them."""
    from .poweroffice.checklist import step_customer_numbers, step_pos_products
    from .reconciliation.account_plan import step_account_plan

    connections = client_connections(client=client, connection=connection)
    poweroffice = next((c for c in connections if c.system == System.POWEROFFICE), None)
    return [
        *steps_connections(connections=connections, client=client),
        step_vat_codes(client=client),
        step_account_plan(client=client, connections=connections),
        step_error_recipients(connections=connections, notify_emails=notify_emails),
        step_pos_products(client=client, connection=poweroffice),
        step_customer_numbers(client=client, connection=poweroffice),
        step_schedules(client=client, connections=connections),
    ]


def checklist_red_steps(**kwargs) -> list[Step]:
    return [step for step in client_checklist(**kwargs) if step.red]
