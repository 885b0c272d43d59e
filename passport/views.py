"""Passport pages: the worker's passport, the compliance queue and worker view, the Trust's
requirements, and the ICS passport policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from app.auth import login_required, role_required
from app.db import transaction, utcnow
from app.errors import DomainError, NotFound
from app.extensions import db
from app.forms import domain_errors, load_form
from app.models import Department, Role, Trust
from app.reference import GRADES, StaffGroup
from app.views import trust_for_page
from passport import services
from passport.models import CredentialStatus
from passport.schemas import (
    CredentialCreateSchema,
    RejectSchema,
    RequirementCreateSchema,
    TrainingIntervalSchema,
    VerifySchema,
)

blueprint = Blueprint("passport", __name__, template_folder="templates")
LONDON = ZoneInfo("Europe/London")
VERIFICATION_METHODS = [
    "Original document seen in person",
    "Online register check",
    "DBS Update Service status check",
    "Home Office online right to work check",
    "Certificate from training provider",
    "Occupational health clearance letter",
    "Referee contacted",
]


def _work_check(worker) -> dict[str, Any] | None:
    """The "what does this work need" panel, from the query string (None if not asked)."""
    trust_id = request.args.get("check_trust", type=int)
    when = request.args.get("check_at", "")
    if not trust_id or not when:
        return None
    try:
        at = datetime.fromisoformat(when).replace(tzinfo=LONDON)
    except ValueError:
        return {"error": "Enter the date and time the work starts"}
    department_id = request.args.get("check_department", type=int)
    try:
        return services.check_work(
            worker,
            trust_id=trust_id,
            department_id=department_id,
            at=at,
            type_codes=None,
            now=utcnow(),
        )
    except DomainError as error:
        return {"error": error.detail}


@blueprint.route("/passport", methods=["GET", "POST"])
@role_required(Role.WORKER)
def my_passport() -> Any:
    """The worker's passport: every credential with its status; add one; check some work."""
    worker = g.user.worker
    if worker is None:
        raise NotFound("Your worker profile has not been set up yet.")
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        data, errors = load_form(CredentialCreateSchema())
        file = request.files.get("evidence")
        upload = (
            services.Upload(file.filename or "evidence", file.read())
            if file and file.filename
            else None
        )
        if not errors:
            try:
                with transaction():
                    credential = services.add_credential(
                        worker,
                        g.user,
                        credential_type_code=data["credential_type"],
                        reference=data["reference"],
                        issued_on=data["issued_on"],
                        expires_on=data["expires_on"],
                        evidence=upload,
                        now=utcnow(),
                    )
                flash(
                    f"{credential.credential_type.name} added. A compliance officer will "
                    "verify it.",
                    "success",
                )
                return redirect(url_for("passport.my_passport"))
            except DomainError as error:
                errors = domain_errors(error, "credential_type")
        status = 422
    trusts = db.session.scalars(sa.select(Trust).order_by(Trust.name)).all()
    departments = db.session.scalars(sa.select(Department).order_by(Department.name)).all()
    return render_template(
        "passport/my_passport.html",
        worker=worker,
        credentials=services.passport_of(worker),
        types=services.credential_types(),
        errors=errors,
        form=request.form,
        now=utcnow(),
        display_status=services.display_status,
        trusts=trusts,
        departments=departments,
        check=_work_check(worker),
    ), status


@blueprint.route("/passport/credentials/<int:credential_id>/evidence")
@login_required
def evidence(credential_id: int) -> Any:
    """Download a credential's evidence (the worker, or staff of the bank's Trusts)."""
    return services.evidence_response(g.user, credential_id)


@blueprint.route("/compliance/queue")
@role_required(Role.COMPLIANCE)
def queue() -> Any:
    """Credentials awaiting verification for the Trust's workers, oldest first."""
    trust, trusts = trust_for_page(Role.COMPLIANCE)
    return render_template(
        "passport/queue.html",
        trust=trust,
        trusts=trusts,
        queue=services.verification_queue(trust),
        checks_avoided=services.checks_avoided(trust.id),
    )


@blueprint.route("/compliance/workers")
@role_required(Role.COMPLIANCE)
def find_worker() -> Any:
    """Find any worker of the bank by name, email or registration number."""
    trust, trusts = trust_for_page(Role.COMPLIANCE)
    query = request.args.get("q", "").strip()
    found = services.find_workers(query) if query else []
    return render_template(
        "passport/find_worker.html", trust=trust, trusts=trusts, query=query, found=found
    )


