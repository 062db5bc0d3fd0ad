"""The Azets connector: client per connection, exporters, the expense importer, and a
"Test connection" that names the client and its organisational units, or the exact failure."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations import errors
from integrations.base import BaseConnector, ConnectionTestResult, SecretField
from integrations.models import Connection, System, TransferKind

from .admin import AzetsSettingsInline
from .client import AzetsClient
from .exporters import CreditNoteExporter, CustomerExporter, InvoiceExporter, ProjectExporter
from .importers import ExpenseImporter
from .models import AzetsSettings, settings_for
from .types import AzetsScope


class AzetsConnector(BaseConnector):
    system = System.AZETS
    base_urls_setting = "AZETS_BASE_URLS"
    exporters = {
        TransferKind.CUSTOMER: CustomerExporter,
        TransferKind.PROJECT: ProjectExporter,
        TransferKind.INVOICE: InvoiceExporter,
        TransferKind.CREDIT_NOTE: CreditNoteExporter,
    }
    importers = {TransferKind.EXPENSE_IMPORT: ExpenseImporter}
    # Azets issues an API key; older setups log in with a username and password instead.
    secret_fields = (
        SecretField("api_key", gettext_lazy("API key"),
                    gettext_lazy("The API key from Azets (ask your Azets contact person). With "
                                 "a key, username and password are not needed."),
                    required=False),
        SecretField("username", gettext_lazy("Username"),
                    gettext_lazy("Only without an API key: the username the integration logs "
                                 "in to Azets with."), required=False),
        SecretField("password", gettext_lazy("Password"),
                    gettext_lazy("Only without an API key: the password of that username."),
                    required=False),
    )
    admin_inlines = (AzetsSettingsInline,)

    def missing_secrets(self, secrets: dict) -> list[SecretField]:
        """An API key replaces username and password: with none, the key is what is missing."""
        if secrets.get("api_key"):
            return []
        by_name = {f.name: f for f in self.secret_fields}
        login = [by_name[n] for n in ("username", "password") if secrets.get(n)]
        if not login:
            return [by_name["api_key"]]
        return [by_name[n] for n in ("username", "password") if not secrets.get(n)]

    def client_for(self, connection: Connection) -> AzetsClient:
        secrets = self.require_secrets(connection)
        settings = settings_for(connection)
        return AzetsClient(
            base_url=self.base_url(connection),
            parent_client_id=settings.parent_client_id,
            source_client_id=settings.source_client_id,
            api_key=secrets.get("api_key", ""),
            username=secrets.get("username", ""),
            password=secrets.get("password", ""),
            client_label=str(connection.client),
        )

    def test_connection(self, connection: Connection) -> ConnectionTestResult:
        try:
            scope = self.client_for(connection).get_scope()
        except errors.Unavailable as err:
            return ConnectionTestResult(
                False,
                _("Azets (%(mode)s, %(url)s) could not be reached: %(error)s")
                % {"mode": connection.mode, "url": self.base_url(connection), "error": err},
            )
        except errors.NotFound as err:
            return ConnectionTestResult(False, _(
                "Azets does not know this client: check the parent client id (S…) and the "
                "source client id (digits, without F). %(error)s") % {"error": err})
        except errors.IntegrationError as err:
            return ConnectionTestResult(False, str(err))
        return ConnectionTestResult(True, self.scope_report(settings_for(connection), scope))

    def scope_report(self, settings: AzetsSettings, scope: AzetsScope) -> str:
        units = "; ".join(f"R{u.no} {u.name} ({u.value_type})" for u in scope.org_units)
        parts = [_("Connected to the Azets client “%(name)s” (ledger %(ledger)s).")
                 % {"name": scope.name, "ledger": scope.ledger},
                 _("Organisational units: %(units)s.") % {"units": units or "—"}]
        for label, no in ((_("Project dimension"), settings.project_dimension),
                          (_("Department dimension"), settings.department_dimension),
                          (_("Billability dimension"), settings.billability_dimension)):
            if no:
                parts.append(f"{label}: R{no} {scope.org_unit_name(no) or _('(not named)')}.")
        parts += settings.configuration_warnings()
        return " ".join(parts)
