"""Demo POS settings and a few unsent invoice sales for the demo client. Idempotent."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from accounting.models import Client, Customer

from .models import PosSettings
from .services import pos_sale_record, pos_settings_save

# The seed's example product ids (use your own in a real setup).
DEMO_PRODUCT_IDS = {"product_id_vat_0": 33, "product_id_vat_12": 32, "product_id_vat_15": 31,
                    "product_id_vat_25": 30, "gratuity_product_id": 34,
                    "invoice_fee_product_id": 7}
DEMO_SALES = [
    ("D-1001", "Kasse 1", [("Dagens middag", "2", "398.00", 15), ("Øl", "2", "238.00", 25)],
     "45.00", "Bord 12"),
    ("D-1002", "Bar", [("Vin", "1", "129.00", 25)], "0", ""),
    ("D-1003", "Kasse 1", [("Kake", "3", "168.00", 15), ("Aviser", "1", "49.00", 0)], "10.00",
     "Firmamiddag"),
]


def demo_load(*, client: Client) -> list[str]:
    pos_settings = PosSettings.objects.filter(client=client).first()
    if pos_settings is None:
        pos_settings = PosSettings(
            client=client, enabled=True, enabled_since=timezone.localdate() - dt.timedelta(days=7),
            run_time=dt.time(3, 0), invoice_payment_account=1950, **DEMO_PRODUCT_IDS,
        )
        pos_settings_save(pos_settings=pos_settings)
    customer = Customer.objects.filter(client=client).order_by("number").first()
    if customer is None:
        return ["POS: demo settings saved; no customer for demo sales."]
    created = 0
    for number, till, lines, tip, note in DEMO_SALES:
        _sale, was_created = pos_sale_record(client=client, data={
            "number": number, "till": till, "customer": customer, "note": note,
            "sold_at": timezone.now() - dt.timedelta(hours=2), "gratuity_amount": tip,
            "lines": [{"description": d, "quantity": q, "amount_incl_vat": a, "vat_rate": r}
                      for d, q, a, r in lines],
        })
        created += was_created
    return [f"POS: settings for {client}, {created} new demo invoice sales (unsent)."]
