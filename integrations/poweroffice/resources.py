"""One method per PowerOffice Go v2 operation the flows use (mixed into PowerOfficeClient).

Payloads and results are PowerOffice Dto dicts (PascalCase, as in contract.json); `mapping.py`
builds and reads them. Lists are generators over every page. Updates take RFC 6902 operations
(see `client.json_patch()` and `client.replace_patch()`). Ids are PowerOffice's own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from .types import (
    ClientIntegrationInformation,
    PostedVoucher,
    parse_client_integration_information,
    parse_posted_voucher,
)

Dto = dict[str, Any]
Patch = list[dict[str, Any]]
Numbers = Iterable[int | str] | str | None


class PowerOfficeResources:
    """Typed endpoint methods; the transport (`_get`, `_list`, `_post`, ...) is the client's."""

    # -- customers -----------------------------------------------------------------------------
    def list_customers(
        self, *, numbers: Numbers = None, external_import_reference: str | None = None, **filters
    ) -> Iterator[Dto]:
        params = {"customerNos": numbers, "externalImportReference": external_import_reference}
        return self._list("/Customers", {**params, **filters})

    def get_customer(self, customer_id: int) -> Dto:
        return self._get(f"/Customers/{customer_id}")

    def create_customer(self, payload: Dto) -> Dto:
        return self._post("/Customers", payload)

    def update_customer(self, customer_id: int, patch: Patch) -> Dto:
        return self._patch(f"/Customers/{customer_id}", patch)

    # -- suppliers -----------------------------------------------------------------------------
    def list_suppliers(
        self, *, numbers: Numbers = None, external_import_reference: str | None = None, **filters
    ) -> Iterator[Dto]:
        params = {"supplierNos": numbers, "externalImportReference": external_import_reference}
        return self._list("/Suppliers", {**params, **filters})

    def get_supplier(self, supplier_id: int) -> Dto:
        return self._get(f"/Suppliers/{supplier_id}")

    def create_supplier(self, payload: Dto) -> Dto:
        return self._post("/Suppliers", payload)

    def update_supplier(self, supplier_id: int, patch: Patch) -> Dto:
        return self._patch(f"/Suppliers/{supplier_id}", patch)

    # -- employees -----------------------------------------------------------------------------
    def list_employees(
        self, *, numbers: Numbers = None, external_import_reference: str | None = None, **filters
    ) -> Iterator[Dto]:
        params = {"employeeNos": numbers, "externalImportReference": external_import_reference}
        return self._list("/Employees", {**params, **filters})

    def get_employee(self, employee_id: int) -> Dto:
        return self._get(f"/Employees/{employee_id}")

    def create_employee(self, payload: Dto) -> Dto:
        return self._post("/Employees", payload)

    def update_employee(self, employee_id: int, patch: Patch) -> Dto:
        return self._patch(f"/Employees/{employee_id}", patch)

    # -- contact persons (of a customer or supplier) --------------------------------------
    def list_contact_persons(
        self, *, contact_ids: Numbers = None, external_codes: Iterable[str] | None = None, **filters
    ) -> Iterator[Dto]:
        params = {"contactIds": contact_ids, "externalCodes": external_codes}
        return self._list("/ContactPersons", {**params, **filters})

    def get_contact_person(self, contact_id: int, person_id: int) -> Dto:
        return self._get(f"/ContactPersons/{contact_id}/{person_id}")

    def create_contact_person(self, contact_id: int, payload: Dto) -> Dto:
        return self._post(f"/ContactPersons/{contact_id}", payload)

    def update_contact_person(self, contact_id: int, person_id: int, patch: Patch) -> Dto:
        return self._patch(f"/ContactPersons/{contact_id}/{person_id}", patch)

    # -- contact groups (supplier and customer groups) ------------------------------------
    def list_contact_groups(self, *, names: Iterable[str] | None = None) -> Iterator[Dto]:
        return self._list("/ContactGroups", {"names": names})

    def create_contact_group(self, payload: Dto) -> Dto:
        return self._post("/ContactGroups", payload)

    # -- projects and departments -------------------------------------------------------
    def list_projects(
        self, *, codes: Numbers = None, customer_numbers: Numbers = None, **filters
    ) -> Iterator[Dto]:
        params = {"projectCodes": codes, "customerNos": customer_numbers}
        return self._list("/Projects", {**params, **filters})

    def get_project(self, project_id: int) -> Dto:
        return self._get(f"/Projects/{project_id}")

    def create_project(self, payload: Dto) -> Dto:
        return self._post("/Projects", payload)

    def update_project(self, project_id: int, patch: Patch) -> Dto:
        return self._patch(f"/Projects/{project_id}", patch)

    def list_departments(self, *, codes: Numbers = None, **filters) -> Iterator[Dto]:
        return self._list("/Departments", {"codes": codes, **filters})

    def get_department(self, department_id: int) -> Dto:
        return self._get(f"/Departments/{department_id}")

    def create_department(self, payload: Dto) -> Dto:
        return self._post("/Departments", payload)

    def update_department(self, department_id: int, patch: Patch) -> Dto:
        return self._patch(f"/Departments/{department_id}", patch)

    # -- products ------------------------------------------------------------------------------
    def list_products(self, *, codes: Numbers = None, **filters) -> Iterator[Dto]:
        return self._list("/Products", {"codes": codes, **filters})

    def get_product(self, product_id: int) -> Dto:
        return self._get(f"/Products/{product_id}")

    def create_product(self, payload: Dto) -> Dto:
        return self._post("/Products", payload)

    def update_product(self, product_id: int, patch: Patch) -> Dto:
        return self._patch(f"/Products/{product_id}", patch)

    def list_product_groups(self, *, codes: Numbers = None, **filters) -> Iterator[Dto]:
        return self._list("/ProductGroups", {"codes": codes, **filters})

    def get_product_group(self, group_id: int) -> Dto:
        return self._get(f"/ProductGroups/{group_id}")

    def create_product_group(self, payload: Dto) -> Dto:
        return self._post("/ProductGroups", payload)

    def update_product_group(self, group_id: int, patch: Patch) -> Dto:
        return self._patch(f"/ProductGroups/{group_id}", patch)

    # -- ledger settings ---------------------------------------------------------------
    def list_general_ledger_accounts(
        self, *, account_numbers: Numbers = None, **filters
    ) -> Iterator[Dto]:
        return self._list("/GeneralLedgerAccounts", {"accountNos": account_numbers, **filters})

    def create_general_ledger_account(self, payload: Dto) -> Dto:
        return self._post("/GeneralLedgerAccounts", payload)

    def update_general_ledger_account(self, account_id: int, patch: Patch) -> Dto:
        return self._patch(f"/GeneralLedgerAccounts/{account_id}", patch)

    def list_vat_codes(
        self, *, active: bool | None = None, include_expired: bool | None = None
    ) -> Iterator[Dto]:
        return self._list("/VatCodes", {"isActive": active, "includeExpired": include_expired})

    def list_sub_ledger_number_series(self, *, series_type: str | None = None) -> Iterator[Dto]:
        """series_type: "Customer", "Supplier" or "Employee" (case sensitive in PowerOffice)."""
        return self._list("/SubLedgerNumberSeries", {"subLedgerNumberSeriesType": series_type})

    def get_lock_date(self) -> dt.date | None:
        """The date up to which the books are locked; None when nothing is locked."""
        value = (self._get("/LockDateSettings") or {}).get("LockDate")
        return dt.date.fromisoformat(value[:10]) if value else None

    def get_client_integration_information(self) -> ClientIntegrationInformation:
        return parse_client_integration_information(
            self._get("/ClientIntegrationInformation") or {}
        )

    # -- vouchers ----------------------------------------------------------------------
    def post_outgoing_invoice(self, payload: Dto) -> PostedVoucher:
        """Route A (inferred endpoint, see NOTES.md): a posted outgoing invoice or credit note."""
        return parse_posted_voucher(self._post("/Vouchers/OutgoingInvoiceJournals", payload))

    def get_outgoing_invoice(self, voucher_id: str) -> Dto:
        return self._get(f"/Vouchers/OutgoingInvoiceJournals/{voucher_id}")

    def post_manual_journal(self, payload: Dto) -> PostedVoucher:
        """Route B, the fallback: a manual journal voucher."""
        return parse_posted_voucher(self._post("/Vouchers/ManualJournals", payload))

    def find_voucher_by_reference(
        self,
        *,
        external_import_reference: str,
        voucher_date: dt.date,
        invoice_no: str | None = None,
    ) -> PostedVoucher | None:
        """The voucher posted with this ExternalImportReference on that date, or None.

        PowerOffice has no lookup by reference: an outgoing invoice is found through the
        customer ledger (by invoice number), a manual journal through the account transactions.
        """
        window = {"fromDate": voucher_date, "toDate": voucher_date}
        if invoice_no:
            rows = self._list("/Customerledger/Statement", {**window, "invoiceNos": invoice_no})
        else:
            rows = self._list("/AccountTransactions", window)
        for row in rows:
            if row.get("ExternalImportReference") == external_import_reference:
                return parse_posted_voucher(row)
        return None

    def upload_voucher_pdf(self, voucher_id: str, content: bytes, filename: str) -> None:
        """Attach (or replace) the voucher's PDF; PDF only, at most 30 MB."""
        self._put_file("/VoucherDocumentation", {"id": voucher_id}, filename, content)

    def list_voucher_documentation(self, voucher_id: str) -> list[Dto]:
        return list(self._list("/VoucherDocumentation", {"id": voucher_id}))

    def download_voucher_documentation(
        self, voucher_id: str, documentation_type: str = "All"
    ) -> bytes:
        """A zip of the voucher's documents (empty bytes when it has none)."""
        params = {"id": voucher_id, "documentationType": documentation_type}
        return self._get_bytes("/VoucherDocumentation/Download", params)

    # -- sales orders, transactions, customer ledger ---------------------------------------
    def create_sales_order(self, payload: Dto) -> Dto:
        """A complete sales order (header and lines), e.g. as a draft."""
        return self._post("/SalesOrders/Complete", payload)

    def list_account_transactions(
        self,
        *,
        from_date: dt.date,
        to_date: dt.date,
        account_numbers: Numbers = None,
        project_codes: Numbers = None,
        **filters,
    ) -> Iterator[Dto]:
        params = {"fromDate": from_date, "toDate": to_date, "accountNos": account_numbers}
        return self._list(
            "/AccountTransactions", {**params, "projectCodes": project_codes, **filters}
        )

    def list_customer_ledger_statement(
        self, *, from_date: dt.date, to_date: dt.date, **filters
    ) -> Iterator[Dto]:
        params = {"fromDate": from_date, "toDate": to_date}
        return self._list("/Customerledger/Statement", {**params, **filters})

    def list_sales_orders(self, **filters) -> Iterator[Dto]:
        """Sales orders (customerNos, onlyCreatedByCurrentIntegration,
        lastChangedDateTimeOffsetGreaterThan, orderStatus, ...)."""
        return self._list("/SalesOrders", filters)

    def list_customer_ledger_entries_by_match_id(self, match_id: int) -> Iterator[Dto]:
        return self._list("/Customerledger/EntriesByMatchId", {"matchId": match_id})

    def list_supplier_ledger_statement(
        self, *, from_date: dt.date, to_date: dt.date, **filters
    ) -> Iterator[Dto]:
        """Supplier-ledger entries (SupplierName, VoucherId, ...) in a date window."""
        params = {"fromDate": from_date, "toDate": to_date}
        return self._list("/Supplierledger/Statement", {**params, **filters})
