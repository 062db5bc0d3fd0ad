"""API tokens in the admin: shown once after creating, revoked by an action, roles respected."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounting.roles import ACCOUNTANTS, BACK_OFFICE_STAFF
from api.models import ApiToken
from api.tokens import api_token_authenticate
from tests.factories import ClientFactory, UserFactory
from tests.factories.api import ApiTokenFactory

pytestmark = pytest.mark.django_db


def staff(client, role):
    user = UserFactory()
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


def test_creating_a_token_shows_it_once_and_stores_only_its_hash(client):
    user = staff(client, BACK_OFFICE_STAFF)
    books = ClientFactory()
    response = client.post(reverse("admin:api_apitoken_add"),
                           {"client": books.pk, "name": "Webshop"})
    assert response.status_code == 200
    plaintext = response.context["plaintext"]
    assert plaintext in response.content.decode()
    token = ApiToken.objects.get(name="Webshop")
    assert (token.client, token.created_by) == (books, user)
    assert api_token_authenticate(plaintext=plaintext) == token
    change_page = client.get(reverse("admin:api_apitoken_change", args=[token.pk]))
    assert plaintext not in change_page.content.decode()
    assert token.prefix in change_page.content.decode()


def test_revoke_action_stops_the_token(client):
    staff(client, BACK_OFFICE_STAFF)
    token = ApiTokenFactory()
    response = client.post(reverse("admin:api_apitoken_changelist"),
                           {"action": "revoke_selected", "_selected_action": [token.pk]},
                           follow=True)
    assert "1 token revoked." in response.content.decode()
    token.refresh_from_db()
    assert token.is_revoked
    assert api_token_authenticate(plaintext=token.plaintext) is None


def test_list_searches_by_prefix_and_filters_by_client(client):
    staff(client, BACK_OFFICE_STAFF)
    wanted, other = ApiTokenFactory(name="Till"), ApiTokenFactory(name="Shop")
    url = reverse("admin:api_apitoken_changelist")
    by_prefix = client.get(url, {"q": wanted.prefix}).content.decode()
    by_client = client.get(url, {"client__id__exact": other.client_id}).content.decode()
    assert "Till" in by_prefix and "Shop" not in by_prefix
    assert "Shop" in by_client and "Till" not in by_client


def test_accountants_view_tokens_but_cannot_create_or_revoke(client):
    staff(client, ACCOUNTANTS)
    token = ApiTokenFactory()
    assert client.get(reverse("admin:api_apitoken_changelist")).status_code == 200
    assert client.get(reverse("admin:api_apitoken_add")).status_code == 403
    client.post(reverse("admin:api_apitoken_changelist"),
                {"action": "revoke_selected", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert not token.is_revoked


def test_staff_cannot_delete_tokens(client):
    staff(client, BACK_OFFICE_STAFF)
    token = ApiTokenFactory()
    response = client.get(reverse("admin:api_apitoken_delete", args=[token.pk]))
    assert response.status_code == 403
