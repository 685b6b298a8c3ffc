"""Django settings for govkpi, read from the environment in one place.

Variables (all optional in development):
  GOVKPI_MODE        development (default) or production
  GOVKPI_SECRET_KEY  required in production; the development key is refused there
  GOVKPI_DEBUG       1 to turn Django's debug pages on (never in production)
  GOVKPI_ALLOWED_HOSTS  comma-separated, default 127.0.0.1,localhost
  DATABASE_URL       default: a SQLite file govkpi.sqlite3 in the working folder
  GOVKPI_DB_POOL_MIN, GOVKPI_DB_POOL_MAX, GOVKPI_DB_POOL_TIMEOUT, GOVKPI_REQUEST_THREADS  (see below)
  GOVKPI_REPLICA_URL, GOVKPI_REPLICA_MAX_LAG, GOVKPI_REPLICA_CHECK  a streaming replica for reads (see below)
  GOVKPI_LOCK_TIMEOUT_MS, GOVKPI_STATEMENT_TIMEOUT_MS  PostgreSQL timeouts for web requests (see below)
  GOVKPI_SQLITE_SYNCHRONOUS, GOVKPI_SQLITE_BUSY_TIMEOUT, GOVKPI_SQLITE_READ_ONLY  the embedded SQLite default
  GOVKPI_HEALTH_TOKEN, GOVKPI_HEALTH_MAX_LAG  /api/v1/health (see below)
"""

from __future__ import annotations

import datetime
import hashlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent

DEVELOPMENT_SECRET_KEY = "govkpi-development-only-not-secret"

MODE = os.environ.get("GOVKPI_MODE", "development").strip().lower()
if MODE not in {"development", "production"}:
    raise ImproperlyConfigured(f"GOVKPI_MODE must be development or production, not {MODE!r}")
PRODUCTION = MODE == "production"

