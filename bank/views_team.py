"""The workforce team's bank pages: requests to join the Trust's bank, its shifts (post one, a
block or a CSV), and each shift's applications, assignment, release, rate and cancelling.

Routes of the `bank` blueprint (`bank.views` imports this module once it is defined)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import (
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from app.auth import role_required
from app.db import transaction, utcnow
from app.errors import DomainError, NotFound
from app.extensions import db
from app.forms import domain_errors
from app.models import Role, Worker
from app.reference import GRADES, StaffGroup
from app.templating import short_time
from app.views import trust_for_page
from bank import services
from bank.entry import cancel_or_record_late
from bank.models import (
    Application,
    ApplicationStatus,
    Bank,
    BankMembership,
    BookingSource,
    MembershipStatus,
    Shift,
    ShiftStatus,
)
from bank.services import offers
from bank.services.memberships import bank_trust_ids
from bank.views import LONDON, blueprint


@blueprint.route("/workforce/memberships", methods=["GET", "POST"])
@role_required(Role.WORKFORCE)
def memberships() -> Any:
    """Requests to join the banks the Trust runs, oldest first, with the time waiting."""
    trust, trusts = trust_for_page(Role.WORKFORCE)
    if request.method == "POST":
        membership = db.session.get(
            BankMembership, request.form.get("membership_id", type=int) or 0
        )
        if membership is None:
            abort(404)
        try:
            with transaction():
                services.decide_membership(
                    membership,
                    g.user,
                    approve=request.form.get("decision") == "approve",
                    reason=request.form.get("reason"),
                    now=utcnow(),
                )
            flash(f"{membership.worker.name}: {membership.status.value}.", "success")
        except DomainError as error:
            flash(error.detail, "error")
        return redirect(url_for("bank.memberships", trust=trust.id))
    bank_ids = [b.id for b in db.session.scalars(sa.select(Bank)) if trust.id in bank_trust_ids(b)]
    waiting = db.session.scalars(
        sa.select(BankMembership)
        .where(
            BankMembership.bank_id.in_(bank_ids),
            BankMembership.status == MembershipStatus.REQUESTED,
        )
        .order_by(BankMembership.requested_at)
    ).all()
    return render_template(
        "bank/memberships.html", trust=trust, trusts=trusts, waiting=waiting, now=utcnow()
    )


@blueprint.route("/workforce/shifts", methods=["GET", "POST"])
@role_required(Role.WORKFORCE)
def trust_shifts() -> Any:
    """The Trust's shifts from today, and a form to post one."""
    trust, trusts = trust_for_page(Role.WORKFORCE)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        form = request.form
        try:
            day = datetime.fromisoformat(form.get("date", "")).date()
            start = datetime.combine(day, time.fromisoformat(form.get("start", "")), LONDON)
            end = datetime.combine(day, time.fromisoformat(form.get("end", "")), LONDON)
            if end <= start:  # a night: ends the next morning
                end = datetime.combine(day + timedelta(days=1), end.time(), LONDON)
        except ValueError:
            errors = {"date": ["Enter the date, start and end time"]}
        if not errors:
            try:
                rate = form.get("rate", "").strip()
                with transaction():
                    shift = services.post_shift(
                        trust,
                        g.user,
                        now=utcnow(),
                        department_id=form.get("department_id", type=int) or 0,
                        staff_group=StaffGroup(form.get("staff_group", "medical")),
                        grade=form.get("grade", ""),
                        start_at=start,
                        end_at=end,
                        acceptable_grades=form.getlist("acceptable_grades"),
                        pence_per_hour=round(float(rate) * 100) if rate else None,
                        urgent=form.get("urgent") == "1",
                        notes=form.get("notes") or None,
                    )
                flash(
                    f"Shift posted: {shift.department.name}, {short_time(shift.start_at)}.",
                    "success",
                )
                return redirect(url_for("bank.trust_shifts", trust=trust.id))
            except (DomainError, ValueError) as error:
                errors = (
                    domain_errors(error, "date")
                    if isinstance(error, DomainError)
                    else {"rate": ["Enter the rate in pounds, like 82.50"]}
                )
        status = 422
    today = datetime.combine(utcnow().astimezone(LONDON).date(), time(0), LONDON)
    shifts = db.session.scalars(
        sa.select(Shift)
        .where(Shift.trust_id == trust.id, Shift.end_at > today)
        .order_by(Shift.start_at)
        .limit(300)
    ).all()
    pending = dict(
        db.session.execute(
            sa.select(Application.shift_id, sa.func.count())
            .join(Shift)
            .where(Shift.trust_id == trust.id, Application.status == ApplicationStatus.PENDING)
            .group_by(Application.shift_id)
        ).all()
    )
    return render_template(
        "bank/trust_shifts.html",
        trust=trust,
        trusts=trusts,
        shifts=shifts,
        pending=pending,
        errors=errors,
        form=request.form,
        groups=StaffGroup,
        grades=GRADES,
    ), status


@blueprint.route("/workforce/shifts/<int:shift_id>", methods=["GET", "POST"])
@role_required(Role.WORKFORCE)
def trust_shift(shift_id: int) -> Any:
    """One shift: applications to approve, assigning a worker, cancelling the booking."""
    shift = services.visible_shift_for_staff(g.user, shift_id)
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "cancel_booking":
                booking = shift.active_booking
                if booking is None:
                    raise NotFound("This shift has no booking to cancel.")
                cancel_or_record_late(
                    booking, g.user, reason=request.form.get("reason"), now=utcnow()
                )
            else:
                with transaction():
                    target = request.form.get("application_id", type=int) or 0
                    if action == "approve":
                        services.approve_application(target, g.user, now=utcnow())
                    elif action == "decline":
                        services.decline_application(target, g.user, now=utcnow())
                    elif action == "offer":
                        worker = _worker_by_email(request.form.get("email", ""))
                        offers.offer_shift(shift, worker.id, g.user, now=utcnow())
                    elif action == "assign":
                        worker = _worker_by_email(request.form.get("email", ""))
                        services.book_shift(
                            worker,
                            shift.id,
                            actor=g.user,
                            now=utcnow(),
                            source=BookingSource.ASSIGNED,
                        )
                    else:
                        raise NotFound("Unknown action.")
            flash("Done.", "success")
        except DomainError as error:
            flash(error.detail, "error")
        return redirect(url_for("bank.trust_shift", shift_id=shift.id))
    with transaction():  # offers whose time has passed end as expired first
        shift_offers = offers.offers_of_shift(shift, now=utcnow())
    applications = db.session.scalars(
        sa.select(Application)
        .where(Application.shift_id == shift.id)
        .order_by(Application.applied_at)
    ).all()
    return render_template(
        "bank/trust_shift.html",
        shift=shift,
        applications=applications,
        offers=shift_offers,
        open=ShiftStatus.OPEN,
    )


def _worker_by_email(email: str) -> Worker:
    from app.models import User

    worker = db.session.scalar(
        sa.select(Worker).join(User).where(User.email == email.strip().lower())
    )
    if worker is None:
        raise NotFound(f"No worker with email {email.strip()}.")
    return worker
