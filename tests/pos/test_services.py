"""Recording sales, the per-client schedules, batch building and the run_pos_batch command."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_q.models import Schedule

from integrations.models import Transfer, TransferKind
from pos.batch import pos_batch_build, pos_business_date
from pos.exceptions import PosError
from pos.models import PosSale
from pos.schedules import pos_schedule_name, pos_schedules_sync
from pos.services import pos_sale_record, pos_settings_save
from pos.tasks import pos_nightly_batches_run
from tests.factories import ClientFactory, CustomerFactory
from tests.factories.integrations import ConnectionFactory
from tests.factories.pos import PosSaleFactory, PosSettingsFactory

pytestmark = pytest.mark.django_db


def sale_data(customer, **overrides):
    data = {
        "number": "5001", "till": "Bar", "sold_at": "2025-03-14T21:05:00+01:00",
        "customer_number": customer.number, "note": "Bord 4", "gratuity_amount": "30",
        "lines": [{"description": "Pizza", "quantity": "2", "amount_incl_vat": "398.00",
                   "vat_rate": 15},
                  {"description": "Øl", "amount_incl_vat": "119,00", "vat_rate": "25"}],
    }
    return {**data, **overrides}


class TestSaleRecord:
    def test_records_sale_with_lines(self):
        customer = CustomerFactory()
        sale, created = pos_sale_record(client=customer.client, data=sale_data(customer))
        assert created and sale.customer == customer and sale.status == "unsent"
        assert [(x.amount_incl_vat, x.vat_rate) for x in sale.lines.all()] == [
            (Decimal("398.00"), 15), (Decimal("119.00"), 25)]

    def test_is_idempotent_on_sale_number(self):
        customer = CustomerFactory()
        first, _ = pos_sale_record(client=customer.client, data=sale_data(customer))
        again, created = pos_sale_record(
            client=customer.client, data=sale_data(customer, note="changed"))
        assert (again.pk, created, again.note) == (first.pk, False, "Bord 4")
        assert PosSale.objects.count() == 1

    def test_a_sale_recorded_at_the_same_moment_elsewhere_is_returned_not_an_error(
        self, monkeypatch
    ):
        """The other request saves the same sale number between our check and our insert."""
        from pos import services

        customer = CustomerFactory()
        validate = services._full_clean

        def validate_then_lose_the_race(obj):
            validate(obj)
            if isinstance(obj, PosSale):
                monkeypatch.setattr(services, "_full_clean", validate)
                pos_sale_record(client=customer.client, data=sale_data(customer, note="first"))

        monkeypatch.setattr(services, "_full_clean", validate_then_lose_the_race)
        sale, created = pos_sale_record(client=customer.client, data=sale_data(customer))

        assert (created, sale.note) == (False, "first")
        assert PosSale.objects.count() == 1 and sale.lines.count() == 2

    def test_refuses_unknown_vat_rate_naming_sale_and_line(self):
        customer = CustomerFactory()
        data = sale_data(customer, lines=[{"amount_incl_vat": "10", "vat_rate": "8"}])
        with pytest.raises(PosError, match=r"POS sale 5001: line 1: VAT rate 8 %"):
            pos_sale_record(client=customer.client, data=data)
        assert not PosSale.objects.exists()

    def test_refuses_unknown_customer(self):
        customer = CustomerFactory()
        with pytest.raises(PosError, match="invoice customer 424242 does not exist"):
            pos_sale_record(client=customer.client,
                            data=sale_data(customer, customer_number=424242))

    def test_refuses_customer_of_another_client(self):
        customer = CustomerFactory()
        data = {**sale_data(customer), "customer": customer}
        with pytest.raises(PosError, match="belongs to another client"):
            pos_sale_record(client=ClientFactory(), data=data)


class TestSchedules:
    def test_saving_enabled_settings_creates_the_clients_schedule_at_run_time(self):
        pos_settings = PosSettingsFactory.build(client=ClientFactory(), run_time=dt.time(2, 30))
        pos_settings_save(pos_settings=pos_settings)
        row = Schedule.objects.get(name=pos_schedule_name(pos_settings.client))
        assert (row.func, row.cron) == ("pos.tasks.pos_nightly_batches_run", "30 2 * * *")
        assert row.kwargs == f"client_id={pos_settings.client_id}"
        assert row.intended_date_kwarg == "intended_at"

    def test_sync_is_idempotent_updates_run_time_and_removes_disabled(self):
        keep, drop = PosSettingsFactory(), PosSettingsFactory()
        assert len(pos_schedules_sync()["created"]) == 2
        assert pos_schedules_sync()["created"] == []
        keep.run_time = dt.time(23, 45)
        pos_settings_save(pos_settings=keep)
        assert Schedule.objects.get(name=pos_schedule_name(keep.client)).cron == "45 23 * * *"
        drop.enabled = False
        pos_settings_save(pos_settings=drop)
        assert not Schedule.objects.filter(name=pos_schedule_name(drop.client)).exists()
        Schedule.objects.create(name="someone.else", func="x.y", schedule_type=Schedule.DAILY)
        pos_schedules_sync()
        assert Schedule.objects.filter(name="someone.else").exists()

    def test_each_client_gets_its_own_days_and_time(self):
        """DiggiPOS's scheduler per client: days of the week and a time, not one nightly time."""
        bistro = PosSettingsFactory(run_days="tue,wed,thu,fri,sat", run_time=dt.time(23, 15))
        kiosk = PosSettingsFactory(run_days="sun,mon", run_time=dt.time(2, 0))
        every_day = PosSettingsFactory(run_time=dt.time(3, 0))
        pos_schedules_sync()
        crons = {
            name: Schedule.objects.get(name=pos_schedule_name(s.client)).cron
            for name, s in (("bistro", bistro), ("kiosk", kiosk), ("every_day", every_day))
        }
        assert crons == {
            "bistro": "15 23 * * tue,wed,thu,fri,sat",
            "kiosk": "0 2 * * mon,sun",
            "every_day": "0 3 * * *",
        }

    def test_next_run_of_a_weekday_schedule_skips_the_days_left_out(self):
        bistro = PosSettingsFactory(run_days="tue,wed,thu,fri,sat", run_time=dt.time(23, 15))
        pos_schedules_sync()
        row = Schedule.objects.get(name=pos_schedule_name(bistro.client))
        nexts = []
        with timezone.override("Europe/Oslo"):
            when = timezone.make_aware(dt.datetime(2026, 3, 1, 12, 0))  # a Sunday
            from croniter import croniter

            runs = croniter(row.cron, timezone.localtime(when))
            nexts = [runs.get_next(dt.datetime).strftime("%a %H:%M") for _ in range(6)]
        assert nexts == ["Tue 23:15", "Wed 23:15", "Thu 23:15", "Fri 23:15", "Sat 23:15",
                         "Tue 23:15"]

    def test_changing_the_days_updates_the_schedule(self):
        pos_settings = PosSettingsFactory(run_time=dt.time(1, 30))
        pos_schedules_sync()
        pos_settings.run_days = "fri,sat"
        pos_settings_save(pos_settings=pos_settings)
        row = Schedule.objects.get(name=pos_schedule_name(pos_settings.client))
        assert row.cron == "30 1 * * fri,sat"

    @pytest.mark.parametrize("days", ["", "mon,mon", "monday", "mon,xyz"])
    def test_run_days_must_name_days_of_the_week_once(self, days):
        from django.core.exceptions import ValidationError

        pos_settings = PosSettingsFactory.build(client=ClientFactory(), run_days=days)
        with pytest.raises(ValidationError) as excinfo:
            pos_settings_save(pos_settings=pos_settings)
        assert "run_days" in excinfo.value.message_dict


