"""Django-Q2 entry points of the API app (scheduled in integrations/schedules.py)."""

from .idempotency import idempotency_records_purge


def idempotency_records_purge_task() -> int:
    return idempotency_records_purge()
