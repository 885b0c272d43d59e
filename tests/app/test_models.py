"""Column types, the audit guard and the tenant scoping helper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from app.db import transaction
from app.errors import NotFound
from app.extensions import db
from app.models import AuditEvent, Notification, Role, Trust, Worker
from app.tenancy import Scope, get_scoped, scope_for, scoped
from tests.factories import AuditEventFactory, TrustFactory, UserFactory, WorkerFactory


def test_timestamps_come_back_timezone_aware_in_utc(app):
    user = UserFactory()
    plus_two = timezone(timedelta(hours=2))
    with transaction():
        db.session.add(
            Notification(
                user_id=user.id,
                kind="k",
                title="t",
                created_at=datetime(2026, 6, 1, 12, 0, tzinfo=plus_two),
            )
        )
    db.session.expire_all()
    stored = db.session.scalar(sa.select(Notification.created_at))
    assert stored == datetime(2026, 6, 1, 10, 0, tzinfo=UTC) and stored.tzinfo is not None


def test_naive_timestamps_are_refused(app):
    user = UserFactory()
    db.session.add(
        Notification(user_id=user.id, kind="k", title="t", created_at=datetime(2026, 6, 1, 12, 0))
    )  # noqa: DTZ001
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db.session.flush()
    db.session.rollback()


def test_audit_events_cannot_be_changed_or_deleted_through_the_orm(app):
    event = AuditEventFactory()
    event.action = "rewritten"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event.id))
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()


def test_scope_of_trust_roles_is_their_trusts_and_ics_roles_see_everything(app):
    first, second = TrustFactory(), TrustFactory()
    officer = UserFactory(roles=[(Role.COMPLIANCE, first), (Role.WORKFORCE, second)])
    assert scope_for(officer) == Scope(frozenset({first.id, second.id}))
    assert scope_for(officer, [Role.COMPLIANCE]) == Scope(frozenset({first.id}))
    assert scope_for(UserFactory(roles=[(Role.ICS_ADMIN, None)])).everything
    assert scope_for(UserFactory(roles=[(Role.FINANCE, None)]), [Role.FINANCE]).everything


def test_a_workers_role_grants_no_trust_data(app):
    worker = WorkerFactory()
    assert scope_for(worker.user) == Scope(frozenset())


def test_scoped_look_ups_hide_other_trusts_rows_as_not_found(app):
    mine, theirs = WorkerFactory(), WorkerFactory()
    scope = Scope(frozenset({mine.primary_trust_id}))
    assert get_scoped(Worker, mine.id, scope) == mine
    with pytest.raises(NotFound):
        get_scoped(Worker, theirs.id, scope)
    rows = db.session.scalars(scoped(sa.select(Trust), Trust, scope)).all()
    assert rows == [mine.primary_trust]