SECRET_KEY = os.environ.get("GOVKPI_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
# Production secrets must be strong: Django's own bar (50 characters, 5 distinct, no django-insecure- prefix)
# and none of the published keys (ours, and the placeholders copied from examples).
KNOWN_SECRETS = {DEVELOPMENT_SECRET_KEY, "changeme", "change-me", "secret", "…", "..."}
SECRET_MIN_LENGTH, SECRET_MIN_DISTINCT = 50, 5


def weak_secret(key: str) -> bool:
    """True when a key is too short, too repetitive, or one of the known defaults."""
    return (key in KNOWN_SECRETS or key.startswith("django-insecure-") or len(key) < SECRET_MIN_LENGTH
            or len(set(key)) < SECRET_MIN_DISTINCT)


if PRODUCTION and weak_secret(SECRET_KEY):
    raise ImproperlyConfigured(
        f"Chế độ production cần GOVKPI_SECRET_KEY riêng, ngẫu nhiên, dài ít nhất {SECRET_MIN_LENGTH} ký tự "
        f"(ví dụ: python -c 'import secrets; print(secrets.token_urlsafe(48))'). / "
        f"Production mode needs its own random GOVKPI_SECRET_KEY of at least {SECRET_MIN_LENGTH} characters."
    )

# Keys the audit trail's hash chain. Kept apart from SECRET_KEY so that rotating the session secret
# does not make the existing trail unverifiable; derived from it when not set.
AUDIT_KEY = os.environ.get("GOVKPI_AUDIT_KEY") or hashlib.sha256(f"audit:{SECRET_KEY}".encode()).hexdigest()
# In production the audit key is set on its own: derived, it would change with every rotation of the secret
# and the whole trail would stop verifying.
if PRODUCTION and (not os.environ.get("GOVKPI_AUDIT_KEY") or weak_secret(AUDIT_KEY) or AUDIT_KEY == SECRET_KEY):
    raise ImproperlyConfigured(
        f"Chế độ production cần GOVKPI_AUDIT_KEY riêng (khác GOVKPI_SECRET_KEY, ngẫu nhiên, ít nhất "
        f"{SECRET_MIN_LENGTH} ký tự). / Production mode needs its own GOVKPI_AUDIT_KEY (not GOVKPI_SECRET_KEY, "
        f"random, at least {SECRET_MIN_LENGTH} characters)."
    )
# Keys that signed older rows, oldest first, comma-separated: after a rotation the old key goes here so the
# trail still verifies; it can no longer sign rows after the new key's first (docs/security.md).
AUDIT_RETIRED_KEYS = [key.strip() for key in os.environ.get("GOVKPI_AUDIT_RETIRED_KEYS", "").split(",") if key.strip()]

DEBUG = os.environ.get("GOVKPI_DEBUG", "0") == "1" and not PRODUCTION
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("GOVKPI_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()
]
if not PRODUCTION:
    ALLOWED_HOSTS.append("testserver")

DEFAULT_SQLITE_PATH = Path.cwd() / "govkpi.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}"),
        conn_max_age=0,
    )
}
# PostgreSQL: each process keeps a pool of connections (psycopg_pool) instead of opening one per request;
# MAX bounds what one process may take (workers × MAX + the engine's few ≤ PostgreSQL's max_connections), a
# request finding none free waits up to TIMEOUT seconds. 0 turns the pool off.
DB_POOL_MIN = int(os.environ.get("GOVKPI_DB_POOL_MIN", "2"))
DB_POOL_MAX = int(os.environ.get("GOVKPI_DB_POOL_MAX", "16"))
DB_POOL_TIMEOUT = float(os.environ.get("GOVKPI_DB_POOL_TIMEOUT", "30"))
# Requests one server process runs at once (each on a thread with a database connection); the others wait
# in line (govkpi.server.BoundedThreads). Keep it below DB_POOL_MAX: the live hub and the engine need some.
REQUEST_THREADS = int(os.environ.get("GOVKPI_REQUEST_THREADS", "8"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL_MAX > 0:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(DB_POOL_MIN, DB_POOL_MAX), "max_size": DB_POOL_MAX, "timeout": DB_POOL_TIMEOUT}
# A PostgreSQL streaming replica of the primary (README, "Several processes"): the pages, API GETs, portal and
# open data read their figures there (govkpi.replica says which reads and why); absent, everything reads the
# primary. A replica more than MAX_LAG seconds behind, or down, is not read; its lag is measured at most every
# CHECK seconds per process.
REPLICA_URL = os.environ.get("GOVKPI_REPLICA_URL", "")
REPLICA_MAX_LAG = float(os.environ.get("GOVKPI_REPLICA_MAX_LAG", "30"))
REPLICA_CHECK = float(os.environ.get("GOVKPI_REPLICA_CHECK", "1"))
if REPLICA_URL:
    # Each connection checked when taken (CONN_HEALTH_CHECKS): a replica is restarted more often than the
    # primary (rebuilt, promoted), and a connection it dropped would otherwise fail the request that took it.
    DATABASES["replica"] = dj_database_url.parse(REPLICA_URL, conn_max_age=0, conn_health_checks=True)
    # A replica that went away must cost a request seconds, not the pool's 30 s wait: the request is then
    # answered from the primary (govkpi.replica); a replica whose pool is exhausted spills over the same way.
    REPLICA_WAIT = 2.0
    DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = int(REPLICA_WAIT)
    if {DATABASES[alias]["ENGINE"] for alias in DATABASES} != {"django.db.backends.postgresql"}:
        raise ImproperlyConfigured(
            "GOVKPI_REPLICA_URL cần DATABASE_URL và bản sao đều là PostgreSQL. / "
            "GOVKPI_REPLICA_URL needs both DATABASE_URL and the replica to be PostgreSQL.")
    if DB_POOL_MAX > 0:  # the same pool as the primary's, but a shorter wait
        DATABASES["replica"]["OPTIONS"]["pool"] = {**DATABASES["default"]["OPTIONS"]["pool"],
                                                   "timeout": min(DB_POOL_TIMEOUT, REPLICA_WAIT)}
    DATABASE_ROUTERS = ["govkpi.replica.ReplicaRouter"]
# PostgreSQL, web requests only (web.request_timeouts): a request waits at most LOCK ms for a lock another
# transaction holds (a long import's rows) and runs no statement longer than STATEMENT ms; either is answered
# a retryable 503 (web.problems). The engine, commands, migrations and import jobs keep no timeout. 0: none.
LOCK_TIMEOUT_MS = int(os.environ.get("GOVKPI_LOCK_TIMEOUT_MS", "5000"))
STATEMENT_TIMEOUT_MS = int(os.environ.get("GOVKPI_STATEMENT_TIMEOUT_MS", "30000"))
# SQLite, the embedded default (docs/reliability.md gives its measured limit; past it, PostgreSQL):
# - WAL lets pages read while an import writes.
# - synchronous=FULL: a value is on disk when it is acknowledged, power cut or not (NORMAL, the old setting,
#   may lose the last commits on a power cut). NORMAL only where asked (GOVKPI_SQLITE_SYNCHRONOUS): the tests'
#   database is in memory anyway, and `./dev run` is often the first real install, so it gets FULL too.
# - BEGIN IMMEDIATE for every transaction: a writer waits its turn at the start (the busy timeout applies)
#   instead of failing at once with "database is locked" when its read turns into a write.
# - BUSY seconds a writer waits for the one write lock before its request is answered a retryable 503.
SQLITE_SYNCHRONOUS = os.environ.get("GOVKPI_SQLITE_SYNCHRONOUS", "FULL").strip().upper()
if SQLITE_SYNCHRONOUS not in {"NORMAL", "FULL", "EXTRA"}:
    raise ImproperlyConfigured(f"GOVKPI_SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA, not {SQLITE_SYNCHRONOUS!r}")
SQLITE_BUSY_TIMEOUT = float(os.environ.get("GOVKPI_SQLITE_BUSY_TIMEOUT", "10"))


def sqlite_read_only(name: str) -> bool:
    """True when the database file exists but cannot be written (a read-only mount or file)."""
    path = Path(name)
    return path.is_file() and not os.access(path, os.W_OK)


SQLITE_READ_ONLY = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    _name = str(DATABASES["default"]["NAME"])
    # Found by itself (a read-only mount, a file the server's user cannot write), or asked for with
    # GOVKPI_SQLITE_READ_ONLY=1 (a copy served for reading while the original is restored or moved).
    SQLITE_READ_ONLY = _name not in ("", ":memory:") and (
        os.environ.get("GOVKPI_SQLITE_READ_ONLY", "0") == "1" or sqlite_read_only(_name))
    if SQLITE_READ_ONLY:
        # Opened read-only, and immutable when its folder is read-only too (WAL's -shm could not be made):
        # pages and API reads are served, every write is a 503, nothing tries to switch the journal mode.
        _folder_writable = os.access(Path(_name).parent, os.W_OK)
        DATABASES["default"]["NAME"] = f"file:{_name}?mode=ro" + ("" if _folder_writable else "&immutable=1")
        DATABASES["default"]["OPTIONS"] = {"timeout": SQLITE_BUSY_TIMEOUT}
    else:
        DATABASES["default"]["OPTIONS"] = {
            "init_command": f"PRAGMA journal_mode=WAL; PRAGMA synchronous={SQLITE_SYNCHRONOUS};",
            "timeout": SQLITE_BUSY_TIMEOUT,
            "transaction_mode": "IMMEDIATE",
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_tasks",  # background jobs (the backport of Django 6's tasks); run by `govkpi worker`
    "django_tasks_db",  # their queue is a table in govkpi's own database: no broker to run or lose
    "ninja",  # its packaged Swagger UI files, served from here: /api/v1/docs needs no CDN and no inline script
    "govkpi.orgunits",
    "govkpi.accounts",
    "govkpi.tasks",
    "govkpi.problems",  # problems raised from below (vướng mắc, kiến nghị, điểm nghẽn)
    "govkpi.indicators",
    "govkpi.audit",
    "govkpi.events",
    "govkpi.datavalues",
    "govkpi.connectors",
    "govkpi.evaluation",
    "govkpi.jobs",
    "govkpi.notify",
    "govkpi.reminders",
    "govkpi.discussion",
    "govkpi.brief",
    "govkpi.web",
    "govkpi.portal",
]

MIDDLEWARE = [
    # Outermost: no HTML error page under /api/ (web.problems; handler500 in govkpi.urls picks 503/409/500).
    "govkpi.web.problems.ProblemMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "govkpi.web.errors.RequestLogMiddleware",  # one line per request (method, path, status, time, user)
    "govkpi.web.errors.BadInputMiddleware",  # NUL characters and refused periods: 400, not 500
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # PostgreSQL's lock and statement timeouts for this request's connection, reset after it (below).
    "govkpi.web.request_timeouts.RequestTimeoutsMiddleware",
    # (govkpi.replica.ReplicaMiddleware goes before this one when GOVKPI_REPLICA_URL is set)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "govkpi.web.middleware.VietnameseFirstMiddleware",  # before LocaleMiddleware: no Accept-Language guessing
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "govkpi.web.errors.NoStoreMiddleware",  # after authentication: no-store on what a signed-in user is shown
    "django_otp.middleware.OTPMiddleware",
    "govkpi.accounts.middleware.SessionEpochMiddleware",
    "govkpi.web.ratelimit.RateLimitMiddleware",  # after the user is known: counts per user, else per address
    "govkpi.audit.context.AuditContextMiddleware",  # after authentication: audit rows take the user and address
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns lockouts raised during sign-in into a response.
    "axes.middleware.AxesMiddleware",
]

if REPLICA_URL:
    # Outside the session middleware: a write's WAL position is taken after the session is saved too.
    MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
                      "govkpi.replica.ReplicaMiddleware")

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out sign-ins before checking passwords
    "govkpi.accounts.lockout.AccountLockoutBackend",  # then the lock per account, across addresses
    "django.contrib.auth.backends.ModelBackend",
]
# Argon2id for passwords; the others only to read hashes made before (upgraded at next sign-in).
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Lockout after repeated failed sign-ins, per user name and address together.
AXES_FAILURE_LIMIT = int(os.environ.get("GOVKPI_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = datetime.timedelta(minutes=int(os.environ.get("GOVKPI_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Life of a one-time code for enrolling a first second factor (accounts.enrolment).
ENROLMENT_CODE_MINUTES = int(os.environ.get("GOVKPI_ENROLMENT_CODE_MINUTES", "30"))
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "govkpi.core.clientaddr.client_address"  # the one client address, after the proxies
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # one row per failure: what the lock per account counts
# Lock per account (accounts.lockout): this many failures from any addresses within MINUTES stop password
# sign-in for the account, except from an address it signed in from in the last KNOWN_DAYS days.
ACCOUNT_LOCKOUT_FAILURES = int(os.environ.get("GOVKPI_ACCOUNT_LOCKOUT_FAILURES", "20"))
ACCOUNT_LOCKOUT_MINUTES = int(os.environ.get("GOVKPI_ACCOUNT_LOCKOUT_MINUTES", "15"))
ACCOUNT_LOCKOUT_KNOWN_DAYS = int(os.environ.get("GOVKPI_ACCOUNT_LOCKOUT_KNOWN_DAYS", "30"))
# Proxies whose X-Forwarded-For is believed (core.clientaddr): addresses or CIDRs, comma-separated; none by default.
TRUSTED_PROXIES = os.environ.get("GOVKPI_TRUSTED_PROXIES", "")
try:
    from govkpi.core.clientaddr import parse_networks as _parse_networks

    _parse_networks(TRUSTED_PROXIES)
except ValueError as _error:
    raise ImproperlyConfigured(f"GOVKPI_TRUSTED_PROXIES: {_error}") from None

# Content-Security-Policy: everything from this server, no inline scripts, nothing from outside.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# Request bodies: 10 MB in memory at most; files above 2.5 MB stream to disk; 2,000 form fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
# API rate limits (requests per user or per address), kept in the cache.
API_RATE_ANONYMOUS = os.environ.get("GOVKPI_API_RATE_ANONYMOUS", "600/m")
API_RATE_AUTHENTICATED = os.environ.get("GOVKPI_API_RATE_AUTHENTICATED", "6000/m")
# Pages, the public portal and event-stream openings (web.ratelimit): per user, or per address when anonymous.
PAGE_RATE_ANONYMOUS = os.environ.get("GOVKPI_PAGE_RATE_ANONYMOUS", "300/m")
PAGE_RATE_AUTHENTICATED = os.environ.get("GOVKPI_PAGE_RATE_AUTHENTICATED", "1200/m")
PORTAL_RATE = os.environ.get("GOVKPI_PORTAL_RATE", "300/m")
STREAM_RATE = os.environ.get("GOVKPI_STREAM_RATE", "60/m")

# Reporting windows (core.windows): values are on time up to DUE days after a period ends, and the period
# closes CLOSES days after it ends (an approver can reopen it). Uploaded data files are refused beyond MAX.
REPORTING_DUE_AFTER_DAYS = int(os.environ.get("GOVKPI_REPORTING_DUE_AFTER_DAYS", "15"))
REPORTING_CLOSES_AFTER_DAYS = int(os.environ.get("GOVKPI_REPORTING_CLOSES_AFTER_DAYS", "90"))
# Separation of duties: whoever entered or submitted a unit-period's values may not approve them. "0" only
# for units too small to have two people (docs/security.md).
APPROVAL_SEPARATION = os.environ.get("GOVKPI_APPROVAL_SEPARATION", "1") != "0"
# Official figures (core.official): a period's figures are provisional until OFFICIAL_AFTER days after it ends
# (default: the reporting due date), or until every expected unit has reported and been approved when
# OFFICIAL_WHEN_ALL_APPROVED. Only official figures are published, ranked by default and sent to the public.
OFFICIAL_AFTER_DAYS = int(os.environ.get("GOVKPI_OFFICIAL_AFTER_DAYS", str(REPORTING_DUE_AFTER_DAYS)))
OFFICIAL_WHEN_ALL_APPROVED = os.environ.get("GOVKPI_OFFICIAL_WHEN_ALL_APPROVED", "1") == "1"
# Live event streams (live.stream): at most this many open at once in one process, and per client address.
EVENT_STREAMS_MAX = int(os.environ.get("GOVKPI_EVENT_STREAMS_MAX", "500"))
EVENT_STREAMS_PER_CLIENT = int(os.environ.get("GOVKPI_EVENT_STREAMS_PER_CLIENT", "8"))
DATA_FILE_MAX_BYTES = int(os.environ.get("GOVKPI_DATA_FILE_MAX_MB", "50")) * 1024 * 1024
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
OTP_TOTP_ISSUER = "govkpi"

ROOT_URLCONF = "govkpi.urls"
ASGI_APPLICATION = "govkpi.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "govkpi.live.context.latest_event",
                "govkpi.replica.note",  # replica_note: the footer's line when figures came from the replica
                "govkpi.notify.context.inbox_unread",  # inbox_unread: the header's unread count
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Vietnamese is the source language of the interface; English is the second.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", "Tiếng Việt"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
# Our own date formats: 24/09/2025 in both languages (Django's vi default is 24-09-2025), 39,51 in Vietnamese.
FORMAT_MODULE_PATH = ["govkpi.formats"]
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path.cwd() / "staticfiles"
# Uploaded evidence files: outside the static files, served only through a view that checks scope.
MEDIA_ROOT = Path(os.environ.get("GOVKPI_MEDIA_ROOT") or Path.cwd() / "media")
MEDIA_URL = "/media/"
# The engine starts `govkpi opendata build` in a process of its own after a pass that changed scores
# (portal.opendata_files.build_ahead); 0 leaves the files to the first download or a scheduled build.
OPENDATA_BUILD_AHEAD = os.environ.get("GOVKPI_OPENDATA_BUILD_AHEAD", "1") == "1"
EVIDENCE_MAX_BYTES = int(os.environ.get("GOVKPI_EVIDENCE_MAX_MB", "20")) * 1024 * 1024
# Serve straight from the apps' static folders when collectstatic has not run (development, tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = not PRODUCTION

LOGIN_URL = "/account/login/"
LOGIN_REDIRECT_URL = "/my/"  # "my work": forms due, returned values, approvals waiting, tasks, rank

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600  # a working day
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# GOVKPI_HTTPS=1 when the site is reached over HTTPS only (behind a TLS-terminating proxy that sets
# X-Forwarded-Proto, or TLS in front of uvicorn): redirect plain HTTP, send HSTS for GOVKPI_HSTS_SECONDS, and
# send the cookies over HTTPS only. Off by default so that `./dev run` on http://127.0.0.1 keeps working.
HTTPS = os.environ.get("GOVKPI_HTTPS", "0") == "1"
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("GOVKPI_HSTS_SECONDS", "31536000")) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# No SECURE_PROXY_SSL_HEADER: uvicorn takes X-Forwarded-Proto from GOVKPI_TRUSTED_PROXIES only (server.py),
# so the scheme a request reports cannot be forged by a client.
SESSION_COOKIE_SECURE = PRODUCTION or HTTPS
CSRF_COOKIE_SECURE = PRODUCTION or HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# GET /api/v1/health (govkpi.health): "degraded" when the oldest change event the engine has not applied is
# older than MAX_LAG seconds; its details to a signed-in system administrator, or to a monitor sending
# X-Health-Token: TOKEN (unset: no token is accepted).
HEALTH_MAX_LAG = float(os.environ.get("GOVKPI_HEALTH_MAX_LAG", "300"))
HEALTH_TOKEN = os.environ.get("GOVKPI_HEALTH_TOKEN", "")

# Background jobs (govkpi.jobs): a queue in the database (django-tasks' database backend), run by `govkpi worker`.
# The worker's clock asks every WORKER_TICK seconds for what is due (reminders, deliveries, digests, scheduled
# briefs); every job is idempotent, so a job run twice, or again after a crash, changes nothing the second time.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
WORKER_TICK = float(os.environ.get("GOVKPI_WORKER_TICK", "60"))
# A job claimed by a worker whose heartbeat has been silent this long (default: 3 ticks, at least 30 s) goes
# back to the queue; a worker on this machine whose process is gone is seen at once.
WORKER_STALL_AFTER = float(os.environ.get("GOVKPI_WORKER_STALL_AFTER", "0")) or max(3 * WORKER_TICK, 30.0)

# Notifications (govkpi.notify): the in-app inbox always; e-mail by SMTP (EMAIL_HOST set) or, with no host, the
# console (development); signed webhooks to the endpoints a system administrator registers.
EMAIL_HOST = os.environ.get("GOVKPI_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("GOVKPI_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("GOVKPI_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("GOVKPI_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("GOVKPI_EMAIL_TLS", "0") == "1"
# Seconds an SMTP conversation may hang before it counts as a failed attempt (retried): kept well under the
# delivery lease (notify.delivery), so a slow server cannot make a second worker send the same e-mail.
EMAIL_TIMEOUT = float(os.environ.get("GOVKPI_EMAIL_TIMEOUT", "30")) or None  # 0: no limit (not a non-blocking socket)
EMAIL_BACKEND = os.environ.get("GOVKPI_EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("GOVKPI_EMAIL_FROM", "govkpi <no-reply@govkpi.localhost>")
# The address links in e-mails and webhooks point to (no trailing slash).
SITE_URL = os.environ.get("GOVKPI_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Reminders and escalations (govkpi.reminders): days before a task's deadline to remind its lead unit; days
# overdue after which the assigning authority is told; days before a reporting window closes to remind the
# units that have not reported.
REMIND_TASK_DAYS = tuple(int(d) for d in os.environ.get("GOVKPI_REMIND_TASK_DAYS", "7,3,1").split(",") if d.strip())
ESCALATE_AFTER_DAYS = int(os.environ.get("GOVKPI_ESCALATE_AFTER_DAYS", "7"))
# Days the acting agency has to answer a problem raised from below (govkpi.problems; docs/tasks.md).
PROBLEM_ANSWER_DAYS = int(os.environ.get("GOVKPI_PROBLEM_ANSWER_DAYS", "15"))
REMIND_WINDOW_DAYS = tuple(int(d) for d in os.environ.get("GOVKPI_REMIND_WINDOW_DAYS", "3,1").split(",") if d.strip())
# Webhook deliveries: attempts before one is given up, and the first retry's delay (doubling each time).
WEBHOOK_ATTEMPTS = int(os.environ.get("GOVKPI_WEBHOOK_ATTEMPTS", "6"))
WEBHOOK_RETRY_SECONDS = float(os.environ.get("GOVKPI_WEBHOOK_RETRY_SECONDS", "30"))
WEBHOOK_TIMEOUT = float(os.environ.get("GOVKPI_WEBHOOK_TIMEOUT", "10"))

NINJA_PAGINATION_PER_PAGE = 100
NINJA_PAGINATION_MAX_LIMIT = 1000

# Logging to standard error: every unhandled exception with its traceback (django.request logs 5xx with
# exc_info), and in production one line per request from govkpi.web.errors.RequestLogMiddleware, as JSON.
LOG_LEVEL = os.environ.get("GOVKPI_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "govkpi.web.errors.JsonLineFormatter"},
    },
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json" if PRODUCTION else "plain"}},
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        # Replaces Django's default handlers (console under DEBUG only, mail_admins to nobody): 5xx tracebacks
        # were logged nowhere. Both propagate to the root's one handler.
        "django": {"handlers": [], "level": LOG_LEVEL},
        "django.server": {"handlers": [], "level": LOG_LEVEL},
        "govkpi.requests": {"handlers": [], "level": "INFO" if PRODUCTION else "WARNING"},
    },
}
