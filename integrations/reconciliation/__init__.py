"""Reconciliation: what the accounting system holds, side by side with what we sent.

- `models.py`: `ReconciliationRun` (one run: client, connection, period, counts per class),
  `ReconciliationItem` (one finding: a document, a register record or an account that needs a
  look), `AccountPlanCheck` (per connection, the last comparison of the account plan and VAT
  codes; finalize reads it, never the network).
- `matching.py` (pure): documents matched by reference and number into the classes.
- `services.py`: `reconciliation_run()` — reads through the connector's reader, classifies,
  binds documents posted there whose transfer failed here, stores the run, mails the recipients.
- `account_plan.py`: the finalize-time check (stored list, no HTTP) and the checklist step.
- `pacing.py`: a rate limiter that reads at low priority in the shared budget.
- `export.py`: CSV/XLSX of a run's items.

A connector takes part by offering `reconciliation_reader(connection, client)` (see
integrations/poweroffice/reconciliation.py); a connector without one gets a run that says the
system's contract cannot read documents back.
"""
