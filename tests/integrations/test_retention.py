"""prune_transfers: old succeeded/skipped/cancelled transfers go (archived if asked), the rest
and every external link stay."""

import gzip
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from integrations.models import ExternalLink, Transfer, TransferAttempt, TransferStatus
from integrations.retention import duration_parse, transfers_prune
from tests.factories.integrations import (
    ConnectionFactory,
    ExternalLinkFactory,
    TransferAttemptFactory,
    TransferFactory,
)

pytestmark = pytest.mark.django_db


def aged(days, status, connection, **kwargs):
    transfer = TransferFactory(
        connection=connection, status=status,
        created_at=timezone.now() - timedelta(days=days), **kwargs,
    )  # fmt: skip
    TransferAttemptFactory(transfer=transfer, number=1, error="boom" if status == "failed" else "")
    return transfer


@pytest.fixture
def world():
    connection = ConnectionFactory()
    old = {
        status: aged(120, status, connection, object_number=f"old-{status}")
        for status in TransferStatus.values
    }
    recent = aged(10, TransferStatus.SUCCEEDED, connection, object_number="recent")
    link = ExternalLinkFactory(connection=connection, external_id="X-1")
    return {"old": old, "recent": recent, "link": link}


def test_prunes_only_old_succeeded_skipped_and_cancelled_with_their_attempts(world):
    report = transfers_prune(older_than=timedelta(days=90), batch_size=2)

    assert (report.transfers, report.attempts, report.archived) == (3, 3, 0)
    left = set(Transfer.objects.values_list("object_number", flat=True))
    assert left == {"old-failed", "old-pending", "old-running", "recent"}
    assert TransferAttempt.objects.count() == 4
    assert ExternalLink.objects.filter(pk=world["link"].pk).exists()


def test_archive_holds_each_pruned_transfer_with_its_attempts(world, tmp_path):
    path = tmp_path / "transfers.jsonl.gz"

    report = transfers_prune(older_than=timedelta(days=90), archive_path=path)

    rows = [json.loads(line) for line in gzip.open(path, "rt", encoding="utf-8")]
    assert report.archived == 3
    assert sorted(r["object_number"] for r in rows) == ["old-cancelled", "old-skipped",
                                                         "old-succeeded"]  # fmt: skip
    assert all(len(r["attempts_log"]) == 1 for r in rows)
    assert rows[0]["content_type"] == ["accounting", "client"]


def test_command_reports_counts_and_rejects_a_bad_age(world, capsys):
    call_command("prune_transfers", "--older-than", "90d")

    assert "3 transfers and 3 attempts" in capsys.readouterr().out
    with pytest.raises(CommandError, match="90 days"):
        call_command("prune_transfers", "--older-than", "90 days")


def test_duration_forms():
    assert duration_parse("90d") == timedelta(days=90)
    assert duration_parse("12H") == timedelta(hours=12)
    assert duration_parse("2w") == timedelta(weeks=2)
