"""Links every admin page carries lead somewhere: no "View site" to a missing public site."""

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_admin_header_has_no_view_site_link_to_a_missing_page(client):
    client.force_login(UserFactory(is_superuser=True))
    html = client.get("/admin/").content.decode()
    assert "View site" not in html
    assert 'href="/"' not in html


def test_the_bare_address_leads_to_the_back_office(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
