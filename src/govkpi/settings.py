"""Django settings for govkpi, read from the environment in one place.

Variables (all optional in development):
  GOVKPI_MODE        development (default) or production
  GOVKPI_SECRET_KEY  required in production; the development key is refused there
  GOVKPI_DEBUG       1 to turn Django's debug pages on (never in production)
  GOVKPI_ALLOWED_HOSTS  comma-separated, default 127.0.0.1,localhost
  DATABASE_URL       default: a SQLite file govkpi.sqlite3 in the working folder
"""

from __future__ import annotations

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
if PRODUCTION and (SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "Chế độ production cần GOVKPI_SECRET_KEY riêng, dài ít nhất 32 ký tự. / "
        "Production mode needs its own GOVKPI_SECRET_KEY of at least 32 characters."
    )

# Keys the audit trail's hash chain. Kept apart from SECRET_KEY so that rotating the session secret
# does not make the existing trail unverifiable; derived from it when not set.
AUDIT_KEY = os.environ.get("GOVKPI_AUDIT_KEY") or hashlib.sha256(f"audit:{SECRET_KEY}".encode()).hexdigest()

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
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets dashboards read while an import writes; a busy timeout instead of "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
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
    "govkpi.orgunits",
    "govkpi.accounts",
    "govkpi.tasks",
    "govkpi.indicators",
    "govkpi.audit",
    "govkpi.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

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
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path.cwd() / "staticfiles"
# Serve straight from the apps' static folders when collectstatic has not run (development, tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = not PRODUCTION

LOGIN_URL = "/admin/login/"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

NINJA_PAGINATION_PER_PAGE = 100
NINJA_PAGINATION_MAX_LIMIT = 1000
