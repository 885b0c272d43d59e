"""Settings, read from the environment; `TestConfig` for the test suite."""

from __future__ import annotations

import os
import tempfile


class Config:
    """Production and demo settings.

    Left unset, SECRET_KEY is generated once into the instance folder and the database is a
    SQLite file there (see `app.register_instance_defaults`).
    """

    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

    # Requests bigger than this answer 413; evidence uploads (passport) stay under it.
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 10 * 1024 * 1024))

    # Passport evidence: a folder outside the database (default: instance/evidence).
    EVIDENCE_STORAGE_DIR = os.environ.get("EVIDENCE_STORAGE_DIR")
    EVIDENCE_MAX_BYTES = 5 * 1024 * 1024

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Failed and successful attempts together; keyed by client address.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True

    # argon2id, RFC 9106 second recommended option scaled to a web login.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 64 * 1024
    ARGON2_PARALLELISM = 2

    TIMEZONE = "Europe/London"

    API_TITLE = "Collaborative staff bank API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    API_SPEC_OPTIONS = {
        "info": {"description": "JSON API of the ICS collaborative staff bank."},
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "sbk_ token"}
            }
        },
        "security": [{"bearerAuth": []}],
    }

    # Email: smtp://host:port (see app/mail.py); empty prints each email to the log instead.
    MAIL_URL = os.environ.get("MAIL_URL", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Collaborative staff bank <no-reply@staffbank.nhs.uk>")
    # The address of the site, for links in emails.
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")
    # Only `make run` (the demo) sets this: production runs `flask scheduler run` on its own.
    SCHEDULER_IN_WEB = os.environ.get("SCHEDULER_IN_WEB", "0") == "1"
    # Solver runs (rota solves, gap filling) in a thread of the web process, at once: `make run`
    # and the tests. Production leaves it off: the scheduler's rota.run_queued_solves job runs
    # them, so web workers never hold a solver (rota/services/runs.py).
    SOLVES_IN_WEB = os.environ.get("SOLVES_IN_WEB", "0") == "1"


class TestConfig(Config):
    """Fast hashing, a throw-away database, and the same CSRF and limits as production."""

    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 8
    ARGON2_PARALLELISM = 1
    RATELIMIT_ENABLED = False
    SOLVES_IN_WEB = True
    EVIDENCE_STORAGE_DIR = tempfile.mkdtemp(prefix="staffbank-test-evidence-")
