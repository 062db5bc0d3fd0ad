"""The account plan at finalize and in the setup checklist, from what was stored (no HTTP).

- `invoice_lines_account_plan_check(invoice=, lines=)`: called by `invoice_finalize` (through
  `integrations.outbox`) before anything is numbered. When the client has an enabled connection
  to an accounting system, a line whose account has no external VAT code is refused (the rule of
  `integrations.preflight.line_without_external_vat_code`, the same one transfers apply), and so
  is a line on an account that the last account-plan check of an enabled connection found
  missing there. Both name the invoice, the line and the account.
- `step_account_plan(client=, connections=)`: the checklist step. Red with the list when
  anything differs; never green on empty data (no accounts, no VAT codes there, no customers,
  or never checked).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from integrations.models import Connection, System
from integrations.preflight import line_without_external_vat_code

from .models import AccountPlanCheck

#: Systems whose invoices need the external VAT code on every line's account.
ACCOUNTING_SYSTEMS = (System.POWEROFFICE, System.AZETS)
LISTED = 20


def _enabled_connections(client):
    return Connection.objects.filter(client=client, enabled=True, system__in=ACCOUNTING_SYSTEMS)


def invoice_lines_account_plan_check(*, invoice, lines) -> None:
    """InvoiceNotFinalizable naming invoice, line and account (see the module docstring)."""
    from accounting.exceptions import InvoiceNotFinalizable

    connections = list(_enabled_connections(invoice.client))
    if not connections:
        return
    line = line_without_external_vat_code(lines)
    if line is not None:
        raise InvoiceNotFinalizable(
            _("line %(line)s: account %(account)s has no external VAT code, so the accounting "
              "system cannot receive it. Set it on the account, then finalize.")
            % {"line": line.line_no, "account": line.account.number},
            record=invoice, field="lines",
        )  # fmt: skip
    checks = AccountPlanCheck.objects.filter(connection__in=connections).select_related(
        "connection"
    )
    for check in checks:
        missing = {int(n) for n in check.missing_accounts or []}
        for line in lines:
            if int(line.account.number) in missing:
                raise InvoiceNotFinalizable(
                    _("line %(line)s: account %(account)s does not exist in %(system)s (account-"
                      "plan check of %(when)s). Create it there and run the reconciliation "
                      "again, or put the line on another account.")
                    % {"line": line.line_no, "account": line.account.number,
                       "system": check.connection.get_system_display(),
                       "when": check.checked_at.strftime("%Y-%m-%d %H:%M")},
                    record=invoice, field="lines",
                )  # fmt: skip


def step_account_plan(*, client, connections: list[Connection]):
    """The checklist step "Account plan and VAT codes equal in both systems"."""
    from accounting.models import Account, Customer
    from integrations.checklist import MISSING, NOT_NEEDED, OK, Step

    title = _("Account numbers and VAT codes equal in both systems")
    poweroffice = [c for c in connections if c.system == System.POWEROFFICE and c.pk]
    if not poweroffice:
        return Step("account_plan", title, NOT_NEEDED,
                    _("No PowerOffice Go connection to compare with."))  # fmt: skip
    connection = poweroffice[0]
    url = reverse("admin:integrations_connection_change", args=[connection.pk])
    check = AccountPlanCheck.objects.filter(connection=connection).first()
    empty = []
    if not Account.objects.filter(client=client).exists():
        empty.append(_("no accounts here"))
    if not Customer.objects.filter(client=client).exists():
        empty.append(_("no customers here"))
    if check is None:
        empty.append(_("never compared: press “Reconcile now” on the connection"))
    else:
        if not check.their_accounts:
            empty.append(_("no accounts in PowerOffice Go"))
        if not check.their_vat_codes:
            empty.append(_("no VAT codes in PowerOffice Go"))
    if empty:
        return Step("account_plan", title, MISSING, _("Not done: %(what)s.") % {
            "what": "; ".join(str(e) for e in empty)}, url)
    if check.differs:
        return Step("account_plan", title, MISSING, account_plan_text(check), url)
    detail = _("All %(count)d accounts exist there with the same VAT codes (checked %(when)s).") % {
        "count": check.our_accounts, "when": check.checked_at.strftime("%Y-%m-%d %H:%M")}
    return Step("account_plan", title, OK, detail, url)


def account_plan_text(check: AccountPlanCheck) -> str:
    """What differs, in one text ("Missing there: 3600, 3700. Inactive there: …")."""

    def listed(values) -> str:
        values = [str(v) for v in values]
        more = len(values) - LISTED
        return ", ".join(values[:LISTED]) + (_(" and %(n)d more") % {"n": more} if more > 0 else "")

    parts = []
    if check.missing_accounts:
        parts.append(_("Accounts missing there: %(list)s.") % {
            "list": listed(check.missing_accounts)})
    if check.inactive_accounts:
        parts.append(_("Accounts inactive there: %(list)s.") % {
            "list": listed(check.inactive_accounts)})
    if check.vat_code_differences:
        pairs = [_("%(account)s (here %(ours)s, there %(theirs)s)") % {
            "account": a, "ours": o, "theirs": t} for a, o, t in check.vat_code_differences]
        parts.append(_("Other VAT code there: %(list)s.") % {"list": listed(pairs)})
    if check.unknown_vat_codes:
        parts.append(_("VAT codes unknown there: %(list)s.") % {
            "list": listed(check.unknown_vat_codes)})
    return " ".join(str(p) for p in parts)
