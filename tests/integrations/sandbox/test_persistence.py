"""The sandboxes keep their books across restarts: a state file written after each write and
read at start, so the demo's customers, vouchers and POS products outlive `make run`."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
from decimal import Decimal

import pytest
from werkzeug.test import Client

from integrations.azets import sandbox as azets_sandbox
from integrations.azets.sandbox import persistence as azets_persistence
from integrations.azets.sandbox.app import AzetsSandbox
from integrations.poweroffice import sandbox as po_sandbox
from integrations.poweroffice.sandbox import persistence as po_persistence
from integrations.poweroffice.sandbox.app import PowerOfficeSandbox, SandboxConfig
from integrations.poweroffice.sandbox.demo_products import POS_PRODUCTS, demo_products_ensure
from integrations.sandbox.persistence import PersistedSandbox, decode, encode, state_file

SUB = {"Ocp-Apim-Subscription-Key": po_sandbox.DEFAULT_SUBSCRIPTION_KEY}
AZETS_AUTH = {"Authorization": "Basic " + base64.b64encode(
    f"{azets_sandbox.DEFAULT_USERNAME}:{azets_sandbox.DEFAULT_PASSWORD}".encode()).decode()}
AZETS_SCOPE = "/v1/parents/S1001/clients/42"


def poweroffice(path) -> PersistedSandbox:
    app = PowerOfficeSandbox(config=SandboxConfig(rate_limit=None))
    return PersistedSandbox(app, path, dump=po_persistence.dump, load=po_persistence.load)


def authorised(web: Client) -> dict:
    keys = f"{po_sandbox.DEFAULT_APPLICATION_KEY}:{po_sandbox.DEFAULT_CLIENT_KEY}"
    response = web.post("/OAuth/Token", data={"grant_type": "client_credentials"}, headers={
        **SUB, "Authorization": "Basic " + base64.b64encode(keys.encode()).decode()})
    return {**SUB, "Authorization": f"Bearer {response.json['access_token']}"}


def test_poweroffice_books_survive_a_restart(tmp_path):
    path = tmp_path / "sandbox-poweroffice.json"
    web = Client(poweroffice(path))
    auth = authorised(web)
    created = web.post("/v2/Customers", json={"Name": "Fjord AS"}, headers=auth).json

    restarted = Client(poweroffice(path))
    auth = authorised(restarted)  # the old token is gone: a new one is issued as usual
    again = restarted.get(f"/v2/Customers/{created['Id']}", headers=auth)
    second = restarted.post("/v2/Customers", json={"Name": "Berg AS"}, headers=auth).json

    assert again.status_code == 200 and again.json["Name"] == "Fjord AS"
    assert again.json["Number"] == created["Number"]
    # Numbers and ids continue where they stopped instead of clashing with the saved rows.
    assert second["Id"] > created["Id"] and second["Number"] == created["Number"] + 1


def test_reads_do_not_write_and_writes_replace_the_file_whole(tmp_path):
    path = tmp_path / "state.json"
    web = Client(poweroffice(path))
    auth = authorised(web)
    web.get("/v2/Customers", headers=auth)
    document = json.loads(path.read_text())  # the token POST wrote it

    assert document["version"] == 1 and document["system"] == "poweroffice"
    assert not list(tmp_path.glob(".state.json.*"))  # no temporary file left behind


def test_reset_through_the_control_api_empties_the_saved_books(tmp_path):
    path = tmp_path / "state.json"
    web = Client(poweroffice(path))
    auth = authorised(web)
    web.post("/v2/Customers", json={"Name": "Fjord AS"}, headers=auth)
    web.post("/_sandbox/reset", json={})

    restarted = poweroffice(path)
    assert restarted.app.books == {}


def test_unreadable_file_starts_empty_instead_of_failing(tmp_path):
    path = tmp_path / "state.json"
    path.write_text("{not json")

    app = poweroffice(path)

    assert app.loaded is False and app.app.books == {}


def test_demo_pos_products_carry_the_ids_the_demo_names_and_are_added_once():
    from pos.demo import DEMO_PRODUCT_IDS

    books = PowerOfficeSandbox().books_for(po_sandbox.DEFAULT_CLIENT_KEY)
    assert sorted(demo_products_ensure(books)) == sorted(DEMO_PRODUCT_IDS.values())
    assert demo_products_ensure(books) == []
    rows = books.register("Products").rows
    assert {rows[i]["Code"] for i, *_ in POS_PRODUCTS} >= {"KASSE-25", "KASSE-GEBYR"}
    assert all(rows[i]["StandardSalesAccountId"] for i, *_ in POS_PRODUCTS)
    # A product created later gets a server id that cannot clash with them.
    assert books.register("Products").create({"Name": "Kaffe"})["Id"] > 1000


def test_azets_ledgers_survive_a_restart(tmp_path):
    path = tmp_path / "sandbox-azets.json"

    def azets():
        return PersistedSandbox(AzetsSandbox(), path, dump=azets_persistence.dump,
                                load=azets_persistence.load)

    web = Client(azets())
    assert web.put(f"{AZETS_SCOPE}/customers/1001", json={"name": "Fjord AS"},
                   headers=AZETS_AUTH).status_code == 201

    restarted = azets()
    ledger = restarted.app.ledger("S1001/42")
    assert ledger.customers["1001"]["name"] == "Fjord AS"
    replay = Client(restarted).put(f"{AZETS_SCOPE}/customers/1001", json={"name": "Fjord AS"},
                                   headers=AZETS_AUTH)
    assert replay.status_code == 200  # known already: updated, not created


@pytest.mark.parametrize("value", [
    b"%PDF-1.4 \x00\xff", dt.date(2025, 1, 31), dt.datetime(2025, 1, 31, 12, tzinfo=dt.UTC),
    Decimal("19625.50"), {1001: {"Id": 1001}}, [("a.pdf", b"x")],
])
def test_values_books_hold_round_trip(value):
    decoded = decode(json.loads(json.dumps(encode(value))))
    expected = [list(item) for item in value] if isinstance(value, list) else value
    assert decoded == expected


def test_counters_round_trip_without_being_consumed():
    counter = itertools.count(40001)
    assert next(decode(encode(counter))) == 40001
    assert next(counter) == 40001


def test_state_file_sits_beside_the_sqlite_database(settings, tmp_path):
    settings.SANDBOX_STATE_DIR = ""
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")}
    postgres = {"ENGINE": "django.db.backends.postgresql", "NAME": "ledgerbridge"}
    assert state_file("azets", database=sqlite) == tmp_path / "sandbox-azets.json"
    assert state_file("azets", database=postgres) == settings.BASE_DIR / "sandbox-azets.json"
    settings.SANDBOX_STATE_DIR = str(tmp_path / "elsewhere")
    assert state_file("poweroffice") == tmp_path / "elsewhere" / "sandbox-poweroffice.json"
