"""Per-connection Azets settings (one-to-one with integrations.Connection).

Credentials live in the Connection's encrypted secrets (the connector's `secret_fields`), users
and e-mails to notify on the Connection too; everything else the seed lists is here.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounting.models import Customer, Project

# Visma Business organisational units R1-R12: R1-R6 hold integers, R7-R12 text (max 10).
INTEGER_ORG_UNITS = range(1, 7)
ORG_UNIT_CHOICES = [
    (no, format_lazy("{unit} {no} (R{no}, {kind})", unit=_("Organisational unit"), no=no,
                     kind=_("numbers") if no <= 6 else _("text")))
    for no in range(1, 13)
]
BILLABLE, NOT_BILLABLE = "1", "2"

digits_validator = RegexValidator(r"^\d+$", _("Use digits only."))


def validate_source_client_id(value: str) -> None:
    if value[:1] in ("F", "f"):
        raise ValidationError(
            _("Leave out the leading F: enter %(digits)s, the company number without the F of "
              "its Visma database name."),
            code="leading_f",
            params={"digits": value[1:] or "42"},
        )
    digits_validator(value)


parent_id_validator = RegexValidator(
    r"^S\d+$", _("The parent client id starts with S followed by digits, e.g. S1001.")
)


def _states_field(verbose_name, help_text):
    return models.JSONField(verbose_name, default=list, blank=True, help_text=help_text)


class AzetsSettings(models.Model):
    connection = models.OneToOneField(
        "integrations.Connection",
        on_delete=models.CASCADE,
        related_name="azets_settings",
        verbose_name=_("connection"),
    )
    source_client_id = models.CharField(
        _("source client id"), max_length=20, validators=[validate_source_client_id],
        help_text=_("The client (company) number in Azets' Visma Business, digits only: do not "
                    "include the F."),
    )
    parent_client_id = models.CharField(
        _("parent client id"), max_length=20, validators=[parent_id_validator],
        help_text=_("The parent organisation the client belongs to in Azets; starts with S."),
    )
    export_customers = models.BooleanField(
        _("export customers"), default=True, help_text=_("Send customers when they are saved.")
    )
    export_projects = models.BooleanField(
        _("export projects"), default=True, help_text=_("Send projects when they are saved.")
    )
    export_invoices = models.BooleanField(
        _("export invoices"), default=True,
        help_text=_("Post invoices and credit notes as vouchers when they are finalized."),
    )
    project_dimension = models.PositiveSmallIntegerField(
        _("project dimension"), choices=ORG_UNIT_CHOICES, null=True, blank=True,
        help_text=_("The organisational unit (R table) that holds projects in Azets. Units 1-6 "
                    "hold numbers only, 7-12 text of up to 10 characters. Empty: none."),
    )
    department_dimension = models.PositiveSmallIntegerField(
        _("department dimension"), choices=ORG_UNIT_CHOICES, null=True, blank=True,
        help_text=_("The organisational unit (R table) that holds departments in Azets. Must "
                    "differ from the project dimension. Empty: none."),
    )
    project_states = _states_field(
        _("project states for export"),
        _("Only projects in these states are sent; none selected sends all."),
    )
    customer_states = _states_field(
        _("customer states for export"),
        _("Only customers in these states are sent; none selected sends all."),
    )
    import_expenses = models.BooleanField(
        _("import expenses"), default=False,
        help_text=_("Fetch expenses posted on known projects from Azets every day."),
    )
    expense_activity_name = models.CharField(
        _("expense activity"), max_length=100, blank=True,
        help_text=_("The project activity imported expenses are put on; created on the project "
                    "when it does not exist. Required when importing expenses."),
    )
    report_name = models.CharField(
        _("report name"), max_length=100, blank=True,
        help_text=_("Leave blank unless Azets tells you otherwise: the standard report is used."),
    )
    billability_dimension = models.PositiveSmallIntegerField(
        _("billability dimension"), choices=ORG_UNIT_CHOICES, null=True, blank=True,
        help_text=_("The organisational unit whose value says whether an expense is billable: "
                    "1 = billable, 2 = not billable, any other value ignores the expense. Only "
                    "units 1-6 work: choosing 7-12 ignores every expense. Empty: the project's "
                    "own setting decides."),
    )
    accrual_enabled = models.BooleanField(
        _("enable accrual"), default=False,
        help_text=_("Send the accrual accounts below with every voucher."),
    )
    accrual_credit_account = models.CharField(
        _("credit accrual account number"), max_length=10, blank=True,
        validators=[digits_validator],
        help_text=_("Account credited when accrual is enabled (digits)."),
    )
    accrual_debit_account = models.CharField(
        _("debit accrual account number"), max_length=10, blank=True,
        validators=[digits_validator],
        help_text=_("Account debited when accrual is enabled (digits)."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("Azets settings")
        verbose_name_plural = _("Azets settings")

    def __str__(self) -> str:
        return str(_("Azets settings of %(connection)s") % {"connection": self.connection})

    # -- rules on one row -------------------------------------------------------------------
    def clean(self) -> None:
        errors: dict[str, list] = {}
        self._clean_dimensions(errors)
        self._clean_states(errors)
        if self.import_expenses and not self.expense_activity_name.strip():
            errors.setdefault("expense_activity_name", []).append(
                _("Name the activity imported expenses are put on, or switch off expense import.")
            )
        self._clean_accrual(errors)
        if self.billability_dimension and self.billability_dimension not in INTEGER_ORG_UNITS:
            errors.setdefault("billability_dimension", []).append(
                _("Choose an organisational unit from 1 to 6: units 7-12 hold text in Visma "
                  "Business, so every expense would be ignored.")
            )
        if errors:
            raise ValidationError(errors)

    def _clean_dimensions(self, errors: dict) -> None:
        project, department = self.project_dimension, self.department_dimension
        if project and project == department:
            errors.setdefault("department_dimension", []).append(
                _("Projects and departments cannot share organisational unit %(no)d; choose "
                  "another unit for one of them.") % {"no": project}
            )

    def _clean_states(self, errors: dict) -> None:
        for name, allowed in (("project_states", Project.State.values),
                              ("customer_states", Customer.State.values)):
            value = getattr(self, name)
            if not isinstance(value, list) or any(state not in allowed for state in value):
                errors.setdefault(name, []).append(
                    _("Choose states among: %(states)s.") % {"states": ", ".join(allowed)}
                )

    def _clean_accrual(self, errors: dict) -> None:
        if not self.accrual_enabled:
            return
        for name in ("accrual_credit_account", "accrual_debit_account"):
            if not getattr(self, name):
                errors.setdefault(name, []).append(
                    _("Required when accrual is enabled.")
                )
        credit, debit = self.accrual_credit_account, self.accrual_debit_account
        if credit and credit == debit:
            errors.setdefault("accrual_debit_account", []).append(
                _("The debit and the credit accrual accounts must differ.")
            )

    def configuration_warnings(self) -> list[str]:
        """Settings that are valid but probably not what the user wants."""
        warnings = []
        if self.import_expenses and (self.billability_dimension or 0) > 6:
            warnings.append(
                str(_("Billability dimension %(no)d holds text in Visma Business: every expense "
                      "will be ignored. Choose an organisational unit from 1 to 6.")
                    % {"no": self.billability_dimension})
            )
        return warnings

    # -- what to send ------------------------------------------------------------------------
    def exports_customer_state(self, state: str) -> bool:
        return not self.customer_states or state in self.customer_states

    def exports_project_state(self, state: str) -> bool:
        return not self.project_states or state in self.project_states

    def ignores_every_expense(self) -> bool:
        return (self.billability_dimension or 0) > 6

    def billable_from(self, org_units: dict[str, str]) -> bool | None:
        """True/False from the billability dimension's value; None when it says "ignore".
        Callers check `billability_dimension` is set first."""
        value = str(org_units.get(str(self.billability_dimension), "")).strip()
        if self.ignores_every_expense() or value not in (BILLABLE, NOT_BILLABLE):
            return None
        return value == BILLABLE


def settings_for(connection) -> AzetsSettings:
    """The connection's Azets settings; ConnectionMisconfigured (never retried, shown as
    "the connection is not configured") when they were never saved."""
    from integrations.errors import ConnectionMisconfigured

    try:
        return connection.azets_settings
    except AzetsSettings.DoesNotExist:
        raise ConnectionMisconfigured(
            _("%(connection)s has no Azets settings: fill in the source and parent client ids.")
            % {"connection": connection}
        ) from None
