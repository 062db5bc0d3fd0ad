"""Admin of the accounting app, one module per area."""

from . import costs, invoices, orders, registers  # noqa: F401
