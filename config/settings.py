"""Ledgerbridge settings.

One module, grouped in sections. Every value comes from the environment (django-environ) with a
default that runs on SQLite with no `.env` at all. `.env.example` lists every variable; the comment
above each one here says who changes it.
"""

import datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is optional; real deployments set the environment directly.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# ---------------------------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------------------------
INSECURE_DEFAULT_SECRET_KEY = "insecure-dev-only-change-me"

# Operators: True on a developer's machine only.
DEBUG = env.bool("DEBUG", default=True)
# Operators: a long random string in production; the default is refused when DEBUG is off.
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY == INSECURE_DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set to a secret value when DEBUG is off.")
# Operators: host names this site answers to.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
# Operators: origins allowed to POST forms (https://backoffice.example.com) behind a proxy.
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Operators: the public base URL of this back office, used for links in e-mails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Cookies only over HTTPS in production; the session cookie is never readable by scripts.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Operators: redirect plain HTTP to HTTPS (on by default in production; a proxy may do it).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Operators: paths (regexes, no leading slash) served over plain HTTP too, e.g. "^health/$".
SECURE_REDIRECT_EXEMPT = env.list("SECURE_REDIRECT_EXEMPT", default=[])
# Operators: seconds browsers must use HTTPS only (HSTS); 0 switches it off. One year in
# production; start lower when introducing HTTPS to a domain.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
# Operators: ask browsers to preload HSTS for the domain (a commitment; off unless chosen).
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Preloading is the operator's decision, not a defect: without it `check --deploy` stays clean.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Content-Security-Policy (django-csp) on every page but the API's (its Swagger UI needs an
# inline script): no inline or foreign scripts, no framing, forms post only here. Inline style
# attributes of the admin's templates stay allowed.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Operators: behind a TLS-terminating proxy, the header that proxy sets, e.g.
# "HTTP_X_FORWARDED_PROTO,https". Only set it when the proxy always overwrites that header.
_proxy_header = env.list("SECURE_PROXY_SSL_HEADER", default=[])
if _proxy_header:
    if len(_proxy_header) != 2:
        raise ImproperlyConfigured("SECURE_PROXY_SSL_HEADER must be 'HEADER_NAME,value'.")
    SECURE_PROXY_SSL_HEADER = tuple(_proxy_header)

# ---------------------------------------------------------------------------------------------
# Applications
# ---------------------------------------------------------------------------------------------
INSTALLED_APPS = [
    "config.admin.BackOfficeAdminConfig",  # django.contrib.admin with client-scoped lookups
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "import_export",
    "ninja",  # serves its Swagger UI assets from static files (no CDN needed)
    "accounting",
    "integrations",
    "integrations.poweroffice",
    "integrations.azets",
    "pos",
    "api",
    "csp",
    # After integrations, whose `qcluster` command (a clean stop on SIGTERM) replaces Django-Q2's.
    "django_q",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "api.middleware.ApiBodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# ---------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------
# Operators: postgres://user:pass@host:5432/name in production (psycopg 3); SQLite by default.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, task cluster) share the file: wait for locks instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
# Operators: seconds a process keeps its database connection open between requests and tasks
# (0 = a new connection each time). Task workers run thousands of short tasks: reconnecting
# for each would cost a PostgreSQL session per transfer. Checked before reuse, so a connection
# the server dropped is replaced, not failed on. An hour: a worker's dozen threads (its lanes)
# each reconnecting every five minutes cost about one session per 100 invoices at full budget.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=3600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------------------------
# Cache: the inbound API's per-token rate limit and Django-Q2's cluster statistics live here,
# so every web and worker process must see the same cache.
# ---------------------------------------------------------------------------------------------
# Operators: dbcache://ledgerbridge_cache (default: a table in the database, shared by every
# process and machine using it; `manage.py createcachetable` creates it, `make run` does),
# redis://host:6379/1 for several machines under load, or filecache:///var/tmp/ledgerbridge
# (processes of one machine). locmemcache:// is per process: development only.
# The database cache holds 20,000 entries (Django's default of 300 would drop a bureau's
# tokens and reference data: a few entries per client connection); past that it culls a third.
CACHES = {
    "default": env.cache_url(
        "CACHE_URL", default="dbcache://ledgerbridge_cache?max_entries=20000"
    )
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ---------------------------------------------------------------------------------------------
# Internationalisation: English and Norwegian bokmål, chosen by the user's browser language.
# ---------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nb", _("Norwegian Bokmål"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Operators: the zone business dates (invoice dates, nightly batches) are counted in.
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Oslo")
USE_TZ = True

# ---------------------------------------------------------------------------------------------
# Static and uploaded files
# ---------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Operators: where invoice PDFs and expense attachments are stored.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "media/"

# ---------------------------------------------------------------------------------------------
# E-mail
# ---------------------------------------------------------------------------------------------
# Operators: smtp+tls://user:pass@host:587; defaults to the console when DEBUG is on.
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25"
)
vars().update(EMAIL_CONFIG)
# Operators: the sender of error e-mails.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Ledgerbridge <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# ---------------------------------------------------------------------------------------------
# Logging: secrets are never logged (see integrations.http); integrations log at INFO.
# ---------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's own "django" logger prints to its console handler AND propagates to root: every
        # warning ("Not Found: …") came out twice. Root prints it once; errors still go to ADMINS.
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
    },
}
LOGGING["handlers"]["mail_admins"] = {
    "level": "ERROR", "filters": ["require_debug_false"],
    "class": "django.utils.log.AdminEmailHandler",
}

