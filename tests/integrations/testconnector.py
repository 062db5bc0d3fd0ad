"""A connector for tests: talks HTTP (mocked with `responses`) to an imaginary system.

Exports a `Client` as a customer (optionally after `auth.User` contact persons given in the
transfer's params: `{"contact_user_ids": [...]}`), imports records into `auth.Group`, and tests
the connection with GET /ping. Set `explode = True` to make the exporter raise unexpectedly.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, User

from integrations.base import (
    BaseConnector,
    BaseExporter,
    BaseImporter,
    ConnectionTestResult,
    SecretField,
)
from integrations.errors import DataError
from integrations.http import ApiSession, json_or_none, raise_for_response
from integrations.models import System, TransferKind

BASE_URL = "https://testconnector.invalid/api"


class TestApi(ApiSession):
    system = "testconnector"

    def __init__(self, *, base_url: str, client_key: str) -> None:
        super().__init__(role="testconnector")
        self.base_url = base_url
        self.client_key = client_key
        self.headers["Authorization"] = f"Bearer {client_key}"

    def secrets(self):
        return [self.client_key]

    def call(self, method: str, path: str, **kwargs):
        response = self.request(method, f"{self.base_url}{path}", **kwargs)
        raise_for_response(
            response, system=self.system, operation=f"{method} {path}", secrets=self.secrets()
        )
        return json_or_none(response)

    def create_record(self, payload) -> str:
        return str(self.call("POST", "/records", json=payload)["id"])

    def update_record(self, external_id: str, payload) -> None:
        self.call("PATCH", f"/records/{external_id}", json=payload)

    def find_record(self, reference: str) -> str | None:
        found = self.call("GET", "/records", params={"reference": reference})
        return str(found[0]["id"]) if found else None

    def list_groups(self, page: int):
        return self.call("GET", "/groups", params={"page": page}) or []


class ContactExporter(BaseExporter):
    kind = TransferKind.CONTACT_PERSON

    def build_payload(self, user: User):
        return {"type": "contact", "username": user.username, "email": user.email}

    def create(self, payload):
        return self.client.create_record(payload)

    def update(self, external_id, payload):
        self.client.update_record(external_id, payload)


class CustomerExporter(BaseExporter):
    kind = TransferKind.CUSTOMER
    dependencies = (ContactExporter,)

    def dependency_objects(self, obj):
        ids = self.context.params.get("contact_user_ids", [])
        return [(ContactExporter, user) for user in User.objects.filter(pk__in=ids).order_by("pk")]

    def build_payload(self, client):
        if self.context.connector.explode:
            raise RuntimeError(f"exploded while sending {self.connection.secrets['client_key']}")
        if not client.organization_number:
            raise DataError(f"Client {client}: organization number is missing")
        return {"type": "customer", "name": client.name, "reference": client.organization_number}

    def create(self, payload):
        return self.client.create_record(payload)

    def update(self, external_id, payload):
        self.client.update_record(external_id, payload)

    def find_existing(self, obj, payload):
        # Matched by our reference (we are master): a create whose answer was lost is found.
        return self.client.find_record(payload["reference"])


class GroupImporter(BaseImporter):
    kind = TransferKind.EXPENSE_IMPORT
    model = Group

    def fetch_pages(self):
        page = 1
        while records := self.client.list_groups(page):
            yield records
            page += 1

    def parse(self, raw):
        if not raw.get("name"):
            raise DataError(f"Group {raw.get('id')}: name is missing")
        return raw

    def match(self, item):
        return Group.objects.filter(name=item["name"]).first()

    def create(self, item):
        return Group.objects.create(name=item["name"])

    def update(self, obj, item):
        obj.name = item["name"]
        obj.save(update_fields=["name"])
        return obj


class TestConnector(BaseConnector):
    __test__ = False  # not a pytest class

    system = System.POWEROFFICE
    base_urls_setting = "TESTCONNECTOR_BASE_URLS"
    exporters = {
        TransferKind.CUSTOMER: CustomerExporter,
        TransferKind.CONTACT_PERSON: ContactExporter,
    }
    importers = {TransferKind.EXPENSE_IMPORT: GroupImporter}
    secret_fields = (SecretField("client_key", "Client key", "From the system's settings page."),)

    def __init__(self) -> None:
        self.explode = False

    def client_for(self, connection):
        secrets = self.require_secrets(connection)
        return TestApi(base_url=self.base_url(connection), client_key=secrets["client_key"])

    def test_connection(self, connection):
        self.client_for(connection).call("GET", "/ping")
        return ConnectionTestResult(True, "The test system answered.")
