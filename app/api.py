"""Core JSON API under /api/v1: who am I, Trusts and their estate, workers, inbox, tokens, audit."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from app import services
from app.api_support import token_required
from app.db import transaction, utcnow
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.jobs import job_statuses
from app.models import ApiToken, AuditEvent, Department, Notification, Role, Site, Trust, Worker
from app.notifications import preferences_of, set_preferences
from app.schemas import (
    ApiTokenCreatedSchema,
    ApiTokenCreateSchema,
    ApiTokenSchema,
    AuditEventSchema,
    AuditQuerySchema,
    DepartmentCreateSchema,
    DepartmentSchema,
    JobStatusSchema,
    NotificationPreferenceSchema,
    NotificationPreferenceUpdateSchema,
    NotificationSchema,
    SiteCreateSchema,
    SiteSchema,
    TrustCreateSchema,
    TrustSchema,
    UserSchema,
    WorkerQuerySchema,
    WorkerSchema,
)
from app.tenancy import get_scoped, scope_for, scoped, tenant_filter

me_blp = Blueprint("me", __name__, url_prefix="/api/v1", description="The signed-in user")
trusts_blp = Blueprint(
    "trusts",
    __name__,
    url_prefix="/api/v1/trusts",
    description="Trusts of the ICS, their sites and departments",
)
workers_blp = Blueprint(
    "workers", __name__, url_prefix="/api/v1/workers", description="Bank worker profiles"
)
audit_blp = Blueprint(
    "audit", __name__, url_prefix="/api/v1/audit-events", description="The append-only audit trail"
)

jobs_blp = Blueprint(
    "jobs", __name__, url_prefix="/api/v1/jobs", description="Scheduled jobs and their runs"
)

blueprints = [me_blp, trusts_blp, workers_blp, audit_blp, jobs_blp]

ESTATE_EDITORS = (Role.WORKFORCE, Role.ICS_ADMIN)


@me_blp.route("/me")
@me_blp.response(200, UserSchema)
@token_required
def me() -> Any:
    """The user the token belongs to, with their roles."""
    return g.user


@me_blp.route("/notifications")
@me_blp.response(200, NotificationSchema(many=True))
@token_required
def notifications() -> Any:
    """The user's inbox, newest first."""
    return db.session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == g.user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(200)
    ).all()


@me_blp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@me_blp.response(200, NotificationSchema)
@token_required
def read_notification(notification_id: int) -> Any:
    """Mark a message read."""
    with transaction():
        message = services.mark_notification_read(g.user, notification_id, now=utcnow())
    return message


@me_blp.route("/me/notification-preferences")
class NotificationPreferences(MethodView):
    decorators = [token_required]

    @me_blp.response(200, NotificationPreferenceSchema)
    def get(self) -> Any:
        """How the user is told: channels, new-shift nudges, quiet hours (UK local time)."""
        return preferences_of(g.user)

    @me_blp.arguments(NotificationPreferenceUpdateSchema)
    @me_blp.response(200, NotificationPreferenceSchema)
    def put(self, data: dict) -> Any:
        """Replace the user's notification preferences."""
        data.pop("in_app")
        with transaction():
            return set_preferences(g.user, now=utcnow(), **data)


@me_blp.route("/tokens")
class Tokens(MethodView):
    decorators = [token_required]

    @me_blp.response(200, ApiTokenSchema(many=True))
    def get(self) -> Any:
        """The user's API tokens (never the secrets)."""
        return db.session.scalars(
            sa.select(ApiToken).where(ApiToken.user_id == g.user.id).order_by(ApiToken.id)
        ).all()

    @me_blp.arguments(ApiTokenCreateSchema)
    @me_blp.response(201, ApiTokenCreatedSchema)
    def post(self, data: dict) -> Any:
        """Create a token; the secret is in this answer only."""
        with transaction():
            token, secret = services.create_api_token(g.user, data["name"], now=utcnow())
        return {**{name: getattr(token, name) for name in ApiTokenSchema().fields}, "token": secret}


@me_blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@me_blp.response(204)
@token_required
def revoke_token(token_id: int) -> None:
    """Revoke a token at once."""
    with transaction():
        services.revoke_api_token(g.user, token_id, now=utcnow())


@trusts_blp.route("")
class Trusts(MethodView):
    decorators = [token_required]

    @trusts_blp.response(200, TrustSchema(many=True))
    def get(self) -> Any:
        """Every Trust of the ICS (a shared directory: workers pick shifts at any of them)."""
        return db.session.scalars(sa.select(Trust).order_by(Trust.name)).all()

    @trusts_blp.arguments(TrustCreateSchema)
    @trusts_blp.response(201, TrustSchema)
    def post(self, data: dict) -> Any:
        """Admit a Trust (ICS administrators)."""
        if not g.user.has_role(Role.ICS_ADMIN):
            raise Forbidden("Only an ICS administrator can admit a Trust.")
        with transaction():
            trust = services.create_trust(
                data["name"], data["ods_code"], actor=g.user, now=utcnow()
            )
        return trust


