"""Errors of the pos app. Each names the record (sale number, client) and the field."""

from accounting.exceptions import AccountingError


class PosError(AccountingError):
    """A POS sale, setting or batch cannot be recorded or run as asked."""
