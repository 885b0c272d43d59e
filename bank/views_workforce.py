"""Pages of the workforce team's side of the bank (posting in bulk; release, rate escalation and
cancelling on the shift page; bank and instant-book settings) and the worker's declared rota.
Timesheets and payroll are in `views_pay.py`."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from app.auth import role_required
from app.db import transaction, utcnow
from app.errors import DomainError, NotFound, ValidationFailed
from app.extensions import db
from app.forms import domain_errors
from app.models import Role, Trust, User, Worker
from app.reference import StaffGroup
from app.views import trust_for_page
from bank.models import Bank
from bank.services import posting, release, settings
from bank.services.shifts import visible_shift_for_staff
from bank.views_pay import current_worker, times_from_form

blueprint = Blueprint("bank_workforce", __name__, template_folder="templates")

#: Menu entries, per role: (role, label, endpoint).
NAVIGATION = [
    (Role.WORKER, "My rota", "bank_workforce.my_rota"),
    (Role.WORKFORCE, "Bank settings", "bank_workforce.bank_settings"),
]


# Workforce: posting in bulk ----------------------------------------------------------------


def _block_form(form) -> tuple[dict, dict[str, list[str]]]:
    """The repeating block form as service arguments, and the errors of fields it can't read."""
    errors: dict[str, list[str]] = {}
    data: dict[str, Any] = {}
    for name, label in (("date_from", "first"), ("date_to", "last")):
        try:
            data[name] = date.fromisoformat(form.get(name, ""))
        except ValueError:
            errors[name] = [f"Enter the {label} date"]
    for name, label in (("start", "start"), ("end", "end")):
        try:
            data[name] = time.fromisoformat(form.get(name, ""))
        except ValueError:
            errors[name] = [f"Enter the {label} time, like 08:00"]
    data["weekdays"] = [int(d) for d in form.getlist("weekdays") if d.isdigit()]
    try:
        data["staff_group"] = StaffGroup(form.get("staff_group", "medical"))
    except ValueError:
        errors["staff_group"] = ["Choose a staff group"]
    data["department_id"] = form.get("department_id", type=int) or 0
    data["grade"] = form.get("grade", "").strip()
    rate = form.get("rate", "").strip()
    try:
        data["pence_per_hour"] = round(float(rate) * 100) if rate else None
    except ValueError:
        errors["rate"] = ["Enter the rate in pounds, like 82.50"]
    return data, errors


@blueprint.route("/workforce/shifts/block", methods=["GET", "POST"])
@role_required(Role.WORKFORCE)
def post_block() -> Any:
    """Post the same shift on chosen weekdays between two dates: all of them or none."""
    trust, trusts = trust_for_page(Role.WORKFORCE)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        data, errors = _block_form(request.form)
        if not errors:
            try:
                with transaction():
                    shifts = posting.post_block(trust, g.user, now=utcnow(), **data)
                flash(f"{len(shifts)} shifts posted.", "success")
                return redirect(url_for("bank.trust_shifts", trust=trust.id))
            except DomainError as error:
                errors = domain_errors(error, "date_from")
    return render_template(
        "bank/workforce/post_block.html",
        trust=trust,
        trusts=trusts,
        errors=errors,
        form=request.form,
        groups=StaffGroup,
        weekdays=posting.WEEKDAYS,
    ), (422 if errors else 200)


@blueprint.route("/workforce/shifts/upload", methods=["GET", "POST"])
@role_required(Role.WORKFORCE)
def upload_shifts() -> Any:
    """Upload a CSV of shifts in two steps: a preview of every row (bad rows with their line
    and reason, nothing saved), then posting the good rows once the user confirms."""
    trust, trusts = trust_for_page(Role.WORKFORCE)
    errors: dict[str, list[str]] = {}
    result, text = None, ""
    if request.method == "POST":
        confirm = request.form.get("step") == "confirm"
        if confirm:
            text = request.form.get("csv", "")
        else:
            upload = request.files.get("file")
            try:
                text = upload.read().decode("utf-8-sig") if upload else ""
            except UnicodeDecodeError:
                errors = {"file": ["Save the file as CSV (UTF-8)"]}
            if not text and not errors:
                errors = {"file": ["Choose a CSV file of shifts"]}
        if not errors:
            try:
                with transaction():
                    result = posting.import_shifts_csv(
                        trust, g.user, text, now=utcnow(), dry_run=not confirm
                    )
                if confirm:
                    flash(
                        f"{result.posted} shifts posted; {result.bad_rows} row(s) left out.",
                        "success",
                    )
                    return redirect(url_for("bank.trust_shifts", trust=trust.id))
            except DomainError as error:
                errors = domain_errors(error, "file")
    return render_template(
        "bank/workforce/upload_shifts.html",
        trust=trust,
        trusts=trusts,
        errors=errors,
        result=result,
        csv_text=text,
        columns=(posting.REQUIRED_COLUMNS, posting.OPTIONAL_COLUMNS),
    ), (422 if errors else 200)


# Workforce: one shift's release, rate and cancelling ---------------------------------------


