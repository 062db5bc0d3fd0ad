from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from . import checks, registry  # noqa: F401  (checks register themselves)

        registry.autodiscover()

        from django_q.signals import post_spawn

        from .worker import worker_install

        # Each Django-Q2 worker process: SIGTERM puts its transfer back, heartbeat while it runs.
        post_spawn.connect(worker_install, dispatch_uid="integrations.worker_install")
