"""ExpenseImporter: expenses posted in Azets on projects we know, kept once and never
overwritten (accounting.services.expense_record), put on the project's expense activity.

Rules (ours, from the seed; see CONTRACT.md):
- an account below 4000 (Q6) or a project unknown here: skipped;
- billability dimension set: its value 1 = billable, 2 = not billable, anything else skips the
  expense; a dimension from 7 to 12 skips every expense;
- no billability dimension: the project's own setting (or the client default) decides.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from accounting.models import Account, Expense
from accounting.selectors import projects_by_number
from accounting.services import expense_record
from integrations.base import BaseImporter, SkipRecord
from integrations.models import System, TransferKind

from . import mapping
from .models import settings_for
from .services import project_activity_ensure
from .types import AzetsExpense

COST_ACCOUNTS_FROM = 4000
DEFAULT_DAYS_BACK = 2


class ExpenseImporter(BaseImporter):
    kind = TransferKind.EXPENSE_IMPORT
    model = Expense

    @property
    def settings(self):
        return settings_for(self.connection)

    @property
    def client_record(self):
        return self.connection.client

    def since(self) -> date:
        if self.params.get("since"):
            return date.fromisoformat(self.params["since"])
        return timezone.localdate() - timedelta(days=DEFAULT_DAYS_BACK)

    def fetch_pages(self):
        yield from self.client.iter_expense_pages(
            since=self.since(),
            project_numbers=self.params.get("project_numbers") or (),
            report=self.settings.report_name,
        )

    def parse(self, raw: dict[str, Any]) -> tuple[AzetsExpense, bool | None]:
        item = mapping.parse_expense(raw)
        if item.account_no < COST_ACCOUNTS_FROM:
            raise SkipRecord(_("expense %(id)s: account %(account)s is not a cost account.")
                             % {"id": item.expense_id, "account": item.account_no})
        return item, self.billable(item)

    def billable(self, item: AzetsExpense) -> bool | None:
        """True/False from the billability dimension, None to follow the project."""
        settings = self.settings
        if not settings.billability_dimension:
            return None
        billable = settings.billable_from(item.org_units)
        if billable is None:
            raise SkipRecord(
                _("expense %(id)s: billability dimension %(no)d says neither 1 (billable) nor 2 "
                  "(not billable).") % {"id": item.expense_id, "no": settings.billability_dimension}
            )
        return billable

    def external_id_of(self, parsed) -> str:
        return parsed[0].expense_id

    def is_up_to_date(self, parsed, link, digest) -> bool:
        return link is not None and link.object is not None  # never overwrite

    def match(self, parsed) -> Expense | None:
        return Expense.objects.filter(
            client=self.client_record, source_system=System.AZETS,
            external_reference=parsed[0].expense_id,
        ).first()

    def update(self, expense: Expense, parsed) -> Expense:
        return expense  # an imported expense is never overwritten

    def create(self, parsed) -> Expense:
        item, billable = parsed
        project = projects_by_number(client=self.client_record, numbers=[item.project_no]).get(
            item.project_no
        )
        if project is None:
            raise SkipRecord(_("expense %(id)s: project “%(project)s” is not known here.")
                             % {"id": item.expense_id, "project": item.project_no or "—"})
        activity = project_activity_ensure(
            project=project, name=self.settings.expense_activity_name
        )
        expense, _created = expense_record(expense=self.expense_for(item, project, activity),
                                           billable=billable)
        return expense

    def expense_for(self, item: AzetsExpense, project, activity) -> Expense:
        account = Account.objects.filter(client=self.client_record, number=item.account_no).first()
        return Expense(
            client=self.client_record, source_system=System.AZETS,
            external_reference=item.expense_id, description=item.description,
            amount_incl_vat=item.amount_incl_vat, currency_code=item.currency,
            supplier_name=item.supplier_name, invoice_date=item.voucher_date,
            account=account, project=project, activity=activity,
        )
