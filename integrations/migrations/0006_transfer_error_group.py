"""The stored "same error" grouping: `Transfer.error_group` and two partial indexes holding only
unresolved failures. Existing failures get their key here; those already superseded by a later
success of the same object on the same connection stay empty (resolved)."""

from django.db import migrations, models
from django.db.models import Exists, OuterRef

BATCH = 2000


def error_groups_fill(apps, schema_editor):
    from integrations.triage import error_signature

    Transfer = apps.get_model("integrations", "Transfer")
    later_success = Transfer.objects.filter(
        status="succeeded", connection_id=OuterRef("connection_id"),
        content_type_id=OuterRef("content_type_id"), object_id=OuterRef("object_id"),
        finished_at__gt=OuterRef("finished_at"),
    )  # fmt: skip
    rows = (
        Transfer.objects.filter(status="failed")
        .exclude(Exists(later_success))
        .values_list("pk", "last_error", "object_number")
    )
    batch = []
    for pk, text, number in rows.iterator(chunk_size=BATCH):
        batch.append(Transfer(pk=pk, error_group=error_signature(text, number)))
        if len(batch) == BATCH:
            Transfer.objects.bulk_update(batch, ["error_group"])
            batch = []
    Transfer.objects.bulk_update(batch, ["error_group"])


class Migration(migrations.Migration):

    dependencies = [
        ('accounting', '0005_invoice_finalized_via'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('integrations', '0005_transfer_heartbeat'),
    ]

    operations = [
        migrations.AddField(
            model_name='transfer',
            name='error_group',
            field=models.CharField(blank=True, editable=False, help_text='While the transfer is an unresolved failure: the key its error shares with other failures of the same cause (see integrations.triage). Empty once it is resolved.', max_length=12, verbose_name='error group'),
        ),
        migrations.RunPython(error_groups_fill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='transfer',
            index=models.Index(condition=models.Q(('error_group__gt', ''), ('status', 'failed')), fields=['error_group', '-created_at', '-id'], name='integ_transfer_errgroup'),
        ),
        migrations.AddIndex(
            model_name='transfer',
            index=models.Index(condition=models.Q(('error_group__gt', ''), ('status', 'failed')), fields=['client', 'error_group', 'id'], name='integ_transfer_client_errgroup'),
        ),
    ]
