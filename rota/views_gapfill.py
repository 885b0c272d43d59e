"""Gap-filling pages for workforce teams and ICS administrators: start a run over the open
bank shifts, follow it while it solves (htmx polls the run row every 2 seconds), read the
proposals and why each shift left open stays open, and apply it."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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
from marshmallow import fields, validate

from app.auth import role_required
from app.db import transaction, utcnow
from app.errors import DomainError
from app.extensions import db
from app.forms import load_form
from app.models import Role, Trust
from app.tenancy import scoped
from rota import gapfill_service as service
from rota.models_gapfill import GapFillKind, GapFillRun, GapFillStatus
from rota.services import runs as solver_runs

blueprint = Blueprint("gapfill", __name__, template_folder="templates")
LONDON = ZoneInfo("Europe/London")

#: Menu entries the gap filler adds, per role: (role, label, endpoint).
NAVIGATION = [
    (Role.WORKFORCE, "Gap filler", "gapfill.runs"),
    (Role.ICS_ADMIN, "Gap filler", "gapfill.runs"),
]
ALL_TRUSTS = 0  # the form's value for "every Trust of the collaborative bank"


class RunForm(ma.Schema):
    trust_id = fields.Integer(required=True)
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    time_limit = fields.Integer(load_default=20, validate=validate.Range(1, service.MAX_TIME_LIMIT))


def _trust_choices() -> list[tuple[int, str]]:
    scope = service.gapfill_scope(g.user)
    trusts = db.session.scalars(scoped(sa.select(Trust), Trust, scope).order_by(Trust.name))
    choices = [(t.id, t.name) for t in trusts]
    if scope.everything:
        choices.insert(0, (ALL_TRUSTS, "Every Trust in the collaborative bank"))
    return choices


def _runs_page(errors: dict | None = None, form: dict | None = None, status: int = 200) -> Any:
    today = utcnow().astimezone(LONDON).date()
    defaults = {
        "date_from": today.isoformat(),
        "date_to": (today + timedelta(days=6)).isoformat(),
        "time_limit": "20",
    }
    return (
        render_template(
            "rota/gapfill/runs.html",
            runs=service.runs_for(g.user),
            trusts=_trust_choices(),
            errors=errors or {},
            form={**defaults, **(form or {})},
        ),
        status,
    )


@blueprint.route("/workforce/gap-fill", methods=["GET", "POST"])
@role_required(Role.WORKFORCE, Role.ICS_ADMIN)
def runs() -> Any:
    """Recent runs, and the form to start one."""
    if request.method == "GET":
        return _runs_page()
    data, errors = load_form(RunForm())
    if not errors:
        try:
            with transaction():
                run = service.start_run(
                    g.user,
                    trust_id=data["trust_id"] or None,
                    date_from=datetime.combine(data["date_from"], time(0), LONDON),
                    date_to=datetime.combine(data["date_to"] + timedelta(days=1), time(0), LONDON),
                    time_limit=data["time_limit"],
                    now=utcnow(),
                )
        except DomainError as error:
            errors = error.errors or {"trust_id": [error.detail]}
    if errors:
        return _runs_page(errors, dict(request.form), 422)
    solver_runs.start(GapFillRun, service.solve_run, run.id, "gapfill")
    return redirect(url_for("gapfill.run", run_id=run.id))


def _run_context(run_id: int) -> dict[str, Any]:
    with transaction():  # offers whose time has passed end as expired first
        run = service.run_with_offers(g.user, run_id, now=utcnow())
    items = sorted(run.items, key=lambda i: (i.shift.start_at, i.shift_id))
    return {
        "run": run,
        "proposals": [i for i in items if i.kind != GapFillKind.OPEN],
        "left_open": [i for i in items if i.kind == GapFillKind.OPEN],
        "running": run.status in (GapFillStatus.QUEUED, GapFillStatus.RUNNING),
        "london": LONDON,
    }


@blueprint.route("/workforce/gap-fill/<int:run_id>")
@role_required(Role.WORKFORCE, Role.ICS_ADMIN)
def run(run_id: int) -> Any:
    """A run: its progress, then the proposals and the shifts left open with their reasons."""
    return render_template("rota/gapfill/run.html", **_run_context(run_id))


@blueprint.route("/workforce/gap-fill/<int:run_id>/status")
@role_required(Role.WORKFORCE, Role.ICS_ADMIN)
def run_status(run_id: int) -> Any:
    """The run's body alone, for htmx to poll while it solves."""
    return render_template("rota/gapfill/_run_body.html", **_run_context(run_id))


@blueprint.route("/workforce/gap-fill/<int:run_id>/apply", methods=["POST"])
@role_required(Role.WORKFORCE, Role.ICS_ADMIN)
def apply(run_id: int) -> Any:
    """Apply the run: book workers who accept assignments, offer the rest their shift."""
    try:
        with transaction():
            run = service.apply_run(service.run_for(g.user, run_id), g.user, now=utcnow())
        booked = sum(1 for i in run.items if i.outcome.value == "booked")
        offered = sum(1 for i in run.items if i.outcome.value == "offered")
        flash(f"Booked {booked} and offered {offered} shifts.", "success")
    except DomainError as error:
        flash(error.detail, "error")
    return redirect(url_for("gapfill.run", run_id=run_id))
