"""The demo generator and `flask demo load`."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from app.db import transaction
from app.demo import DEMO_PASSWORD, generate
from app.extensions import db
from app.models import Department, Role, Trust, User, Worker
from app.reference import REGISTRATION_BODY_FOR_GROUP, registration_number_problem
from app.services import authenticate

NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def snapshot() -> list[tuple]:
    return db.session.execute(
        sa.select(
            User.email, User.full_name, Worker.staff_group, Worker.grade, Worker.registration_number
        )
        .join(Worker)
        .order_by(User.email)
    ).all()


def test_the_same_seed_makes_the_same_ics(app):
    from tests.conftest import wipe

    with transaction():
        generate(trusts=3, workers=40, seed=7, now=NOW)
    first = snapshot()
    db.session.remove()
    wipe(db.engine)
    with transaction():
        generate(trusts=3, workers=40, seed=7, now=NOW)
    assert snapshot() == first


def test_demo_has_every_role_and_valid_registrations(app):
    with transaction():
        made = generate(trusts=3, workers=60, seed=1, now=NOW)
    assert db.session.scalar(sa.select(sa.func.count(Trust.id))) == 3
    # The bank workers asked for; domains add staff of their own (the rota's doctors).
    assert len(made.workers) == 60
    assert db.session.scalar(sa.select(sa.func.count(Department.id))) >= 12
    roles = {label for label, _email, _where in made.logins}
    assert roles == {role.label for role in Role}
    for worker in made.workers:
        body = REGISTRATION_BODY_FOR_GROUP[worker.staff_group]
        assert worker.registration_body == body
        if body:
            assert registration_number_problem(body, worker.registration_number) is None


def test_every_demo_login_signs_in_with_the_printed_password(app):
    with transaction():
        made = generate(trusts=2, workers=5, seed=3, now=NOW)
    for _role, email, _where in made.logins:
        assert authenticate(email, DEMO_PASSWORD) is not None, email


def test_loading_the_demo_twice_keeps_the_data_and_prints_logins(runner):
    first = runner.invoke(args=["demo", "load", "--trusts", "2", "--workers", "10"])
    assert first.exit_code == 0, first.output
    assert "worker@demo.nhs.uk" in first.output and "ics.admin@demo.nhs.uk" in first.output
    workers = db.session.scalar(sa.select(sa.func.count(Worker.id)))
    second = runner.invoke(args=["demo", "load", "--trusts", "2", "--workers", "10"])
    assert second.exit_code == 0
    assert "already loaded" in second.output and "workforce.r01@demo.nhs.uk" in second.output
    assert db.session.scalar(sa.select(sa.func.count(Worker.id))) == workers


def test_users_command_creates_a_user_with_a_trust_role(runner):
    with transaction():
        generate(trusts=1, workers=0, seed=1, now=NOW)
    result = runner.invoke(
        args=[
            "users",
            "create",
            "new@example.nhs.uk",
            "--name",
            "New Person",
            "--role",
            "workforce:R01",
            "--password",
            "long-enough-pw",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "new@example.nhs.uk"))
    assert user.has_role(Role.WORKFORCE, user.memberships[0].trust_id)
    bad = runner.invoke(
        args=[
            "users",
            "create",
            "x@example.nhs.uk",
            "--name",
            "X",
            "--role",
            "surgeon",
            "--password",
            "long-enough-pw",
        ]
    )
    assert bad.exit_code != 0 and "unknown role" in bad.output