@blueprint.route("/compliance/workers/<int:worker_id>", methods=["GET", "POST"])
@role_required(Role.COMPLIANCE)
def worker_passport(worker_id: int) -> Any:
    """A worker's passport as a compliance officer sees it, with verify/reject/accept."""
    trust, trusts = trust_for_page(Role.COMPLIANCE)
    worker = services.visible_worker(g.user, worker_id)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        action = request.form.get("action")
        credential_id = request.form.get("credential_id", type=int) or 0
        try:
            credential = services.visible_credential(g.user, credential_id)
            if credential.worker_id != worker.id:
                raise NotFound("That credential is not in this passport.")
            with transaction():
                if action == "verify":
                    data, errors = load_form(VerifySchema())
                    if not errors:
                        services.verify_credential(
                            credential,
                            g.user,
                            trust,
                            method=data["method"],
                            note=data["note"],
                            now=utcnow(),
                        )
                elif action == "reject":
                    data, errors = load_form(RejectSchema())
                    if not errors:
                        services.reject_credential(
                            credential, g.user, trust, reason=data["reason"], now=utcnow()
                        )
                elif action == "accept":
                    services.accept_credential(credential, g.user, trust, now=utcnow())
                else:
                    errors = {"action": ["Choose verify, reject or accept"]}
            if not errors:
                flash(
                    f"{credential.credential_type.name}: {action} recorded for {trust.name}.",
                    "success",
                )
                return redirect(
                    url_for("passport.worker_passport", worker_id=worker.id, trust=trust.id)
                )
        except DomainError as error:
            errors = domain_errors(error, "action")
        status = 422
    eligibility = services.check_work(
        worker, trust_id=trust.id, department_id=None, at=utcnow(), type_codes=None, now=utcnow()
    )
    return render_template(
        "passport/worker_passport.html",
        trust=trust,
        trusts=trusts,
        worker=worker,
        credentials=services.passport_of(worker),
        errors=errors,
        now=utcnow(),
        display_status=services.display_status,
        methods=VERIFICATION_METHODS,
        eligibility=eligibility,
        awaiting=CredentialStatus.AWAITING,
        verified=CredentialStatus.VERIFIED,
    ), status


@blueprint.route("/compliance/requirements", methods=["GET", "POST"])
@role_required(Role.COMPLIANCE)
def requirements() -> Any:
    """What the Trust requires, by staff group, grade and department; training intervals."""
    trust, trusts = trust_for_page(Role.COMPLIANCE)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        action = request.form.get("action")
        try:
            with transaction():
                if action == "add":
                    data, errors = load_form(RequirementCreateSchema())
                    if not errors:
                        services.add_requirement(
                            trust,
                            g.user,
                            code=data["credential_type"],
                            staff_group=data["staff_group"],
                            grade=data["grade"],
                            department_id=data["department_id"],
                            now=utcnow(),
                        )
                elif action == "remove":
                    services.remove_requirement(
                        trust,
                        g.user,
                        request.form.get("requirement_id", type=int) or 0,
                        now=utcnow(),
                    )
                elif action == "interval":
                    data, errors = load_form(TrainingIntervalSchema())
                    if not errors:
                        services.set_training_interval(
                            trust, g.user, data["credential_type"], data["months"], now=utcnow()
                        )
            if not errors:
                flash("Saved.", "success")
                return redirect(url_for("passport.requirements", trust=trust.id))
        except DomainError as error:
            errors = domain_errors(error, "credential_type")
        status = 422
    policy = services.trust_policy(trust.id)
    return render_template(
        "passport/requirements.html",
        trust=trust,
        trusts=trusts,
        errors=errors,
        form=request.form,
        requirements=services.trust_requirements(trust),
        types=services.credential_types(),
        policy=policy,
        groups=list(StaffGroup),
        grades=sorted({g for grades in GRADES.values() for g in grades}),
        departments=trust.departments,
    ), status


@blueprint.route("/ics/passport-policy", methods=["GET", "POST"])
@role_required(Role.ICS_ADMIN)
def policy() -> Any:
    """Which credential types verified by one member Trust every other member accepts."""
    types = services.credential_types()
    if request.method == "POST":
        chosen = set(request.form.getlist("recognised"))
        with transaction():
            services.set_recognition(
                g.user, {t.code: t.code in chosen for t in types}, now=utcnow()
            )
        flash("The passport policy has been saved.", "success")
        return redirect(url_for("passport.policy"))
    return render_template(
        "passport/policy.html", types=types, checks_avoided=services.checks_avoided()
    )
