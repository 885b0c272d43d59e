"""Rota pages for the workforce team: define a department's rota, build it with the solver
(following its progress), review and edit it, and publish it."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import fields

from app.auth import role_required
from app.db import transaction, utcnow
from app.errors import DomainError, ValidationFailed
from app.extensions import db
from app.forms import load_form
from app.models import Role, Worker
from app.reference import GRADES, StaffGroup
from app.views import trust_for_page
from rota import services
from rota.models import Rota, RotaSolveRun, SolveRunStatus
from rota.services import runs

blueprint = Blueprint("rota", __name__, template_folder="templates")

#: Menu entries the rota adds, per role: (role, label, endpoint).
NAVIGATION = [(Role.WORKFORCE, "Rotas", "rota.rotas")]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _form(prefix: str, **declared: fields.Field) -> ma.Schema:
    """A form schema whose inputs are named `prefix + field` (several forms share a page),
    loading into the service's own argument names."""
    for name, field in declared.items():
        field.data_key = prefix + name
    return ma.Schema.from_dict(declared)()


def _csv(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


# Each part of a rota's definition: (form prefix, schema factory, service, argument mapping).
PARTS: dict[str, tuple[str, Any, Any, Any]] = {
    "shift-types": (
        "st_",
        lambda: _form(
            "st_",
            code=fields.String(required=True),
            name=fields.String(required=True),
            starts_at=fields.Time(required=True),
            hours=fields.Float(required=True),
        ),
        services.add_shift_type,
        lambda d: {
            **{k: v for k, v in d.items() if k != "hours"},
            "minutes": round(d["hours"] * 60),
        },
    ),
    "grade-groups": (
        "gg_",
        lambda: _form(
            "gg_",
            name=fields.String(required=True),
            staff_group=fields.Enum(StaffGroup, by_value=True, load_default=StaffGroup.MEDICAL),
            grades=fields.String(required=True),
            supervised_by_id=fields.Integer(load_default=None),
        ),
        services.add_grade_group,
        lambda d: {**d, "grades": _csv(d["grades"])},
    ),
    "covers": (
        "cv_",
        lambda: _form(
            "cv_",
            shift_type_id=fields.Integer(required=True),
            grade_group_id=fields.Integer(required=True),
            required=fields.Integer(required=True),
            weekday=fields.Integer(load_default=None),
        ),
        services.add_cover,
        dict,
    ),
    "members": (
        "mb_",
        lambda: _form(
            "mb_",
            worker_id=fields.Integer(required=True),
            grade_group_id=fields.Integer(required=True),
            contracted_hours=fields.Float(required=True),
        ),
        services.add_member,
        dict,
    ),
    "leave": (
        "lv_",
        lambda: _form(
            "lv_",
            member_id=fields.Integer(required=True),
            first_day=fields.Date(required=True),
            last_day=fields.Date(required=True),
        ),
        services.add_leave,
        dict,
    ),
    "leave-off": (
        "lo_",
        lambda: _form(
            "lo_",
            member_id=fields.Integer(required=True),
            first_day=fields.Date(required=True),
            last_day=fields.Date(load_default=None),
        ),
        services.remove_leave,
        dict,
    ),
    "requests": (
        "rq_",
        lambda: _form(
            "rq_",
            member_id=fields.Integer(required=True),
            on=fields.Date(required=True),
            shift_type_id=fields.Integer(required=True),
            wants=fields.Boolean(required=True),
            weight=fields.Integer(load_default=5),
        ),
        services.add_request,
        dict,
    ),
}
# Service errors on a field the form names differently.
RENAMED = {"st_minutes": "st_hours"}


def _prefixed(prefix: str, errors: dict[str, list[str]]) -> dict[str, list[str]]:
    named = {prefix + k if not k.startswith(prefix) else k: v for k, v in errors.items()}
    return {RENAMED.get(k, k): v for k, v in named.items()}


def _rota_page(rota: Rota, errors: dict[str, list[str]] | None = None, status: int = 200):
    workers = db.session.scalars(
        sa.select(Worker)
        .where(Worker.primary_trust_id == rota.trust_id)
        .order_by(Worker.grade, Worker.id)
    ).all()
    latest = db.session.scalar(
        sa.select(RotaSolveRun)
        .where(RotaSolveRun.rota_id == rota.id)
        .order_by(RotaSolveRun.id.desc())
        .limit(1)
    )
    return (
        render_template(
            "rota/rota.html",
            rota=rota,
            review=services.review(rota),
            errors=errors or {},
            # A day chosen in the grid fills in the change form.
            form=request.form if request.method == "POST" else request.args,
            workers=[w for w in workers if not any(m.worker_id == w.id for m in rota.members)],
            grades=GRADES,
            groups=list(StaffGroup),
            weekdays=WEEKDAYS,
            latest=latest,
            open_forms={k.split("_", 1)[0] for k in (errors or {})},
        ),
        status,
    )


@blueprint.route("/workforce/rotas", methods=["GET", "POST"])
@role_required(Role.WORKFORCE)
def rotas() -> Any:
    """The Trust's rotas, and a form to start one."""
    trust, trusts = trust_for_page(Role.WORKFORCE)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        schema = ma.Schema.from_dict(
            {
                # Left to the service, so one answer names every field at fault.
                "name": fields.String(load_default=""),
                "department_id": fields.Integer(required=True),
                "starts_on": fields.Date(required=True),
                "weeks": fields.Integer(required=True),
            }
        )()
        data, errors = load_form(schema)
        if not errors:
            try:
                with transaction():
                    rota = services.create_rota(trust, g.user, now=utcnow(), **data)
                flash(f"Rota {rota.name} started: now add its shift types.", "success")
                return redirect(url_for("rota.rota", rota_id=rota.id))
            except ValidationFailed as error:
                errors = error.errors
        status = 422
    found = db.session.scalars(
        sa.select(Rota).where(Rota.trust_id == trust.id).order_by(Rota.starts_on.desc())
    ).all()
    return (
        render_template(
            "rota/rotas.html",
            trust=trust,
            trusts=trusts,
            rotas=found,
            errors=errors,
            form=request.form if request.method == "POST" else {},
        ),
        status,
    )


@blueprint.route("/workforce/rotas/<int:rota_id>")
@role_required(Role.WORKFORCE)
def rota(rota_id: int) -> Any:
    """A rota: its definition, the latest solve, the grid, what it costs and what it breaks."""
    return _rota_page(services.rota_for(g.user, rota_id))


# What the page's Remove buttons take off a draft rota: the form's field and its service.
REMOVALS = {
    "shift_type_id": services.remove_shift_type,
    "grade_group_id": services.remove_grade_group,
    "cover_id": services.remove_cover,
    "member_id": services.remove_member,
    "request_id": services.remove_request,
}


@blueprint.route("/workforce/rotas/<int:rota_id>/remove", methods=["POST"])
@role_required(Role.WORKFORCE)
def remove(rota_id: int) -> Any:
    """Take a shift type, grade group, cover line, member or request off the rota."""
    rota = services.rota_for(g.user, rota_id)
    field = next((f for f in REMOVALS if f in request.form), "member_id")
    try:
        with transaction():
            REMOVALS[field](
                rota, g.user, now=utcnow(), **{field: request.form.get(field, 0, type=int)}
            )
        flash("Removed.", "success")
    except DomainError as error:
        flash(" ".join(m for ms in error.errors.values() for m in ms) or error.detail, "error")
    return redirect(url_for("rota.rota", rota_id=rota_id))


@blueprint.route("/workforce/rotas/<int:rota_id>/delete", methods=["GET", "POST"])
@role_required(Role.WORKFORCE)
def delete(rota_id: int) -> Any:
    """Ask to confirm, then delete a draft rota."""
    rota = services.rota_for(g.user, rota_id)
    if request.method == "GET":
        return render_template("rota/delete.html", rota=rota)
    name, trust_id = rota.name, rota.trust_id
    try:
        with transaction():
            services.delete_rota(rota, g.user, now=utcnow())
    except DomainError as error:
        flash(error.detail, "error")
        return redirect(url_for("rota.rota", rota_id=rota_id))
    flash(f"Rota {name} deleted.", "success")
    return redirect(url_for("rota.rotas", trust=trust_id))


@blueprint.route("/workforce/rotas/<int:rota_id>/<part>", methods=["POST"])
@role_required(Role.WORKFORCE)
def add_part(rota_id: int, part: str) -> Any:
    """Add a shift type, grade group, cover line, member, leave or request; take leave off."""
    rota = services.rota_for(g.user, rota_id)
    if part not in PARTS:
        return redirect(url_for("rota.rota", rota_id=rota.id))
    prefix, schema, service, arguments = PARTS[part]
    data, errors = load_form(schema())
    if not errors:
        try:
            with transaction():
                service(rota, g.user, now=utcnow(), **arguments(data))
            flash("Leave removed." if part == "leave-off" else "Added.", "success")
            return redirect(url_for("rota.rota", rota_id=rota.id) + f"#{part}")
        except DomainError as error:
            errors = _prefixed(prefix, error.errors or {"_": [error.detail]})
    db.session.rollback()
    return _rota_page(services.rota_for(g.user, rota_id), errors, 422)


@blueprint.route("/workforce/rotas/<int:rota_id>/solve", methods=["POST"])
@role_required(Role.WORKFORCE)
def solve(rota_id: int) -> Any:
    """Start the solver and follow its progress."""
    rota = services.rota_for(g.user, rota_id)
    data, errors = load_form(_form("sv_", time_limit=fields.Integer(required=True)))
    if not errors:
        try:
            with transaction():
                run = services.start_solve(rota, g.user, now=utcnow(), **data)
        except DomainError as error:
            errors = _prefixed("sv_", error.errors or {"time_limit": [error.detail]})
    if errors:
        return _rota_page(services.rota_for(g.user, rota_id), errors, 422)
    runs.start(RotaSolveRun, services.run_solve, run.id, "rota-solve")
    return redirect(url_for("rota.run", run_id=run.id))


def _run_context(run_id: int) -> dict[str, Any]:
    run = services.run_for(g.user, run_id)
    return {
        "run": run,
        "rota": run.rota,
        "review": services.run_review(run),
        "running": run.status in (SolveRunStatus.QUEUED, SolveRunStatus.RUNNING),
    }


@blueprint.route("/workforce/rota-runs/<int:run_id>")
@role_required(Role.WORKFORCE)
def run(run_id: int) -> Any:
    """A solve run: progress and the best rota so far, refreshed while it runs."""
    return render_template("rota/run.html", **_run_context(run_id))


@blueprint.route("/workforce/rota-runs/<int:run_id>/progress")
@role_required(Role.WORKFORCE)
def run_progress(run_id: int) -> Any:
    """The part of the run page that htmx polls every two seconds."""
    return render_template("rota/_run_progress.html", **_run_context(run_id))


@blueprint.route("/workforce/rotas/<int:rota_id>/edit", methods=["POST"])
@role_required(Role.WORKFORCE)
def edit(rota_id: int) -> Any:
    """Assign, unassign or move a shift by hand; a rule it would break is shown."""
    rota = services.rota_for(g.user, rota_id)
    data, errors = load_form(
        _form(
            "ed_",
            member_id=fields.Integer(required=True),
            on=fields.Date(required=True),
            shift_type_id=fields.Integer(load_default=None),
            from_member_id=fields.Integer(load_default=None),
            from_on=fields.Date(load_default=None),
        )
    )
    if not errors:
        try:
            with transaction():
                services.edit_assignment(rota, g.user, now=utcnow(), **data)
            flash("Rota changed.", "success")
            return redirect(url_for("rota.rota", rota_id=rota.id) + "#grid")
        except DomainError as error:
            errors = _prefixed("ed_", error.errors or {"shift_type_id": [error.detail]})
    db.session.rollback()
    return _rota_page(services.rota_for(g.user, rota_id), errors, 422)


@blueprint.route("/workforce/rotas/<int:rota_id>/publish", methods=["POST"])
@role_required(Role.WORKFORCE)
def publish(rota_id: int) -> Any:
    """Publish the rota: staff told, gaps posted to the bank."""
    rota = services.rota_for(g.user, rota_id)
    try:
        with transaction():
            posted = services.publish_rota(rota, g.user, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        return _rota_page(
            services.rota_for(g.user, rota_id),
            {
                "publish": error.errors.get("rate_card")
                or error.errors.get("rota")
                or [error.detail]
            },
            422 if isinstance(error, ValidationFailed) else 409,
        )
    flash(
        f"Rota published: staff told, {len(posted)} unfilled shifts posted to the bank.",
        "success",
    )
    return redirect(url_for("rota.rota", rota_id=rota_id))
