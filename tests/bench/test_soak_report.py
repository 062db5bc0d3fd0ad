"""The soak's verdict per object (bench/soak_report.py): what the sandbox stored decides, not what
our database believes it sent."""

from __future__ import annotations

import pytest

from bench.soak_report import Result, classify


@pytest.mark.parametrize(
    ("stored", "status", "bound", "outcome"),
    [
        (1, "succeeded", True, "once"),
        (1, "skipped", True, "once"),  # a later transfer found it already there
        (2, "succeeded", True, "doubled"),  # our side looks fine; the server holds two
        (3, "failed", False, "doubled"),
        (0, "succeeded", True, "lost"),
        (0, "running", True, "lost"),  # bound, yet never stored
        (0, None, False, "lost"),  # finalized, never queued
        (1, "failed", False, "failed-but-posted"),
        (1, "pending", False, "failed-but-posted"),
        (1, "succeeded", False, "failed-but-posted"),  # stored, never bound
        (0, "failed", False, "failed"),
        (0, "pending", False, "pending"),
        (0, "running", False, "pending"),
    ],
)
def test_classify_counts_from_what_was_stored(stored, status, bound, outcome):
    assert classify(stored, status, bound) == outcome


def test_targets_are_missed_by_any_double_loss_or_unknown_stored_reference():
    assert Result().targets_met()
    for kind_outcome in [("invoices", "doubled"), ("POS sales", "lost"),
                         ("credit notes", "failed-but-posted")]:  # fmt: skip
        result = Result()
        result.tally[kind_outcome] += 1
        assert not result.targets_met()
    result = Result()
    result.tally[("invoices", "failed")] += 1  # refused and not stored: honest, not a miss
    assert result.targets_met()
    assert not Result(sandbox_doubled=["LB-X-INV-1"]).targets_met()
    assert not Result(unknown=["LB-X-INV-2"]).targets_met()
