"""The external reference each document carries to the accounting system, fixed once.

A document (invoice, credit note, invoiced sales order, POS sale) gets its reference when it is
finalized, invoiced or batched. It is stored on the document and every later attempt sends the
same text, so the receiving system (and our own look-ups after a lost answer) can tell a first
send from a repeat. It is built from identity that never changes: the client's reference code
(random, given once when the client is created, never edited) and our own document number. An
organization number or a database id is no such identity: one is corrected, the other is
renumbered by a restore or a move.
"""

from __future__ import annotations

import hashlib
import secrets
import string

from django.db import models
from django.utils.translation import gettext_lazy as _

PREFIX = "LB"
MAX_LENGTH = 50  # PowerOffice Go's ExternalImportReference holds at most 50 characters
CODE_ALPHABET = string.ascii_uppercase + string.digits
CODE_LENGTH = 8


class DocumentKind:
    INVOICE = "INV"
    CREDIT_NOTE = "CRN"
    SALES_ORDER = "SO"
    POS_SALE = "POS"


def transfer_reference_field(help_text) -> models.CharField:
    """The `transfer_reference` field of a document model (not editable; set by its service)."""
    return models.CharField(
        _("transfer reference"),
        max_length=50,
        blank=True,
        editable=False,
        db_index=True,
        help_text=help_text,
    )


def reference_code_new() -> str:
    """A client's reference code: 8 random letters and digits (36^8 ≈ 2.8e12 codes)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def document_reference(*, client, kind: str, number) -> str:
    """"LB-<client code>-<kind>-<number>", at most 50 characters: a number too long for that
    is replaced by a digest of itself (still one text per document, always the same)."""
    head = f"{PREFIX}-{client.reference_code}-{kind}-"
    text = str(number)
    if len(head) + len(text) > MAX_LENGTH:
        text = "H" + hashlib.sha256(text.encode()).hexdigest()[: MAX_LENGTH - len(head) - 1]
    return head + text
