"""Factories for the pos app: settings per client, invoice sales with lines, batches."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from pos.models import PosBatch, PosSale, PosSaleLine, PosSettings
from tests.factories.accounting import ClientFactory, CustomerFactory

__all__ = ["PosBatchFactory", "PosSaleFactory", "PosSaleLineFactory", "PosSettingsFactory"]


class PosSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PosSettings

    client = factory.SubFactory(ClientFactory)
    enabled = True
    enabled_since = dt.date(2025, 1, 1)
    product_id_vat_0 = 33
    product_id_vat_12 = 32
    product_id_vat_15 = 31
    product_id_vat_25 = 30
    gratuity_product_id = 34
    invoice_fee_product_id = 7
    invoice_fee_amount = None
    run_time = dt.time(3, 0)
    invoice_payment_account = 1950


class PosSaleFactory(factory.django.DjangoModelFactory):
    """A sale with one 25 % line of 125.00 unless lines=[(amount, rate), ...] is given."""

    class Meta:
        model = PosSale
        skip_postgeneration_save = True

    client = factory.SubFactory(ClientFactory)
    number = factory.Sequence(lambda n: str(100000 + n))
    till = "Kasse 1"
    sold_at = factory.LazyFunction(
        lambda: timezone.make_aware(dt.datetime(2025, 3, 14, 19, 30))
    )
    customer = factory.SubFactory(CustomerFactory, client=factory.SelfAttribute("..client"))

    @factory.post_generation
    def lines(self, create, extracted, **kwargs):
        if not create:
            return
        for index, (amount, rate) in enumerate(extracted or [("125.00", 25)], 1):
            PosSaleLine.objects.create(
                sale=self, line_no=index, description=f"Item {index}",
                amount_incl_vat=Decimal(amount), vat_rate=rate,
            )


class PosSaleLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PosSaleLine

    sale = factory.SubFactory(PosSaleFactory, lines=[])
    line_no = factory.Sequence(lambda n: n + 1)
    description = "Item"
    amount_incl_vat = Decimal("100.00")
    vat_rate = 25


class PosBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PosBatch

    client = factory.SubFactory(ClientFactory)
    business_date = dt.date(2025, 3, 14)
