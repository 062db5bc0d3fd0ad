"""Fixed transfer references (accounting.references).

Existing clients get a reference code. Documents already finalized or invoiced get exactly the
reference the PowerOffice Go connector sent until now ("LB-<org no>-<INV|CRN|SO>-<number>"), so a
retry or a reconciliation of them matches what PowerOffice Go holds; new documents get
"LB-<reference code>-<kind>-<number>".
"""

from django.db import migrations, models

import accounting.references


def fill_references(apps, schema_editor):
    Client = apps.get_model("accounting", "Client")
    Invoice = apps.get_model("accounting", "Invoice")
    SalesOrder = apps.get_model("accounting", "SalesOrder")
    used = set()
    for client in Client.objects.filter(reference_code__isnull=True).only("pk"):
        code = accounting.references.reference_code_new()
        while code in used or Client.objects.filter(reference_code=code).exists():
            code = accounting.references.reference_code_new()
        used.add(code)
        Client.objects.filter(pk=client.pk).update(reference_code=code)
    invoices = Invoice.objects.filter(number__isnull=False, transfer_reference="").select_related(
        "client"
    )
    batch = []
    for invoice in invoices.iterator(chunk_size=2000):
        kind = "CRN" if invoice.credited_invoice_id else "INV"
        invoice.transfer_reference = (
            f"LB-{invoice.client.organization_number}-{kind}-{invoice.number}"
        )
        batch.append(invoice)
        if len(batch) >= 2000:
            Invoice.objects.bulk_update(batch, ["transfer_reference"])
            batch = []
    Invoice.objects.bulk_update(batch, ["transfer_reference"])
    orders = SalesOrder.objects.filter(
        invoice_number__isnull=False, transfer_reference=""
    ).select_related("client")
    for order in orders.iterator(chunk_size=2000):
        SalesOrder.objects.filter(pk=order.pk).update(
            transfer_reference=f"LB-{order.client.organization_number}-SO-{order.number}"
        )


class Migration(migrations.Migration):
    dependencies = [("accounting", "0005_invoice_finalized_via")]

    operations = [
        migrations.AddField(
            model_name="client",
            name="reference_code",
            field=models.CharField(editable=False, max_length=8, null=True),
        ),
        migrations.AddField(
            model_name="invoice",
            name="transfer_reference",
            field=models.CharField(
                blank=True,
                db_index=True,
                editable=False,
                help_text="Sent with this document to the accounting system, fixed when it was finalized; every retry sends the same.",
                max_length=50,
                verbose_name="transfer reference",
            ),
        ),
        migrations.AddField(
            model_name="salesorder",
            name="transfer_reference",
            field=models.CharField(
                blank=True,
                db_index=True,
                editable=False,
                help_text="Sent with this document to the accounting system, fixed when it was marked invoiced; every retry sends the same.",
                max_length=50,
                verbose_name="transfer reference",
            ),
        ),
        migrations.RunPython(fill_references, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="client",
            name="reference_code",
            field=models.CharField(
                default=accounting.references.reference_code_new,
                editable=False,
                help_text="Given once, never changed: part of every reference sent with this client's documents, so a corrected organization number never makes a document look new.",
                max_length=8,
                unique=True,
                verbose_name="reference code",
            ),
        ),
    ]
