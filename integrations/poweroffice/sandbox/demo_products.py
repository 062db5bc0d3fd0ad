"""The POS products of the demo client, as its accountant would have created them in
PowerOffice Go (the DiggiPOS set-up: one product per VAT rate, gratuity and invoice fee).

`manage.py poweroffice_sandbox` (and so `make run`) puts them in the default client's books when
they are missing, under the ids the demo's POS settings name (pos/demo.py, the ids of the seed's
example). Their codes differ from their ids on purpose: PowerOffice Go's "Kode" column is not the
id the API wants. Tests build their own books and do not get them.
"""

from __future__ import annotations

import datetime as dt

from .books import Books

# (id, code, name, sales account number, price)
POS_PRODUCTS = [
    (33, "KASSE-0", "Servering i henhold til nota, 0 % MVA", 3100, 0.0),
    (32, "KASSE-12", "Servering i henhold til nota, 12 % MVA", 3033, 0.0),
    (31, "KASSE-15", "Servering i henhold til nota, 15 % MVA", 3030, 0.0),
    (30, "KASSE-25", "Servering i henhold til nota, 25 % MVA", 3000, 0.0),
    (34, "KASSE-TIPS", "Tips", 3200, 0.0),
    (7, "KASSE-GEBYR", "Fakturagebyr", 3200, 39.0),
]


def demo_products_ensure(books: Books) -> list[int]:
    """Add the POS products the books lack (by id); returns the ids added."""
    register = books.register("Products")
    accounts = {row["AccountNo"]: row["Id"]
                for row in books.register("GeneralLedgerAccounts").rows.values()}
    now = dt.datetime.now(dt.UTC).isoformat()
    added = []
    for product_id, code, name, account_no, price in POS_PRODUCTS:
        if product_id in register.rows:
            continue
        register.rows[product_id] = {
            **register.spec.defaults, "Id": product_id, "Code": code, "Name": name,
            "SalesPrice": price, "StandardSalesAccountId": accounts.get(account_no),
            "CreatedDateTimeOffset": now, "LastChangedDateTimeOffset": now,
        }
        added.append(product_id)
    return added