@blueprint.route(
    "/workforce/shifts/<int:shift_id>/<any(release, escalate, cancel):action>", methods=["POST"]
)
@role_required(Role.WORKFORCE)
def shift_action(shift_id: int, action: str) -> Any:
    """Release a shift to the collaborative bank, raise its rate, or cancel it."""
    shift = visible_shift_for_staff(g.user, shift_id)
    form = request.form
    try:
        with transaction():
            if action == "release":
                release.release_shift(shift, g.user, now=utcnow())
                message = "Released to the collaborative bank."
            elif action == "escalate":
                try:
                    pence = round(float(form.get("rate", "")) * 100)
                except ValueError:
                    raise ValidationFailed.on(
                        "pence_per_hour", "Enter the new rate in pounds, like 95.00"
                    ) from None
                release.escalate_rate(
                    shift,
                    g.user,
                    pence_per_hour=pence,
                    reason=form.get("reason", ""),
                    authorised_by=form.get("authorised_by", ""),
                    now=utcnow(),
                )
                message = f"Rate raised to £{pence / 100:.2f} an hour."
            else:
                release.cancel_shift(
                    shift, g.user, reason=form.get("cancel_reason", ""), now=utcnow()
                )
                message = "Shift cancelled; the booked worker and applicants are told."
        flash(message, "success")
    except DomainError as error:
        messages = [m for ms in error.errors.values() for m in ms] or [error.detail]
        flash(" ".join(messages), "error")
    return redirect(url_for("bank.trust_shift", shift_id=shift.id))


# Workforce: settings -----------------------------------------------------------------------


def _ids_from_emails(text: str) -> tuple[list[int], list[str]]:
    emails = [e.strip().lower() for e in text.replace(";", ",").replace("\n", ",").split(",")]
    emails = [e for e in emails if e]
    found = dict(
        db.session.execute(
            sa.select(User.email, Worker.id).join(Worker).where(User.email.in_(emails))
        ).all()
    )
    return [found[e] for e in emails if e in found], [e for e in emails if e not in found]


@blueprint.route("/workforce/settings", methods=["GET", "POST"])
@role_required(Role.WORKFORCE)
def bank_settings() -> Any:
    """The Trust's own bank (cancellation window, automatic release) and who may
    instant-book each department's shifts."""
    trust, trusts = trust_for_page(Role.WORKFORCE)
    errors: dict[str, list[str]] = {}
    bank = db.session.scalar(sa.select(Bank).where(Bank.trust_id == trust.id))
    form = request.form
    if request.method == "POST":
        try:
            with transaction():
                if form.get("action") == "bank":
                    if bank is None:
                        raise NotFound(f"{trust.name} has no bank of its own yet.")
                    release_text = form.get("release_hours_before", "").strip()
                    window_text = form.get("cancellation_window_hours", "").strip()
                    if not window_text.isdigit():
                        raise ValidationFailed.on(
                            "cancellation_window_hours", "Enter a whole number of hours"
                        )
                    if release_text and not release_text.isdigit():
                        raise ValidationFailed.on(
                            "release_hours_before", "Enter a whole number of hours, or nothing"
                        )
                    settings.update_bank_settings(
                        bank,
                        g.user,
                        cancellation_window_hours=int(window_text),
                        release_hours_before=int(release_text) if release_text else None,
                        now=utcnow(),
                    )
                    flash("Bank settings saved.", "success")
                else:
                    department = settings.department_for_staff(
                        form.get("department_id", type=int) or 0, g.user
                    )
                    who = form.get("who", "nobody")
                    ids, unknown = _ids_from_emails(form.get("emails", ""))
                    if who == "listed" and unknown:
                        raise ValidationFailed.on(
                            f"emails-{department.id}",
                            f"No worker with email {', '.join(unknown)}",
                        )
                    settings.set_instant_book(
                        department,
                        g.user,
                        everyone=who == "everyone",
                        worker_ids=ids if who == "listed" else [],
                        now=utcnow(),
                    )
                    flash(f"Instant booking saved for {department.name}.", "success")
            return redirect(url_for("bank_workforce.bank_settings", trust=trust.id))
        except DomainError as error:
            errors = domain_errors(error, "cancellation_window_hours")
    departments = [
        (department, *settings.instant_book_rules(department)) for department in trust.departments
    ]
    return render_template(
        "bank/workforce/settings.html",
        trust=trust,
        trusts=trusts,
        bank=bank,
        departments=departments,
        errors=errors,
        form=form,
    ), (422 if errors else 200)


# Worker: declared substantive rota ---------------------------------------------------------


@blueprint.route("/my-rota", methods=["GET", "POST"])
@role_required(Role.WORKER)
def my_rota() -> Any:
    """The worker's substantive rota shifts, declared so the rules count them when they book."""
    worker = current_worker()
    errors: dict[str, list[str]] = {}
    form = request.form
    if request.method == "POST":
        try:
            with transaction():
                if form.get("action") == "delete":
                    settings.delete_commitment(
                        worker, g.user, form.get("commitment_id", type=int) or 0, now=utcnow()
                    )
                    flash("Rota shift removed.", "success")
                else:
                    start, end = times_from_form(form, errors)
                    if errors:
                        raise ValidationFailed("Check the times.", errors=errors)
                    settings.declare_commitment(
                        worker,
                        g.user,
                        start_at=start,
                        end_at=end,
                        trust_id=form.get("trust_id", type=int) or None,
                        description=form.get("description"),
                        now=utcnow(),
                    )
                    flash("Rota shift added: it now counts toward your limits.", "success")
            return redirect(url_for("bank_workforce.my_rota"))
        except DomainError as error:
            errors = domain_errors(error, "start_date")
    return render_template(
        "bank/workforce/my_rota.html",
        commitments=settings.commitments_of(worker, since=utcnow() - timedelta(days=7)),
        trusts=db.session.scalars(sa.select(Trust).order_by(Trust.name)).all(),
        errors=errors,
        form=form,
    ), (422 if errors else 200)
