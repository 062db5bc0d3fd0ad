"""Admin of the accounting app, one module per area."""

from . import costs, invoices, registers  # noqa: F401
