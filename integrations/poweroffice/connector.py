"""The PowerOffice Go connector: builds the client for a connection and tests the connection.

Exporters and importers are added per flow (`exporters`/`importers`); `FLOW_PRIVILEGES` says
which PowerOffice privileges each flow needs, so "Test connection" can list them as present or
missing before a 403 surprises anyone.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from integrations import errors
from integrations.base import BaseConnector, ConnectionTestResult, SecretField
from integrations.models import Connection, System, TransferKind

from .admin import PowerOfficeSettingsInline
from .client import PowerOfficeClient
from .exporters import (
    ContactPersonExporter,
    CustomerExporter,
    DepartmentExporter,
    EmployeeExporter,
    ProductExporter,
    ProductGroupExporter,
    ProjectExporter,
    SupplierExporter,
)
from .importers import ExpenseImporter, PaymentImporter
from .initial_sync import InitialSync
from .models import PowerOfficeSettings, VoucherRoute
from .pos import PosBatchExporter, fetch_pos_products, pos_settings_test
from .sales_orders import SalesOrderExporter
from .types import ClientIntegrationInformation
from .vouchers import CreditNoteExporter, InvoiceExporter

# Transfer kind -> privileges (ValidPrivileges names) the flow needs in PowerOffice Go.
FLOW_PRIVILEGES: dict[str, tuple[str, ...]] = {
    TransferKind.CUSTOMER: ("Customer_Full", "CommonServices"),
    TransferKind.CONTACT_PERSON: ("ContactPerson_Full",),
    TransferKind.PROJECT: ("Project_Full", "Employee_Full"),
    TransferKind.DEPARTMENT: ("Department_Full",),
    TransferKind.EMPLOYEE: ("Employee_Full",),
    TransferKind.SUPPLIER: ("Supplier_Full", "ContactGroup_Full"),
    TransferKind.PRODUCT: ("Product_Full",),
    TransferKind.PRODUCT_GROUP: ("Product_Full",),
    TransferKind.INVOICE: (
        "OutgoingInvoiceVoucher_Full",
        "VoucherDocumentation_Full",
        "GeneralLedgerAccount_Full",
    ),
    TransferKind.CREDIT_NOTE: ("OutgoingInvoiceVoucher_Full", "VoucherDocumentation_Full"),
    TransferKind.SALES_ORDER: ("SalesOrders_Full", "Customer_Full"),
    TransferKind.EXPENSE_IMPORT: (
        "AccountTransaction",
        "SupplierLedger",
        "VoucherDocumentation_Full",
    ),
    TransferKind.PAYMENT_IMPORT: ("CustomerLedger",),
    # Reading needs only the read roles; a _Full role includes its read role.
    TransferKind.INITIAL_SYNC: ("Product", "Customer", "Supplier"),
    # POST /SalesOrders/Complete and createAndSendInvoice; GET /Products/{id} (product ids in
    # the POS settings) and GET /Customers (the forced invoice customer) only read.
    TransferKind.POS_BATCH: ("SalesOrders_Full", "Product", "Customer"),
}

# The voucher privilege of each voucher route (PowerOfficeSettings.voucher_route): the
# manual-journal fallback posts to /Vouchers/ManualJournals, which needs ManualVoucher_Full.
ROUTE_PRIVILEGES: dict[str, str] = {
    VoucherRoute.OUTGOING_INVOICE: "OutgoingInvoiceVoucher_Full",
    VoucherRoute.MANUAL_JOURNAL: "ManualVoucher_Full",
}
FULL_SUFFIX = "_Full"


def privilege_granted(info: ClientIntegrationInformation, privilege: str) -> bool:
    """A read privilege ("Product") is also granted by its full form ("Product_Full")."""
    return info.has_privilege(privilege) or (
        not privilege.endswith(FULL_SUFFIX) and info.has_privilege(privilege + FULL_SUFFIX)
    )


class PowerOfficeConnector(BaseConnector):
    system = System.POWEROFFICE
    base_urls_setting = "POWEROFFICE_BASE_URLS"
    connection_related = ("poweroffice_settings",)
    secret_fields = (
        SecretField(
            "client_key",
            gettext_lazy("Client key"),
            gettext_lazy(
                "The client key (a GUID) PowerOffice Go shows when the client activates the "
                "integration. Demo and production keys differ."
            ),
        ),
    )

    admin_inlines = (PowerOfficeSettingsInline,)
    # Products and product groups travel only through their own register transfers (the
    # inventory flow); invoices never export them as dependencies.
    exporters = {
        TransferKind.CUSTOMER: CustomerExporter,
        TransferKind.CONTACT_PERSON: ContactPersonExporter,
        TransferKind.PROJECT: ProjectExporter,
        TransferKind.DEPARTMENT: DepartmentExporter,
        TransferKind.EMPLOYEE: EmployeeExporter,
        TransferKind.SUPPLIER: SupplierExporter,
        TransferKind.PRODUCT: ProductExporter,
        TransferKind.PRODUCT_GROUP: ProductGroupExporter,
        TransferKind.SALES_ORDER: SalesOrderExporter,
        TransferKind.INVOICE: InvoiceExporter,
        TransferKind.CREDIT_NOTE: CreditNoteExporter,
    }
    importers = {
        TransferKind.EXPENSE_IMPORT: ExpenseImporter,
        TransferKind.PAYMENT_IMPORT: PaymentImporter,
        # POS_BATCH works through many sales and returns counts, so it runs like an import.
        TransferKind.POS_BATCH: PosBatchExporter,
        # Reads products, units, suppliers and customers into the client (counts per register).
        TransferKind.INITIAL_SYNC: InitialSync,
    }

    @staticmethod
    def settings_for(connection: Connection) -> PowerOfficeSettings:
        """The connection's PowerOffice settings; defaults are stored on first use."""
        settings_row, _created = PowerOfficeSettings.objects.get_or_create(connection=connection)
        return settings_row

    def pos_settings_test(self, pos_settings) -> ConnectionTestResult:
        """The POS settings page's "Test connection": keys and every configured product id."""
        ok, message = pos_settings_test(pos_settings=pos_settings)
        return ConnectionTestResult(ok, message)

    def fetch_pos_products(self, pos_settings):
        """PowerOffice Go's product list (code, name, sales account) to pick POS products from."""
        from integrations.outbox import connection_for

        connection = connection_for(client=pos_settings.client, system=self.system)
        if connection is None:
            raise errors.ConnectionMisconfigured(
                _("%(client)s has no PowerOffice Go connection. Add one first.")
                % {"client": pos_settings.client}
            )
        return fetch_pos_products(connection=connection)

    def client_for(self, connection: Connection) -> PowerOfficeClient:
        return PowerOfficeClient.for_connection(connection)

    def flows_for(self, connection: Connection) -> list[str]:
        """The flows this connection runs: the kinds the connector handles, or, while no
        exporter is registered yet, every flow PowerOffice supports."""
        handled = [kind for kind in FLOW_PRIVILEGES if self.handles(kind)]
        return handled if self.exporters else list(FLOW_PRIVILEGES)

    @staticmethod
    def voucher_route_of(connection: Connection) -> str:
        """The connection's voucher route, read without storing default settings."""
        route = PowerOfficeSettings.objects.filter(connection=connection).values_list(
            "voucher_route", flat=True
        ).first()
        return route or VoucherRoute.OUTGOING_INVOICE

    def required_privileges(self, connection: Connection) -> dict[str, list[str]]:
        """Privilege -> the flows (labels) that need it. Invoices and credit notes need the
        voucher privilege of the connection's voucher route."""
        voucher_privilege = ROUTE_PRIVILEGES[self.voucher_route_of(connection)]
        needed: dict[str, list[str]] = {}
        for kind in self.flows_for(connection):
            for privilege in FLOW_PRIVILEGES[kind]:
                if privilege in ROUTE_PRIVILEGES.values():
                    privilege = voucher_privilege
                needed.setdefault(privilege, []).append(str(TransferKind(kind).label))
        return needed

    def test_connection(self, connection: Connection) -> ConnectionTestResult:
        try:
            info = self.client_for(connection).get_client_integration_information()
        except errors.Unavailable as err:
            return ConnectionTestResult(
                False,
                _("PowerOffice Go (%(mode)s, %(url)s) could not be reached: %(error)s")
                % {"mode": connection.mode, "url": self.base_url(connection), "error": err},
            )
        except errors.IntegrationError as err:
            return ConnectionTestResult(False, str(err))
        return self.privilege_report(connection, info)

    def privilege_report(
        self, connection: Connection, info: ClientIntegrationInformation
    ) -> ConnectionTestResult:
        lines, missing = [], []
        for privilege, flows in sorted(self.required_privileges(connection).items()):
            present = privilege_granted(info, privilege)
            state = _("present") if present else _("MISSING")
            lines.append(f"{privilege}: {state} ({', '.join(flows)})")
            if not present:
                missing.append(privilege)
        head = _("Connected to the PowerOffice Go client “%(name)s” (%(mode)s).") % {
            "name": info.client_name or info.client_id,
            "mode": connection.get_mode_display(),
        }
        if missing:
            head += " " + _(
                "Ask the client to grant the integration these privileges in PowerOffice Go, or "
                "those flows will be refused (403): %(missing)s."
            ) % {"missing": ", ".join(missing)}
        return ConnectionTestResult(
            not missing, " ".join([head, _("Privileges:"), "; ".join(lines)])
        )
