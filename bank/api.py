"""Bank JSON API: banks and memberships, the shift marketplace, bookings and applications."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api_support import token_required
from app.db import transaction, utcnow
from app.errors import NotFound
from app.extensions import db
from app.models import Role, Trust, Worker
from app.tenancy import get_scoped, scope_for
from bank import services
from bank.entry import cancel_or_record_late
from bank.idempotency import idempotent
from bank.models import (
    Bank,
    BankMembership,
    Booking,
    BookingSource,
    Shift,
)
from bank.schemas import (
    ApplicationSchema,
    AssignSchema,
    BankPreferencesSchema,
    BankPreferencesUpdateSchema,
    BankSchema,
    BookingSchema,
    CancelSchema,
    MembershipDecisionSchema,
    MembershipQuerySchema,
    MembershipSchema,
    SearchQuerySchema,
    ShiftCreateSchema,
    ShiftSchema,
    VerdictSchema,
)
from bank.services.eligibility import SearchFilters
from bank.services.memberships import bank_trust_ids, settings_of
from bank.services.preferences import update_preferences

blp = Blueprint(
    "bank_api",
    __name__,
    url_prefix="/api/v1",
    description="Banks, the shift marketplace, bookings and applications",
)
LONDON = ZoneInfo("Europe/London")


def own_worker() -> Worker:
    if g.user.worker is None:
        raise NotFound("Your account has no worker profile.")
    return g.user.worker


@blp.route("/banks")
@blp.response(200, BankSchema(many=True))
@token_required
def list_banks() -> Any:
    """The banks of the ICS."""
    return db.session.scalars(sa.select(Bank).order_by(Bank.name)).all()


@blp.route("/banks/<int:bank_id>/memberships", methods=["POST"])
@blp.response(201, MembershipSchema)
@token_required
def join_bank(bank_id: int) -> Any:
    """Ask to join a bank (workers)."""
    with transaction():
        membership = services.request_membership(own_worker(), bank_id, actor=g.user, now=utcnow())
    return membership


@blp.route("/banks/<int:bank_id>/memberships")
@blp.arguments(MembershipQuerySchema, location="query")
@blp.response(200, MembershipSchema(many=True))
@token_required
def bank_memberships(args: dict, bank_id: int) -> Any:
    """Membership requests of a bank your Trust runs (workforce teams), oldest first."""
    bank = db.session.get(Bank, bank_id)
    if bank is None or not any(g.user.has_role(Role.WORKFORCE, t) for t in bank_trust_ids(bank)):
        raise NotFound(f"No bank with id {bank_id} that your Trust runs.")
    return db.session.scalars(
        sa.select(BankMembership)
        .where(BankMembership.bank_id == bank_id, BankMembership.status == args["status"])
        .order_by(BankMembership.requested_at)
    ).all()


@blp.route("/memberships/<int:membership_id>/decision", methods=["POST"])
@blp.arguments(MembershipDecisionSchema)
@blp.response(200, MembershipSchema)
@token_required
def decide(data: dict, membership_id: int) -> Any:
    """Approve or decline a request to join (workforce teams of the bank's Trusts)."""
    membership = db.session.get(BankMembership, membership_id)
    if membership is None:
        raise NotFound(f"No membership request with id {membership_id}.")
    with transaction():
        services.decide_membership(
            membership, g.user, approve=data["approve"], reason=data["reason"], now=utcnow()
        )
    return membership


def _day_start(day) -> datetime | None:
    return datetime.combine(day, time(0), tzinfo=LONDON) if day else None


@blp.route("/shifts/search")
@blp.arguments(SearchQuerySchema, location="query")
@blp.response(200, VerdictSchema(many=True))
@token_required
def search(args: dict) -> Any:
    """Open shifts your banks show you, each with whether you can take it and why not."""
    from datetime import timedelta

    filters = SearchFilters(
        date_from=_day_start(args["date_from"]),
        date_to=_day_start(args["date_to"]) + timedelta(days=1) if args["date_to"] else None,
        trust_id=args["trust_id"],
        site_id=args["site_id"],
        specialty=args["specialty"],
        min_pence_per_hour=round(args["min_rate"] * 100) if args["min_rate"] else None,
        eligible_only=args["eligible_only"],
    )
    return services.search_open_shifts(own_worker(), now=utcnow(), filters=filters)


@blp.route("/trusts/<int:trust_id>/shifts", methods=["POST"])
@blp.arguments(ShiftCreateSchema)
@blp.response(201, ShiftSchema)
@token_required
def post_shift(data: dict, trust_id: int) -> Any:
    """Post an open shift to the Trust's own bank (its workforce team)."""
    trust = get_scoped(Trust, trust_id, scope_for(g.user, [Role.WORKFORCE]), what="Trust")
    with transaction():
        shift = services.post_shift(trust, g.user, now=utcnow(), **data)
    return shift


@blp.route("/shifts/<int:shift_id>")
@blp.response(200, ShiftSchema)
@token_required
def get_shift(shift_id: int) -> Any:
    """One shift: for its Trust's staff, or a worker whose banks show it."""
    if g.user.worker is not None:
        context = services.worker_context(g.user.worker, utcnow())
        shift = db.session.get(Shift, shift_id)
        if shift is not None and context.sees(shift):
            return shift
    return services.visible_shift_for_staff(g.user, shift_id, roles=(Role.WORKFORCE, Role.FINANCE))


@blp.route("/shifts/<int:shift_id>/bookings", methods=["POST"])
@blp.response(201, BookingSchema)
@blp.alt_response(409, schema=None, description="Someone else booked it first")
@blp.alt_response(422, schema=None, description="You cannot take it: every reason listed")
@blp.doc(
    parameters=[
        {
            "in": "header",
            "name": "Idempotency-Key",
            "required": False,
            "schema": {"type": "string", "maxLength": 100},
            "description": "A retry with the same key returns the first answer",
        }
    ]
)
@token_required
def book(shift_id: int) -> Any:
    """Book a shift instantly, where the department allows it for you."""
    worker = own_worker()

    def operation(remember=None):
        with transaction():
            booking = services.book_shift(
                worker, shift_id, actor=g.user, now=utcnow(), source=BookingSource.INSTANT
            )
            body = BookingSchema().dump(booking)
            if remember:
                remember(body, 201)
        return body, 201

    return idempotent(operation)


@blp.route("/shifts/<int:shift_id>/applications", methods=["POST"])
@blp.response(201, ApplicationSchema)
@token_required
def apply(shift_id: int) -> Any:
    """Apply for a shift the department fills by approval."""
    with transaction():
        application = services.apply_for_shift(own_worker(), shift_id, actor=g.user, now=utcnow())
    return application


@blp.route("/shifts/<int:shift_id>/applications")
@blp.response(200, ApplicationSchema(many=True))
@token_required
def shift_applications(shift_id: int) -> Any:
    """Applications for one of your Trust's shifts."""
    from bank.models import Application

    services.visible_shift_for_staff(g.user, shift_id)
    return db.session.scalars(
        sa.select(Application)
        .where(Application.shift_id == shift_id)
        .order_by(Application.applied_at)
    ).all()


@blp.route("/applications/<int:application_id>/approve", methods=["POST"])
@blp.response(201, BookingSchema)
@token_required
def approve(application_id: int) -> Any:
    """Approve an application: the worker is booked (same checks as any booking)."""
    with transaction():
        booking = services.approve_application(application_id, g.user, now=utcnow())
    return booking


@blp.route("/applications/<int:application_id>/decline", methods=["POST"])
@blp.response(200, ApplicationSchema)
@token_required
def decline(application_id: int) -> Any:
    """Decline an application."""
    with transaction():
        application = services.decline_application(application_id, g.user, now=utcnow())
    return application


@blp.route("/shifts/<int:shift_id>/assign", methods=["POST"])
@blp.arguments(AssignSchema)
@blp.response(201, BookingSchema)
@token_required
def assign(data: dict, shift_id: int) -> Any:
    """Assign a worker directly (the Trust's workforce team): same checks as any booking."""
    services.visible_shift_for_staff(g.user, shift_id)
    worker = db.session.get(Worker, data["worker_id"])
    if worker is None:
        raise NotFound(f"No worker with id {data['worker_id']}.")
    with transaction():
        booking = services.book_shift(
            worker, shift_id, actor=g.user, now=utcnow(), source=BookingSource.ASSIGNED
        )
    return booking


@blp.route("/me/bookings")
@blp.response(200, BookingSchema(many=True))
@token_required
def my_bookings() -> Any:
    """Your bookings, soonest first."""

    return db.session.scalars(
        sa.select(Booking)
        .join(Shift)
        .where(Booking.worker_id == own_worker().id)
        .order_by(Shift.start_at)
    ).all()


@blp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@blp.arguments(CancelSchema)
@blp.response(200, BookingSchema)
@token_required
def cancel(data: dict, booking_id: int) -> Any:
    """Cancel a booking: a worker inside the Trust's window, or the Trust's workforce team."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise NotFound(f"No booking with id {booking_id}.")
    return cancel_or_record_late(booking, g.user, reason=data["reason"], now=utcnow())


@blp.route("/me/bank-preferences")
class BankPreferences(MethodView):
    decorators = [token_required]

    @blp.response(200, BankPreferencesSchema)
    def get(self) -> Any:
        """Where you would rather work, how many bank shifts a week, whether the gap filler
        may book you directly, and your Working Time Regulations opt-out."""
        return settings_of(own_worker())

    @blp.arguments(BankPreferencesUpdateSchema)
    @blp.response(200, BankPreferencesSchema)
    def put(self, data: dict) -> Any:
        """Replace your bank preferences (Trusts and sites must be in your banks)."""
        with transaction():
            return update_preferences(own_worker(), g.user, now=utcnow(), **data)
