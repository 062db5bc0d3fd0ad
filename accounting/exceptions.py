"""Domain errors of the accounting app. Each names the record and the field it is about.

AccountingError is a django ValidationError keyed by field, so forms and the admin show it next to
the field, while `str(error)` reads as one sentence: "Invoice 10023 line 2: account 3000 belongs
to another client."
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.text import capfirst


def describe(record) -> str:
    """The short name of a record in messages: 'Invoice 10023', 'Customer 10001'."""
    label = getattr(record, "label", None)
    if label:
        return str(label)
    return f"{capfirst(record._meta.verbose_name)} {record.pk or ''}".strip()


class AccountingError(ValidationError):
    """A refused domain operation. `record` and `field` say what was wrong, and where."""

    def __init__(self, message, *, record=None, field: str | None = None, code: str | None = None):
        self.record = record
        self.field = field or NON_FIELD_ERRORS
        text = f"{describe(record)}: {message}" if record is not None else str(message)
        self.text = text
        super().__init__({self.field: [ValidationError(text, code=code)]})

    def __str__(self) -> str:
        return self.text


class InvoiceLocked(AccountingError):
    """A finalized invoice (or one of its lines) was about to be changed."""


class InvoiceNotFinalizable(AccountingError):
    """The invoice cannot be finalized as it stands (no lines, already final, bad line)."""


class CreditNoteRefused(AccountingError):
    """A credit note cannot be made or saved as asked."""


class CrossClientReference(AccountingError):
    """A record refers to a record of another client."""


def errors_to_text(error: ValidationError) -> str:
    """One line for message_user and command output from any ValidationError."""
    if isinstance(error, AccountingError):
        return str(error)
    return " ".join(str(message) for message in error.messages)
