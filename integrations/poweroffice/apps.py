from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PowerOfficeConfig(AppConfig):
    name = "integrations.poweroffice"
    label = "poweroffice"
    verbose_name = _("PowerOffice Go")