@trusts_blp.route("/<int:trust_id>")
@trusts_blp.response(200, TrustSchema)
@token_required
def get_trust(trust_id: int) -> Any:
    """One Trust."""
    trust = db.session.get(Trust, trust_id)
    if trust is None:
        raise NotFound(f"No Trust with id {trust_id}.")
    return trust


def _editable_trust(trust_id: int) -> Trust:
    return get_scoped(Trust, trust_id, scope_for(g.user, ESTATE_EDITORS), what="Trust")


@trusts_blp.route("/<int:trust_id>/sites")
class Sites(MethodView):
    decorators = [token_required]

    @trusts_blp.response(200, SiteSchema(many=True))
    def get(self, trust_id: int) -> Any:
        """The Trust's hospital sites."""
        return db.session.scalars(
            sa.select(Site).where(Site.trust_id == get_trust(trust_id).id).order_by(Site.name)
        ).all()

    @trusts_blp.arguments(SiteCreateSchema)
    @trusts_blp.response(201, SiteSchema)
    def post(self, data: dict, trust_id: int) -> Any:
        """Add a site (the Trust's workforce team, or an ICS administrator)."""
        trust = _editable_trust(trust_id)
        with transaction():
            site = services.create_site(
                trust, data["name"], postcode=data["postcode"], actor=g.user, now=utcnow()
            )
        return site


@trusts_blp.route("/<int:trust_id>/departments")
class Departments(MethodView):
    decorators = [token_required]

    @trusts_blp.response(200, DepartmentSchema(many=True))
    def get(self, trust_id: int) -> Any:
        """The Trust's departments."""
        return db.session.scalars(
            sa.select(Department)
            .where(Department.trust_id == get_trust(trust_id).id)
            .order_by(Department.name)
        ).all()

    @trusts_blp.arguments(DepartmentCreateSchema)
    @trusts_blp.response(201, DepartmentSchema)
    def post(self, data: dict, trust_id: int) -> Any:
        """Add a department (the Trust's workforce team, or an ICS administrator)."""
        trust = _editable_trust(trust_id)
        with transaction():
            department = services.create_department(trust, actor=g.user, now=utcnow(), **data)
        return department


STAFF_ROLES = (Role.WORKFORCE, Role.COMPLIANCE, Role.FINANCE, Role.ICS_ADMIN)


def visible_workers() -> sa.Select[Any]:
    """Workers of the Trusts the user oversees, and the user's own profile."""
    visible = tenant_filter(Worker, scope_for(g.user, STAFF_ROLES))
    if g.user.worker is not None:
        visible = sa.or_(visible, Worker.id == g.user.worker.id)
    return sa.select(Worker).where(visible).options(sa.orm.joinedload(Worker.user))


@workers_blp.route("")
@workers_blp.arguments(WorkerQuerySchema, location="query")
@workers_blp.response(200, WorkerSchema(many=True))
@token_required
def list_workers(args: dict) -> Any:
    """Workers whose profile the user may see: their Trusts' workers, or themselves."""
    stmt = visible_workers().order_by(Worker.id)
    if args["trust_id"]:
        stmt = stmt.where(Worker.primary_trust_id == args["trust_id"])
    if args["staff_group"]:
        stmt = stmt.where(Worker.staff_group == args["staff_group"])
    offset = (args["page"] - 1) * args["per_page"]
    return db.session.scalars(stmt.offset(offset).limit(args["per_page"])).all()


@workers_blp.route("/<int:worker_id>")
@workers_blp.response(200, WorkerSchema)
@token_required
def get_worker(worker_id: int) -> Any:
    """One worker's profile (404 unless the user may see it)."""
    worker = db.session.scalar(visible_workers().where(Worker.id == worker_id))
    if worker is None:
        raise NotFound(f"No worker with id {worker_id} that you can see.")
    return worker


@audit_blp.route("")
@audit_blp.arguments(AuditQuerySchema, location="query")
@audit_blp.response(200, AuditEventSchema(many=True))
@token_required
def list_audit_events(args: dict) -> Any:
    """Audit events of the Trusts the user oversees, newest first."""
    scope = scope_for(g.user, STAFF_ROLES)
    stmt = scoped(sa.select(AuditEvent), AuditEvent, scope)
    if args["object_type"]:
        stmt = stmt.where(AuditEvent.object_type == args["object_type"])
    if args["object_id"]:
        stmt = stmt.where(AuditEvent.object_id == args["object_id"])
    stmt = stmt.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    offset = (args["page"] - 1) * args["per_page"]
    return db.session.scalars(stmt.offset(offset).limit(args["per_page"])).all()


@jobs_blp.route("")
@jobs_blp.response(200, JobStatusSchema(many=True))
@token_required
def list_jobs() -> Any:
    """Every scheduled job with its next and last run (ICS administrators)."""
    if not g.user.has_role(Role.ICS_ADMIN):
        raise Forbidden("Only an ICS administrator can see the scheduled jobs.")
    return job_statuses()
