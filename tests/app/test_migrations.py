"""Migrations: upgrade from empty, downgrade and upgrade again with data, and agreement with
the models (a model change without its migration fails here)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app.extensions import db
from tests.conftest import make_app

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def migration_url(database_url: str, tmp_path) -> Iterator[str]:
    """An empty database of the suite's kind, just for migrating."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    name = f"{url.database}_migrations"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def migrated_app(migration_url: str):
    app = make_app(migration_url)
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_upgrade_from_empty_creates_every_table_of_the_models(migrated_app):
    assert table_names() == set(db.metadata.tables)


def test_models_and_migrations_agree(migrated_app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], (
        f"models differ from migrations: run `flask db migrate`: {differences}"
    )


SAMPLE_ROWS = [
    "INSERT INTO trusts (id, name, ods_code, created_at, updated_at)"
    " VALUES (1, 'Ribble Hospitals', 'R01', :now, :now)",
    "INSERT INTO users (id, email, full_name, password_hash, active, password_changed_at,"
    " created_at, updated_at) VALUES (1, 'a@example.nhs.uk', 'A', 'x', true, :now, :now, :now)",
]


def _insert_sample_data() -> None:
    with db.engine.begin() as conn:
        for statement in SAMPLE_ROWS:
            conn.execute(sa.text(statement), {"now": NOW})


def test_downgrade_to_base_and_upgrade_again_with_data_in_it(migrated_app):
    _insert_sample_data()
    downgrade(revision="base")
    assert table_names() == set()
    upgrade()
    assert table_names() == set(db.metadata.tables)
    _insert_sample_data()  # the schema takes the same data again


def test_the_audit_trail_is_append_only_in_the_database(migrated_app):
    with db.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO audit_events (occurred_at, action, object_type, object_id) "
                "VALUES (:now, 'test', 'Trust', '1')"
            ),
            {"now": NOW},
        )
    for statement in ("UPDATE audit_events SET action = 'changed'", "DELETE FROM audit_events"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.engine.begin() as conn:
            conn.exec_driver_sql(statement)
