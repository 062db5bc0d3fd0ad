import pytest

from pos.demo import demo_load
from pos.models import PosSale, PosSettings
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_demo_load_is_idempotent():
    customer = CustomerFactory()
    demo_load(client=customer.client)
    lines = demo_load(client=customer.client)
    assert PosSettings.objects.filter(client=customer.client).count() == 1
    assert PosSale.objects.filter(client=customer.client, status="unsent").count() == 3
    assert "0 new demo invoice sales" in lines[0]
