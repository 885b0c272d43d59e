"""Bank pages: find and book shifts, my shifts, joining banks; the workforce team's shifts,
applications and membership requests."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
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
from app.models import Department, Role, Site, Trust, Worker
from bank import services
from bank.calendar import feed_for, render_feed, reset_feed, worker_for_token
from bank.entry import cancel_or_record_late
from bank.models import (
    Application,
    ApplicationStatus,
    Booking,
    BookingSource,
    BookingStatus,
    MembershipStatus,
    Shift,
)
from bank.services.eligibility import SearchFilters
from bank.services.preferences import places_for, update_preferences

blueprint = Blueprint("bank", __name__, template_folder="templates")

#: Menu entries the bank adds, per role: (role, label, endpoint).
NAVIGATION = [
    (Role.WORKER, "Find shifts", "bank.find_shifts"),
    (Role.WORKER, "My shifts", "bank.my_shifts"),
    (Role.WORKER, "My banks", "bank.banks"),
    (Role.WORKFORCE, "Shifts", "bank.trust_shifts"),
    (Role.WORKFORCE, "Join requests", "bank.memberships"),
]
LONDON = ZoneInfo("Europe/London")


def _worker() -> Worker:
    if g.user.worker is None:
        raise NotFound("Your worker profile has not been set up yet.")
    return g.user.worker


def _date_arg(name: str):
    value = request.args.get(name, "")
    try:
        return datetime.fromisoformat(value).date() if value else None
    except ValueError:
        return None


@blueprint.route("/shifts")
@role_required(Role.WORKER)
def find_shifts() -> Any:
    """Open shifts at every Trust of the worker's banks, each with the rate and whether and
    how they can take it (or exactly why not)."""
    worker = _worker()
    date_from, date_to = _date_arg("from"), _date_arg("to")
    min_rate = request.args.get("min_rate", type=float)
    filters = SearchFilters(
        date_from=datetime.combine(date_from, time(0), tzinfo=LONDON) if date_from else None,
        date_to=(datetime.combine(date_to, time(0), tzinfo=LONDON) + timedelta(days=1))
        if date_to
        else None,
        trust_id=request.args.get("trust", type=int),
        site_id=request.args.get("site", type=int),
        specialty=request.args.get("specialty") or None,
        min_pence_per_hour=round(min_rate * 100) if min_rate else None,
        eligible_only=request.args.get("eligible_only") == "1",
        limit=300,
    )
    verdicts = services.search_open_shifts(worker, now=utcnow(), filters=filters)
    trusts = db.session.scalars(sa.select(Trust).order_by(Trust.name)).all()
    sites = db.session.scalars(sa.select(Site).order_by(Site.name)).all()
    specialties = sorted(set(db.session.scalars(sa.select(Department.specialty))))
    memberships = services.banks_for_worker(worker)
    return render_template(
        "bank/find_shifts.html",
        verdicts=verdicts,
        trusts=trusts,
        sites=sites,
        specialties=specialties,
        args=request.args,
        memberships=memberships,
        approved=MembershipStatus.APPROVED,
    )


@blueprint.route("/shifts/<int:shift_id>/book", methods=["POST"])
@role_required(Role.WORKER)
def book(shift_id: int) -> Any:
    """Book a shift instantly; a refusal comes back with every reason."""
    try:
        with transaction():
            booking = services.book_shift(
                _worker(), shift_id, actor=g.user, now=utcnow(), source=BookingSource.INSTANT
            )
        flash(
            f"You are booked: {booking.shift.department.name} at {booking.shift.trust.name}.",
            "success",
        )
        return redirect(url_for("bank.my_shifts"))
    except DomainError as error:
        return _refused(error)


@blueprint.route("/shifts/<int:shift_id>/apply", methods=["POST"])
@role_required(Role.WORKER)
def apply(shift_id: int) -> Any:
    """Apply for a shift the department fills by approval."""
    try:
        with transaction():
            services.apply_for_shift(_worker(), shift_id, actor=g.user, now=utcnow())
        flash("You have applied. We will tell you when the department decides.", "success")
        return redirect(url_for("bank.my_shifts"))
    except DomainError as error:
        return _refused(error)


def _refused(error: DomainError) -> Any:
    messages = error.errors.get("shift_id") if error.errors else None
    return render_template(
        "bank/refused.html", title=error.title, reasons=messages or [error.detail]
    ), error.status


@blueprint.route("/shifts/mine")
@role_required(Role.WORKER)
def my_shifts() -> Any:
    """The worker's bookings and applications."""
    worker = _worker()
    bookings = db.session.scalars(
        sa.select(Booking)
        .join(Shift)
        .where(Booking.worker_id == worker.id)
        .order_by(Shift.start_at.desc())
    ).all()
    applications = db.session.scalars(
        sa.select(Application)
        .join(Shift)
        .where(Application.worker_id == worker.id, Application.status == ApplicationStatus.PENDING)
        .order_by(Shift.start_at)
    ).all()
    now = utcnow()
    upcoming = [b for b in bookings if b.status == BookingStatus.ACTIVE and b.shift.end_at > now][
        ::-1
    ]
    past = [b for b in bookings if b not in upcoming]
    with transaction():  # the calendar address is made on first use
        token = feed_for(worker, now=now).token
    feed_url = url_for("bank.calendar_feed", token=token, _external=True)
    return render_template(
        "bank/my_shifts.html",
        upcoming=upcoming,
        past=past,
        applications=applications,
        feed_url=feed_url,
    )


