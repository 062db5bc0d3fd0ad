"""The bad-input catalogue of management commands (issue 17): refused with a message naming the
argument and value, nothing sent or written."""

import pytest
from django.core.management import CommandError, call_command

from pos.models import PosBatch
from tests.factories.pos import PosSettingsFactory

pytestmark = pytest.mark.django_db

CASES = [
    ("business date 2099", ["--date", "2099-01-01"], "2099-01-01"),
    ("business date 1999", ["--date", "1999-12-31"], "1999-12-31"),
    ("not a date", ["--date", "2025-13-45"], "2025-13-45"),
    ("NUL in the date", ["--date", "2025\x00-01-01"], "--date"),
]


@pytest.mark.parametrize(("argv", "named"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_run_pos_batch_refuses_an_implausible_date_and_sends_nothing(argv, named):
    pos_settings = PosSettingsFactory()
    with pytest.raises(CommandError) as refused:
        call_command("run_pos_batch", str(pos_settings.client_id), *argv)
    assert named in str(refused.value)
    assert not PosBatch.objects.exists()


@pytest.mark.parametrize("client", ["nobody", "1" * 30, "x\x00y"])
def test_run_pos_batch_refuses_an_unknown_client(client):
    with pytest.raises(CommandError):
        call_command("run_pos_batch", client)
    assert not PosBatch.objects.exists()