# ---------------------------------------------------------------------------------------------
# Task cluster (Django-Q2, ORM broker: no extra service needed)
# ---------------------------------------------------------------------------------------------
# Brokers: the ORM broker (default) needs nothing beyond the database; Redis scales further:
# Q_BROKER_URL=redis://host:6379/0 switches to it (then every cluster uses that Redis).
# Timeouts: retry > timeout (a task still running is never handed to a second worker) and
# INTEGRATIONS_RUNNING_TIMEOUT > timeout (integrations.checks enforces both).
Q_CLUSTER = {
    "name": "ledgerbridge",
    # Operators: worker processes per cluster.
    "workers": env.int("Q_WORKERS", default=2),
    # A task running longer than this is killed; the stale-running reaper requeues its transfer.
    "timeout": env.int("Q_TIMEOUT", default=300),
    # Must exceed timeout, or the broker hands a running task to a second worker.
    "retry": env.int("Q_RETRY", default=360),
    "max_attempts": 1,
    "save_limit": 1000,
    "catch_up": False,
    "poll": 1,
    # Tests run every task inline (Django-Q2 "sync" mode).
    "sync": env.bool("Q_SYNC", default=False),
}
# Operators: redis://host:6379/0 to use Redis as the broker instead of the database.
Q_BROKER_URL = env.str("Q_BROKER_URL", default="")
if Q_BROKER_URL:
    Q_CLUSTER["redis"] = Q_BROKER_URL
else:
    Q_CLUSTER["orm"] = "default"

# ---------------------------------------------------------------------------------------------
# Integrations
# ---------------------------------------------------------------------------------------------
# Operators: keys that encrypt client keys and passwords at rest, newest first. Add a new key at
# the front to rotate; keep old ones until `manage.py rotate_secrets` has re-encrypted everything.
# Generate one with:
#   python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS and DEBUG:
    # Development only: a fixed key so the demo runs with no .env. Refused when DEBUG is off.
    FIELD_ENCRYPTION_KEYS = ["ZGV2LW9ubHktbGVkZ2VyYnJpZGdlLWtleS0wMDAwMDA="]

