"""The two staff roles and their permissions, declared once and applied after every migrate.

Patterns are "app_label.codename"; a trailing * matches a prefix ("pos.*" is every permission of
the pos app, "integrations.view_*" every view permission). Permissions that do not exist (yet) are
skipped quietly, so apps added later are picked up by the next migrate. Applying is idempotent:
each group gets exactly the permissions the map resolves to.
"""

from django.db.models import Q

BACK_OFFICE_STAFF = "Back-office staff"
ACCOUNTANTS = "Accountants"

#: Setup and registers the back office edits.
_EDITABLE_ACCOUNTING_MODELS = (
    "vatcode", "account", "department", "employee", "customer", "contactperson", "supplier",
    "project", "projectactivity", "unit", "productgroup", "product", "productcomponent",
    "invoice", "invoiceline", "expense", "expenseattachment", "suppliergroup", "salesorder",
    "salesorderline",
)  # fmt: skip

ROLES: dict[str, tuple[str, ...]] = {
    BACK_OFFICE_STAFF: (
        *(
            f"accounting.{action}_{model}"
            for model in _EDITABLE_ACCOUNTING_MODELS
            for action in ("add", "change", "delete", "view")
        ),
        "accounting.view_client",
        "accounting.add_client",  # back-office staff set new clients up (issue 11)
        "accounting.change_client",
        "accounting.view_payment",
        "integrations.view_*",
        # They set integrations up and fix what fails, so they re-queue and re-transfer too
        # (the failure page tells them to; the seeds give these tools to whoever sets it up).
        "integrations.retransfer_transfer",
        # The checklist's account-plan step needs a comparison; accountants close the month
        # with the same run.
        "integrations.run_reconciliation",
        "integrations.add_connection",
        "integrations.change_connection",
        "poweroffice.*",
        "azets.*",
        "pos.*",
        "api.view_apitoken",
        "api.add_apitoken",
        "api.change_apitoken",
    ),
    ACCOUNTANTS: (
        "accounting.view_*",
        "integrations.view_*",
        "integrations.retransfer_transfer",
        "integrations.run_reconciliation",
        "poweroffice.view_*",
        "azets.view_*",
        "pos.view_*",
        "api.view_apitoken",
    ),
}


def _pattern_filter(pattern: str) -> Q:
    app_label, codename = pattern.split(".", 1)
    condition = Q(content_type__app_label=app_label)
    if codename.endswith("*"):
        return condition & Q(codename__startswith=codename[:-1])
    return condition & Q(codename=codename)


def permissions_for(patterns: tuple[str, ...], *, permission_model, using: str = "default"):
    """The existing permissions matching any pattern (missing ones are simply absent)."""
    condition = Q(pk__in=[])
    for pattern in patterns:
        condition |= _pattern_filter(pattern)
    return permission_model.objects.using(using).filter(condition)


def roles_apply(*, group_model, permission_model, using: str = "default") -> None:
    """Create the groups if needed and give each exactly its declared permissions."""
    for name, patterns in ROLES.items():
        group, _created = group_model.objects.using(using).get_or_create(name=name)
        group.permissions.set(
            permissions_for(patterns, permission_model=permission_model, using=using)
        )


def roles_apply_after_migrate(sender, using="default", apps=None, **kwargs) -> None:
    """post_migrate receiver: runs after each app's permissions were created."""
    from django.contrib.auth.models import Group, Permission

    roles_apply(group_model=Group, permission_model=Permission, using=using)
