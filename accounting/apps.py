from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountingConfig(AppConfig):
    name = "accounting"
    verbose_name = _("Accounting")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .roles import roles_apply_after_migrate

        # After every app's post_migrate (auth creates permissions first: it is listed earlier).
        post_migrate.connect(roles_apply_after_migrate, dispatch_uid="accounting.roles_apply")
