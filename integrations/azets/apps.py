from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AzetsConfig(AppConfig):
    name = "integrations.azets"
    label = "azets"
    verbose_name = _("Azets")
    default_auto_field = "django.db.models.BigAutoField"
