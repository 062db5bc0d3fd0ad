"""The inbound JSON API (/api/v1/): source systems push registers and invoices."""
