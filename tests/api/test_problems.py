"""Errors are problem details; the OpenAPI document and the docs are served without a CDN."""

import json

import pytest

from .conftest import problem

pytestmark = pytest.mark.django_db


def test_body_over_the_limit_is_a_413_problem(api, settings):
    settings.API_MAX_BODY_BYTES = 100
    response = api.put("/customers/1", {"name": "x" * 200})
    assert response.status_code == 413
    assert problem(response)["type"].endswith("body-too-large")


def test_body_larger_than_djangos_form_limit_is_accepted_under_the_api_limit(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50
    response = api.put("/customers/1", {"name": "Big enough AS", "address_line1": "x" * 100})
    assert response.status_code == 201


def test_malformed_json_is_a_400_problem(api):
    response = api.put("/customers/1", None, raw="{not json")
    assert response.status_code == 400
    body = problem(response)
    assert body["title"] == "Malformed request body."


def test_unknown_path_under_the_api_is_a_404_problem(api):
    response = api.get("/no-such-thing")
    assert response.status_code == 404
    assert problem(response)["type"].endswith("not-found")


def test_openapi_document_is_served_as_valid_json(admin_client):
    response = admin_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    assert "/api/v1/invoices/{invoice_id}/finalize" in document["paths"]
    assert "bearer" in json.dumps(document["components"]["securitySchemes"]).lower()


def test_interactive_docs_use_local_assets(admin_client):
    response = admin_client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/openapi.json"])
def test_api_docs_need_a_staff_login_unless_public(client, settings, path):
    settings.API_DOCS_PUBLIC = False
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    settings.API_DOCS_PUBLIC = True
    assert client.get(path).status_code == 200
