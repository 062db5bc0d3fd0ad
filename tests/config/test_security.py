"""Security settings: the admin is behind a login and per-group permissions; production runs
with HTTPS-only cookies, HSTS and redirects, and passes `manage.py check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.test import Client as Browser
from django.urls import reverse

from accounting.roles import ACCOUNTANTS, BACK_OFFICE_STAFF
from tests.factories import UserFactory
from tests.factories.integrations import ConnectionFactory, TransferFactory

ROOT = Path(__file__).resolve().parents[2]

ADMIN_URL_FAMILIES = [
    ("admin:index", []),
    ("admin:accounting_invoice_changelist", []),
    ("admin:accounting_customer_changelist", []),
    ("admin:integrations_connection_changelist", []),
    ("admin:integrations_transfer_changelist", []),
    ("admin:integrations_transfer_overview", []),
    ("admin:integrations_retransfer_tool", []),
    ("admin:integrations_externallink_changelist", []),
    ("admin:pos_possale_changelist", []),
    ("admin:api_apitoken_changelist", []),
    ("admin:auth_user_changelist", []),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args"), ADMIN_URL_FAMILIES)
def test_anonymous_visitors_are_sent_to_the_login_page(name, args):
    url = reverse(name, args=args)

    response = Browser().get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.django_db
class TestPermissionsPerGroup:
    def staff(self, group_name=None):
        user = UserFactory(is_staff=True)
        if group_name:
            user.groups.add(Group.objects.get(name=group_name))
        browser = Browser()
        browser.force_login(user)
        return browser

    def test_staff_without_a_group_sees_no_sync_log_or_connection(self):
        browser = self.staff()
        for name in ("admin:integrations_transfer_changelist",
                     "admin:integrations_connection_changelist"):  # fmt: skip
            assert browser.get(reverse(name)).status_code == 403

    def test_accountants_read_the_sync_log_but_cannot_change_connections(self):
        connection = ConnectionFactory()
        TransferFactory(connection=connection)
        browser = self.staff(ACCOUNTANTS)
        assert browser.get(reverse("admin:integrations_transfer_changelist")).status_code == 200
        change = reverse("admin:integrations_connection_change", args=[connection.pk])
        response = browser.post(change, {"enabled": "on"})
        assert response.status_code == 403

    def test_back_office_staff_cannot_manage_users(self):
        browser = self.staff(BACK_OFFICE_STAFF)
        assert browser.get(reverse("admin:auth_user_changelist")).status_code == 403


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "p" * 20 + "r0duct10n-k3y-w1th-enough-entropy-XYZ",
    "FIELD_ENCRYPTION_KEYS": "ZGV2LW9ubHktbGVkZ2VyYnJpZGdlLWtleS0wMDAwMDA=",
    "ALLOWED_HOSTS": "backoffice.example.com",
}


def run_in_production(*argv: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.update({**PRODUCTION, **env})
    return subprocess.run(  # noqa: S603 (fixed argv)
        [sys.executable, *argv], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_check_deploy_passes_with_production_settings():
    result = run_in_production("manage.py", "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_cookies_hsts_redirect_and_proxy_header():
    code = (
        "import config.settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
    )
    result = run_in_production("-c", code, SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https')"
    )


def test_a_half_given_proxy_header_is_refused():
    result = run_in_production("-c", "import config.settings", SECURE_PROXY_SSL_HEADER="X_PROTO")

    assert result.returncode != 0
    assert "SECURE_PROXY_SSL_HEADER" in result.stderr


def test_check_deploy_passes_with_hsts_preload_chosen_too():
    result = run_in_production(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING", SECURE_HSTS_PRELOAD="true"
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_admin_pages_carry_a_content_security_policy(admin_client):
    policy = admin_client.get("/admin/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
