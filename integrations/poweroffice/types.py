"""Small typed results of PowerOffice calls that callers branch on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ClientIntegrationInformation:
    """Who the client key belongs to and which privileges the integration holds there."""

    client_id: str
    client_name: str
    subscriptions: tuple[str, ...]
    valid_privileges: tuple[str, ...]
    invalid_privileges: tuple[str, ...]

    def has_privilege(self, privilege: str) -> bool:
        return privilege.lower() in {p.lower() for p in self.valid_privileges}


@dataclass(frozen=True)
class PostedVoucher:
    """A voucher PowerOffice has stored: its id (uuid) and number, and our references."""

    voucher_id: str
    voucher_no: int | None
    external_import_reference: str | None = None
    invoice_no: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


def parse_client_integration_information(data: dict[str, Any]) -> ClientIntegrationInformation:
    return ClientIntegrationInformation(
        client_id=str(data.get("ClientId") or ""),
        client_name=str(data.get("ClientName") or ""),
        subscriptions=tuple(data.get("ActiveClientSubscriptions") or ()),
        valid_privileges=tuple(data.get("ValidPrivileges") or ()),
        invalid_privileges=tuple(data.get("InvalidPrivileges") or ()),
    )


def parse_posted_voucher(data: dict[str, Any]) -> PostedVoucher:
    """From a voucher Dto (Id, VoucherNo) or a ledger/transaction row (VoucherId, VoucherNo)."""
    return PostedVoucher(
        voucher_id=str(data.get("Id") if "VoucherId" not in data else data["VoucherId"]),
        voucher_no=data.get("VoucherNo"),
        external_import_reference=data.get("ExternalImportReference"),
        invoice_no=data.get("InvoiceNo"),
        raw=data,
    )
