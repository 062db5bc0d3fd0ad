"""Projects and their activities."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import ClientOwned, unique_per_client


class Project(ClientOwned):
    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        PLANNED = "planned", _("Planned")
        COMPLETED = "completed", _("Completed")
        INACTIVE = "inactive", _("Inactive")

    class ExpensesBillable(models.TextChoices):
        INHERIT = "inherit", _("Client default")
        YES = "yes", _("Yes")
        NO = "no", _("No")

    number = models.CharField(
        _("number"), max_length=50, help_text=_("The project number (code) users see, e.g. P-1001.")
    )
    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        "accounting.Customer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("customer"),
    )
    department = models.ForeignKey(
        "accounting.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="projects",
        verbose_name=_("department"),
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE)
    owner_email = models.EmailField(_("project owner's e-mail"), blank=True)
    expenses_billable = models.CharField(
        _("imported expenses billable"),
        max_length=10,
        choices=ExpensesBillable.choices,
        default=ExpensesBillable.INHERIT,
        help_text=_(
            "Whether expenses imported on this project are billable; 'client default' "
            "uses the client's setting."
        ),
    )

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        ordering = ["client", "number"]
        constraints = [
            unique_per_client(
                "project",
                "number",
                message=_("number is already used by another project of this client."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def expenses_are_billable(self) -> bool:
        """Whether an expense imported on this project is billable."""
        if self.expenses_billable == self.ExpensesBillable.INHERIT:
            return self.client.expenses_billable_default
        return self.expenses_billable == self.ExpensesBillable.YES


class ProjectActivity(ClientOwned):
    """An activity of a project (imported expenses are registered on one, e.g. 'Expenses')."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="activities", verbose_name=_("project")
    )
    name = models.CharField(_("name"), max_length=100)

    label_field = "name"

    class Meta:
        verbose_name = _("project activity")
        verbose_name_plural = _("project activities")
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "name"],
                name="projectactivity_unique_name_per_project",
                violation_error_message=_(
                    "name is already used by another activity of this project."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.project.number} / {self.name}"
