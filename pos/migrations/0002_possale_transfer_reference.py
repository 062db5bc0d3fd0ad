"""POS sales get a fixed transfer reference. Sales already batched keep exactly the reference
the batch sent until now ("LB-POS-<client database id>-<sale number>"); sales not yet batched
get the new, restore-proof one when they are (pos.batch.pos_batch_build)."""

from django.db import migrations, models
from django.db.models import Q


def fill_references(apps, schema_editor):
    PosSale = apps.get_model("pos", "PosSale")
    sales = PosSale.objects.filter(Q(batch__isnull=False) | ~Q(status="unsent"))
    batch = []
    for sale in sales.filter(transfer_reference="").iterator(chunk_size=2000):
        sale.transfer_reference = f"LB-POS-{sale.client_id}-{sale.number}"[:50]
        batch.append(sale)
        if len(batch) >= 2000:
            PosSale.objects.bulk_update(batch, ["transfer_reference"])
            batch = []
    PosSale.objects.bulk_update(batch, ["transfer_reference"])


class Migration(migrations.Migration):
    dependencies = [("pos", "0001_initial"), ("accounting", "0006_document_transfer_references")]

    operations = [
        migrations.AddField(
            model_name="possale",
            name="transfer_reference",
            field=models.CharField(
                blank=True,
                db_index=True,
                editable=False,
                help_text="Sent with this document to the accounting system, fixed when it was first batched; every retry sends the same.",
                max_length=50,
                verbose_name="transfer reference",
            ),
        ),
        migrations.RunPython(fill_references, migrations.RunPython.noop),
    ]
