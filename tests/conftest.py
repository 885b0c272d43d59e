"""Fixtures for the whole suite: an app on a clean database, clients, and sign-in helpers.

The database is SQLite (a file per test session) unless TEST_DATABASE_URL names a PostgreSQL
server, as `make test` does for its second run. Each test starts from empty tables: rows are
committed for real, so conflict and race tests see what production would.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db
from config import TestConfig

PASSWORD = "correct-horse-battery"


def _postgres_url_for_worker(url: str, worker: str) -> str:
    """One database per xdist worker, created on first use."""
    if worker == "master":
        return url
    base = sa.engine.make_url(url)
    name = f"{base.database}_{worker}"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return _postgres_url_for_worker(url, worker_id)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


@pytest.fixture(scope="session")
def _schema(database_url: str) -> Iterator[None]:
    """Create the tables once per session (from the models; migrations have their own tests)."""
    make_app(database_url)  # imports every domain, so the metadata holds every table
    engine = sa.create_engine(database_url)
    db.metadata.drop_all(engine)
    db.metadata.create_all(engine)
    engine.dispose()
    yield


class RequestClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    Without this, requests reuse the test's app context and share its `g` and database
    session, which hides bugs (and breaks Flask-WTF, which caches the CSRF token in `g`).
    """

    def open(self, *args, **kwargs):  # noqa: ANN002, ANN003
        # End the test's own transaction on each side of the request, so each sees the
        # other's committed rows (a SQLite reader keeps its snapshot until it ends).
        db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.commit()
        return response


def make_app(database_url: str, **overrides: object) -> Flask:
    """An app on the test database, with settings overridden for one test."""
    config = type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})
    app = create_app(config)
    app.test_client_class = RequestClient
    return app


def wipe(engine: sa.Engine) -> None:
    """Empty every table, keeping the schema."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                conn.exec_driver_sql(f"DELETE FROM {table}")


@pytest.fixture
def app(database_url: str, _schema: None) -> Iterator[Flask]:
    app = make_app(database_url)
    with app.app_context():
        yield app
        db.session.remove()
        wipe(db.engine)
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a page hands out, as a browser would read it from the form."""
    page = client.get(path).get_data(as_text=True)
    match = CSRF_INPUT.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


class AuthActions:
    """Sign a test client in and out through the real login form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str = PASSWORD):
        token = csrf_token(self.client)
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def logout(self):
        token = csrf_token(self.client, "/account")
        return self.client.post("/logout", data={"csrf_token": token})

    def post(self, path: str, data: dict | None = None, form_page: str | None = None):
        """POST a form with the CSRF token of `form_page` (default: the same path)."""
        token = csrf_token(self.client, form_page or path)
        return self.client.post(path, data={**(data or {}), "csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def api_client(app: Flask):
    """A function giving a test client whose requests carry `user`'s new API token."""
    from app.db import transaction, utcnow
    from app.services import create_api_token

    def for_user(user):
        with transaction():
            _token, secret = create_api_token(user, "tests", now=utcnow())
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        return client

    return for_user


@pytest.fixture
def smtp(app: Flask):
    """A real SMTP server (aiosmtpd) on a loopback port, stopped for now: `smtp.start()`.

    The app's MAIL_URL points at it, so a test sees mail fail while it is down.
    """
    from tests.mail import SmtpSink

    sink = SmtpSink()
    app.config["MAIL_URL"] = sink.url
    yield sink
    sink.stop()