# Operators: PowerOffice Go application key (from PowerOffice's developer portal) and the
# subscription key sent as Ocp-Apim-Subscription-Key on every call.
POWEROFFICE_APPLICATION_KEY = env.str("POWEROFFICE_APPLICATION_KEY", default="")
POWEROFFICE_SUBSCRIPTION_KEY = env.str("POWEROFFICE_SUBSCRIPTION_KEY", default="")
# Operators: base URLs per endpoint mode. Production and demo default to PowerOffice's own hosts;
# sandbox points at the local emulator that `make run` starts.
POWEROFFICE_BASE_URLS = {
    "production": env.str("POWEROFFICE_PRODUCTION_URL", default="https://goapi.poweroffice.net"),
    "demo": env.str("POWEROFFICE_DEMO_URL", default="https://goapi.poweroffice.net/Demo"),
    "sandbox": env.str("POWEROFFICE_SANDBOX_URL", default="http://127.0.0.1:8001"),
}
# Developers: how the local PowerOffice sandbox answers what the public documentation leaves
# open, as a `manage.py poweroffice_probe` report found it against the real API, e.g.
# "duplicates=refuse_plain,write_answer=full" (the report prints the line). Empty: the
# sandbox's built-in guesses (duplicates=refuse_field, write_answer=full). Tests pin it empty.
POWEROFFICE_SANDBOX_BEHAVIOUR = env.dict("POWEROFFICE_SANDBOX_BEHAVIOUR", default={})
# Operators: requests per second per subscription key (PowerOffice Go v2 documents 10).
POWEROFFICE_RATE_LIMIT = env.float("POWEROFFICE_RATE_LIMIT", default=10.0)
# Operators: POS sales in flight at once in one worker process (its `pos` lanes, shared by the
# batches it runs), so a batch's requests overlap within the budget instead of waiting for each
# round trip; raise it with the limit. SQLite (one writer) always sends one at a time.
POWEROFFICE_POS_CONCURRENCY = env.int("POWEROFFICE_POS_CONCURRENCY", default=2)
# Developers: sales read from the database at once while a batch is sent (memory stays flat).
POWEROFFICE_POS_PAGE_SIZE = env.int("POWEROFFICE_POS_PAGE_SIZE", default=100)
# Operators: where request-rate budgets are kept, shared by every process and machine.
# Both shared backends hand out evenly spaced send times ("ticks"), one request per tick.
# "auto" (default): "cache" when CACHE_URL is Redis, Memcached or a file cache, "database" when
# it is the database cache (the default dbcache://). "cache": ticks claimed with an atomic add
# in the default cache (one round trip per request). "database": ticks claimed as rows of
# integrations_ratelimittick, one INSERT per request on the worker's own connection (no extra
# session, no lock held). "local": per process (only when exactly one worker process sends).
INTEGRATIONS_RATE_LIMIT_BACKEND = env.str("INTEGRATIONS_RATE_LIMIT_BACKEND", default="auto")
# Developers: the share of the limit kept free for network jitter; empty: the backend's own
# (cache and database 0.025, i.e. 97.6 % of the limit; local 0.05). Without it the server's
# one-second windows see bursts that were spaced right when sent.
INTEGRATIONS_RATE_LIMIT_MARGIN = (
    float(env.str("INTEGRATIONS_RATE_LIMIT_MARGIN", default=""))
    if env.str("INTEGRATIONS_RATE_LIMIT_MARGIN", default="") else None
)

# Operators: Azets base URLs per endpoint mode (no public production URL is known yet).
AZETS_BASE_URLS = {
    "production": env.str("AZETS_PRODUCTION_URL", default=""),
    "demo": env.str("AZETS_DEMO_URL", default=""),
    "sandbox": env.str("AZETS_SANDBOX_URL", default="http://127.0.0.1:8002"),
}

