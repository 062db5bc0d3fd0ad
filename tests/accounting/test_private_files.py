"""Invoice PDFs are served only through a signed URL, to staff allowed to view invoices."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile

from tests.factories import InvoiceFactory, UserFactory

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4 invoice"


@pytest.fixture
def invoice():
    invoice = InvoiceFactory(number=10023)
    invoice.pdf.save("invoice-10023.pdf", ContentFile(PDF), save=True)
    return invoice


def staff(client, *permissions):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=permissions))
    client.force_login(user)
    return client


def test_pdf_url_is_signed_and_names_neither_client_nor_number(invoice):
    url = invoice.pdf.url
    assert url.startswith("/files/")
    assert "10023" not in url and f"/{invoice.client_id}/" not in url
    assert "invoice-10023" not in invoice.pdf.name.rsplit("/", 2)[-2]  # a random folder


def test_staff_allowed_to_view_invoices_gets_the_pdf(client, invoice):
    response = staff(client, "view_invoice").get(invoice.pdf.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF


def test_staff_without_the_permission_is_refused(client, invoice):
    assert staff(client).get(invoice.pdf.url).status_code == 403


def test_anonymous_visitor_is_sent_to_the_login(client, invoice):
    response = client.get(invoice.pdf.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize("path", ["/files/forged-token/", "/files/{name}/"])
def test_forged_or_plain_paths_are_not_found(client, invoice, path):
    response = staff(client, "view_invoice").get(path.format(name=invoice.pdf.name))
    assert response.status_code == 404


def test_media_folder_is_not_served(client, invoice, settings):
    settings.DEBUG = True
    assert staff(client, "view_invoice").get(f"/media/{invoice.pdf.name}").status_code == 404