class TestBatchBuild:
    def test_business_date_of_a_run_after_midnight_is_the_previous_day(self):
        night = timezone.make_aware(dt.datetime(2025, 3, 15, 2, 30))
        evening = timezone.make_aware(dt.datetime(2025, 3, 14, 23, 30))
        assert pos_business_date(at=night) == pos_business_date(at=evening) == dt.date(2025, 3, 14)

    def test_claims_sales_from_enabled_since_to_the_business_date(self):
        pos_settings = PosSettingsFactory(enabled_since=dt.date(2025, 3, 1))
        ConnectionFactory(client=pos_settings.client)
        def at(day):
            return timezone.make_aware(dt.datetime(2025, 3, day, 12))
        before = PosSaleFactory(client=pos_settings.client, sold_at=at(1) - dt.timedelta(days=2))
        due = PosSaleFactory(client=pos_settings.client, sold_at=at(2))
        later = PosSaleFactory(client=pos_settings.client, sold_at=at(20))
        batch = pos_batch_build(client=pos_settings.client, business_date=dt.date(2025, 3, 14))
        assert list(batch.sales.all()) == [due]
        assert {before.pk, later.pk}.isdisjoint(batch.sales.values_list("pk", flat=True))
        transfer = Transfer.objects.get(kind=TransferKind.POS_BATCH)
        assert (transfer.object, batch.status) == (batch, "queued")

    def test_a_replay_reuses_the_batch_and_its_pending_transfer(self):
        pos_settings = PosSettingsFactory()
        ConnectionFactory(client=pos_settings.client)
        PosSaleFactory(client=pos_settings.client)
        first = pos_batch_build(client=pos_settings.client, business_date=dt.date(2025, 3, 14))
        again = pos_batch_build(client=pos_settings.client, business_date=dt.date(2025, 3, 14))
        assert first.pk == again.pk
        assert Transfer.objects.filter(kind=TransferKind.POS_BATCH).count() == 1

    def test_without_a_connection_nothing_is_claimed(self):
        pos_settings = PosSettingsFactory()
        sale = PosSaleFactory(client=pos_settings.client)
        with pytest.raises(PosError, match="no enabled PowerOffice Go connection"):
            pos_batch_build(client=pos_settings.client, business_date=dt.date(2025, 3, 14))
        sale.refresh_from_db()
        assert sale.batch_id is None

    def test_nightly_task_builds_the_batch_of_the_intended_night(self):
        pos_settings = PosSettingsFactory()
        ConnectionFactory(client=pos_settings.client)
        PosSaleFactory(client=pos_settings.client)
        counts = pos_nightly_batches_run(client_id=pos_settings.client_id,
                                         intended_at="2025-03-15T03:00:00+01:00")
        assert counts == {"batches": 1, "sales": 1, "errors": 0}
        assert Transfer.objects.get(kind=TransferKind.POS_BATCH).object.business_date == (
            dt.date(2025, 3, 14))


def test_command_refuses_an_unknown_client():
    with pytest.raises(CommandError, match="No single client"):
        call_command("run_pos_batch", "nobody")


def test_command_reports_an_empty_batch(capsys):
    pos_settings = PosSettingsFactory()
    call_command("run_pos_batch", str(pos_settings.client_id), "--date", "2025-03-14")
    assert "0 sales, 0 sent, 0 failed" in capsys.readouterr().out