# Developers: (connect, read) seconds for every outgoing request.
INTEGRATIONS_HTTP_TIMEOUT = (
    env.float("INTEGRATIONS_CONNECT_TIMEOUT", default=5.0),
    env.float("INTEGRATIONS_READ_TIMEOUT", default=30.0),
)
# Operators: attempts before a transiently failing transfer is given up and e-mailed.
INTEGRATIONS_MAX_ATTEMPTS = env.int("INTEGRATIONS_MAX_ATTEMPTS", default=8)
# Operators: first retry delay in seconds; doubles per attempt, with jitter, up to the cap.
INTEGRATIONS_BACKOFF_BASE = env.float("INTEGRATIONS_BACKOFF_BASE", default=30.0)
INTEGRATIONS_BACKOFF_CAP = env.float("INTEGRATIONS_BACKOFF_CAP", default=3600.0)
# Operators: a transfer run without a heartbeat (by a management command or in sync mode) and
# still "running" this many seconds after it started is presumed dead and put back in the queue
# by the sweep. Must exceed Q_CLUSTER["timeout"].
INTEGRATIONS_RUNNING_TIMEOUT = env.int("INTEGRATIONS_RUNNING_TIMEOUT", default=900)
# Seconds an export lease (integrations.documents.export_lease) holds when its holder dies.
INTEGRATIONS_LEASE_SECONDS = env.int("INTEGRATIONS_LEASE_SECONDS", default=300)
# Seconds between two tries of a transfer whose connection lacks a key or a base URL (it waits,
# using up no attempt; saving the connection's keys releases it at once).
INTEGRATIONS_INCOMPLETE_CONNECTION_WAIT = env.int(
    "INTEGRATIONS_INCOMPLETE_CONNECTION_WAIT", default=600
)
# Operators: transfers one task worker process runs side by side (threads, each with its own
# database connection), so their requests overlap within the API budget. The cluster has
# Q_WORKERS x this many lanes; about (requests/s x round trip) x 2 fill a budget (10/s at
# 100 ms: 2). More only lengthen each request's wait for its turn. SQLite runs one at a time.
INTEGRATIONS_WORKER_LANES = env.int("INTEGRATIONS_WORKER_LANES", default=2)
# Operators: a task worker renews the heartbeat of the transfer it runs every quarter of this;
# a running transfer whose heartbeat is older (its worker was killed) goes back to pending.
INTEGRATIONS_HEARTBEAT_TIMEOUT = env.int("INTEGRATIONS_HEARTBEAT_TIMEOUT", default=120)
# Operators: minutes between two failure e-mails for one connection; failures in between are
# collected into the next mail (one mail per burst, not one per transfer).
INTEGRATIONS_FAILURE_MAIL_MINUTES = env.int("INTEGRATIONS_FAILURE_MAIL_MINUTES", default=30)
# Developers: where the local sandboxes keep their books across restarts (sandbox-<system>.json).
# Empty: beside the SQLite database (the project directory with PostgreSQL).
SANDBOX_STATE_DIR = env.str("SANDBOX_STATE_DIR", default="")

# ---------------------------------------------------------------------------------------------
# Business sanity (one rule for the admin, the API and imports; accounting/models/validation.py)
# ---------------------------------------------------------------------------------------------
# Accountants: the earliest plausible date on an invoice, a POS sale or a voucher (ISO date).
BUSINESS_DATE_MIN = datetime.date.fromisoformat(env.str("BUSINESS_DATE_MIN", default="2000-01-01"))
# Accountants: how many days ahead of today an invoice may be dated (a POS sale never is).
BUSINESS_DATE_MAX_AHEAD = env.int("BUSINESS_DATE_MAX_AHEAD", default=366)
# Accountants: the income account range of the standard Norwegian account plan (NS 4102, class
# 3); a sales line on another account needs that account marked "usable for sales".
SALES_ACCOUNT_RANGE = (
    env.int("SALES_ACCOUNT_FIRST", default=3000),
    env.int("SALES_ACCOUNT_LAST", default=3999),
)

# ---------------------------------------------------------------------------------------------
# Inbound API (/api/v1/)
# ---------------------------------------------------------------------------------------------
# Operators: largest request body accepted (bytes); larger ones get 413. Invoices may carry a
# base64 PDF (a third larger than the file).
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=10 * 1024 * 1024)
# Operators: requests per minute per API token (0 = no limit); over it, 429 with Retry-After.
# Counted in a sliding minute in the database, so every web process shares the count.
API_RATE_LIMIT = env.int("API_RATE_LIMIT", default=600)
# Operators: wrong tokens per minute one address may send before it gets 429 (0 = no limit).
API_BAD_TOKEN_LIMIT = env.int("API_BAD_TOKEN_LIMIT", default=20)
# Developers: how long a stored response answers a repeated Idempotency-Key.
API_IDEMPOTENCY_TTL_HOURS = env.int("API_IDEMPOTENCY_TTL_HOURS", default=24)
# Operators: whether /api/v1/docs and the OpenAPI document are public; otherwise staff must
# sign in to the admin first. Public by default only in development (DEBUG).
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=DEBUG)
# Developers: the largest page size list endpoints accept.
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=200)
