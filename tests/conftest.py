"""Suite-wide fixtures: a network guard, Django-Q2 in sync mode, test-safe settings."""

import pytest
import responses


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path, monkeypatch):
    # Django-Q2 reads its configuration once at import: switch the live Conf to sync mode.
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "en"
    # The sandbox's built-in answers, whatever a developer's .env says (tests pick their own).
    settings.POWEROFFICE_SANDBOX_BEHAVIOUR = {}
    # Request budgets per process in tests (no rows or cache keys shared between tests);
    # tests/integrations/test_ratelimit_ticks.py and test_ratelimit_database.py cover the
    # shared backends.
    settings.INTEGRATIONS_RATE_LIMIT_BACKEND = "local"
    from integrations.ratelimit import reset_rate_limiters

    reset_rate_limiters()
    yield
    # Lanes (worker threads) keep their database connections; a test ends with none open.
    from integrations.lanes import lanes_stop_all

    lanes_stop_all()


@pytest.fixture(autouse=True)
def http(request):
    """Every test runs inside a RequestsMock: an unmocked request fails loudly. End-to-end tests
    (marked e2e) may reach loopback servers they started themselves."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        if request.node.get_closest_marker("e2e"):
            mock.add_passthru("http://127.0.0.1")
            mock.add_passthru("http://localhost")
        yield mock
