"""`python manage.py import_payments <client> [--full]`: fetch payments of the client's invoices
registered in PowerOffice Go now (a Transfer in the sync log, run in this process)."""

from django.utils.translation import gettext as _

from integrations.models import TransferKind
from integrations.poweroffice.management.base import ImportCommand


class Command(ImportCommand):
    help = _("Import payments registered in PowerOffice Go against the client's invoices.")
    kind = TransferKind.PAYMENT_IMPORT
