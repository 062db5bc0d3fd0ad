"""Settings come from the environment; production refuses unsafe defaults.

Each case imports config.settings in a fresh interpreter with a controlled environment, because
the module reads the environment once at import.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    clean.update({"SECRET_KEY": "", "DEBUG": "", "DATABASE_URL": "", **env})
    clean = {k: v for k, v in clean.items() if v != ""}
    code = (
        "import config.settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.EMAIL_BACKEND, s.SESSION_COOKIE_SECURE)"
    )
    return subprocess.run(  # noqa: S603 (fixed argv)
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def test_defaults_run_on_sqlite_with_console_mail_and_no_env_file():
    result = load_settings()

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.core.mail.backends.console.EmailBackend",
        "False",
    ]


def test_production_refuses_the_default_secret_key():
    result = load_settings(DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_with_a_secret_key_uses_smtp_and_secure_cookies():
    result = load_settings(DEBUG="false", SECRET_KEY="x" * 50, FIELD_ENCRYPTION_KEYS="k")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1:] == ["django.core.mail.backends.smtp.EmailBackend", "True"]


def test_database_url_selects_postgresql():
    result = load_settings(DATABASE_URL="postgres://u:p@db.example:5432/ledger")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "django.db.backends.postgresql"
