# An invoice credited in full is "Credited", not "Partly paid"; existing ones are corrected.

from decimal import Decimal

from django.db import migrations, models
from django.db.models import Sum


def mark_fully_credited(apps, schema_editor):
    Invoice = apps.get_model("accounting", "Invoice")
    credited_ids = (
        Invoice.objects.filter(credited_invoice__isnull=False, state="finalized")
        .values_list("credited_invoice_id", flat=True)
        .distinct()
    )
    for invoice in Invoice.objects.filter(pk__in=list(credited_ids)):
        total = invoice.lines.aggregate(t=Sum("amount_incl_vat"))["t"] or Decimal("0")
        credited = -(
            Invoice.objects.filter(credited_invoice=invoice, state="finalized").aggregate(
                t=Sum("lines__amount_incl_vat")
            )["t"]
            or Decimal("0")
        )
        if credited > 0 and total - credited <= 0:
            Invoice.objects.filter(pk=invoice.pk).update(payment_status="credited")


class Migration(migrations.Migration):

    dependencies = [
        ('accounting', '0009_invoice_line_non_income_confirmation'),
    ]

    operations = [
        migrations.AlterField(
            model_name='invoice',
            name='payment_status',
            field=models.CharField(choices=[('unpaid', 'Unpaid'), ('partly_paid', 'Partly paid'), ('paid', 'Paid'), ('credited', 'Credited')], default='unpaid', editable=False, max_length=12, verbose_name='payment status'),
        ),
        migrations.RunPython(mark_fully_credited, migrations.RunPython.noop),
    ]