@blueprint.route("/calendar/<token>.ics")
def calendar_feed(token: str) -> Any:
    """The worker's shifts as iCalendar, for their phone (the address is the key)."""
    worker = worker_for_token(token)
    if worker is None:
        abort(404)
    response = make_response(render_feed(worker, now=utcnow()))
    response.mimetype = "text/calendar"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@blueprint.route("/shifts/mine/calendar/reset", methods=["POST"])
@role_required(Role.WORKER)
def reset_calendar() -> Any:
    """Give the calendar feed a new address; the old one stops working."""
    with transaction():
        reset_feed(_worker(), g.user, now=utcnow())
    flash("Your calendar has a new address. Subscribe to it again on your phone.", "success")
    return redirect(url_for("bank.my_shifts") + "#calendar")


@blueprint.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@role_required(Role.WORKER)
def cancel(booking_id: int) -> Any:
    """Cancel one of my bookings (within the Trust's cancellation window)."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.worker_id != _worker().id:
        raise NotFound(f"No booking with id {booking_id} of yours.")
    try:
        cancel_or_record_late(booking, g.user, reason=request.form.get("reason"), now=utcnow())
        flash("Your booking is cancelled.", "success")
    except DomainError as error:
        flash(error.detail, "error")
    return redirect(url_for("bank.my_shifts"))


@blueprint.route("/banks", methods=["GET", "POST"])
@role_required(Role.WORKER)
def banks() -> Any:
    """The banks the worker can join, and their requests."""
    worker = _worker()
    if request.method == "POST":
        try:
            with transaction():
                services.request_membership(
                    worker, request.form.get("bank_id", type=int) or 0, actor=g.user, now=utcnow()
                )
            flash("Your request has been sent to the bank's workforce team.", "success")
        except DomainError as error:
            flash(error.detail, "error")
        return redirect(url_for("bank.banks"))
    return render_template("bank/banks.html", options=services.banks_for_worker(worker))


@blueprint.route("/banks/preferences", methods=["GET", "POST"])
@role_required(Role.WORKER)
def preferences() -> Any:
    """Where the worker would rather work, how much, and how the gap filler may place them."""
    worker = _worker()
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        form = _preferences_form()
        errors = form.pop("errors")
        if not errors:
            try:
                with transaction():
                    update_preferences(worker, g.user, now=utcnow(), **form)
                flash("Your bank preferences have been saved.", "success")
                return redirect(url_for("bank.preferences"))
            except DomainError as error:
                errors = domain_errors(error, "preferred_trust_ids")
        status = 422
    else:
        settings = services.settings_of(worker)
        form = {
            "preferred_trust_ids": [t.id for t in settings.preferred_trusts],
            "preferred_site_ids": [s.id for s in settings.preferred_sites],
            "max_shifts_per_week": settings.max_shifts_per_week,
            "accept_assignments": settings.accept_assignments,
            "wtr_opted_out": settings.wtr_opted_out,
        }
    places = places_for(worker)
    return render_template(
        "bank/preferences.html",
        places=places,
        trust_options=[(p.trust.id, p.trust.name) for p in places],
        site_options=[(s.id, f"{s.name}, {p.trust.name}") for p in places for s in p.sites],
        form=form,
        errors=errors,
    ), status


def _preferences_form() -> dict[str, Any]:
    """The posted preferences, with any field that is not a number under "errors"."""
    errors: dict[str, list[str]] = {}
    ids: dict[str, list[int]] = {}
    for name in ("preferred_trust_ids", "preferred_site_ids"):
        values = request.form.getlist(name)
        if not all(v.isdigit() for v in values):
            errors[name] = ["Choose from the list"]
        ids[name] = [int(v) for v in values if v.isdigit()]
    cap = request.form.get("max_shifts_per_week", "").strip()
    if cap and not cap.isdigit():
        errors["max_shifts_per_week"] = ["Give a whole number of shifts, or leave it empty"]
    return {
        **ids,
        "max_shifts_per_week": int(cap) if cap.isdigit() else None,
        "accept_assignments": request.form.get("accept_assignments") == "yes",
        "wtr_opted_out": request.form.get("wtr_opted_out") == "yes",
        "errors": errors,
    }


# The workforce team's pages are routes of this blueprint too.
from bank import views_team  # noqa: E402, F401
