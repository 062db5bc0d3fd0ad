"""The API docs page draws quickly: the OpenAPI document is built once per process and language,
the operations start folded and the schema list is hidden (Swagger UI's slowest parts)."""

import json

import pytest
from django.utils import translation

from api import main

pytestmark = pytest.mark.django_db


@pytest.fixture
def docs_public(settings):
    settings.API_DOCS_PUBLIC = True


def test_openapi_document_is_built_once_per_language(monkeypatch, docs_public, client):
    built = []
    original = main.NinjaAPI.get_openapi_schema

    def counting(self, **kwargs):
        built.append(translation.get_language())
        return original(self, **kwargs)

    monkeypatch.setattr(main.NinjaAPI, "get_openapi_schema", counting)
    monkeypatch.setattr(main.api, "_openapi_schemas", {}, raising=False)
    first = client.get("/api/v1/openapi.json", HTTP_ACCEPT_LANGUAGE="en")
    second = client.get("/api/v1/openapi.json", HTTP_ACCEPT_LANGUAGE="en")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert "/api/v1/invoices/{invoice_id}/finalize" in json.loads(first.content)["paths"]
    assert len(built) == 1


def test_docs_page_starts_with_operations_folded_and_no_schema_list(docs_public, client):
    html = client.get("/api/v1/docs").content.decode()
    settings_json = html.split('id="swagger-settings">', 1)[1].split("</script>", 1)[0]
    swagger = json.loads(settings_json)
    assert swagger["docExpansion"] == "none"
    assert swagger["defaultModelsExpandDepth"] == -1
    assert swagger["url"] == "/api/v1/openapi.json"
