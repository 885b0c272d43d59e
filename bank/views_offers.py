"""Workers' Offers page: shifts a Trust offered them, to accept or decline."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, url_for

from app.auth import role_required
from app.db import transaction, utcnow
from app.errors import DomainError, NotFound
from app.forms import load_form
from app.models import Role, Worker
from bank.entry import answer_offer
from bank.schemas_offers import OfferDeclineSchema
from bank.services import offers

blueprint = Blueprint("bank_offers", __name__, template_folder="templates")

#: Menu entries, per role: (role, label, endpoint).
NAVIGATION = [(Role.WORKER, "Offers", "bank_offers.offers_page")]


def _worker() -> Worker:
    if g.user.worker is None:
        raise NotFound("Your worker profile has not been set up yet.")
    return g.user.worker


def _page(problem: DomainError | None = None, errors: dict | None = None) -> Any:
    with transaction():  # offers whose time has passed end as expired first
        found = offers.offers_for_worker(_worker(), now=utcnow())
    reasons = []
    if problem is not None:
        reasons = (problem.errors.get("shift_id") if problem.errors else None) or [problem.detail]
    status = problem.status if problem else 422 if errors else 200
    return render_template(
        "bank/offers.html",
        pending=found.pending,
        recent=found.recent,
        problem=problem,
        reasons=reasons,
        errors=errors or {},
    ), status


@blueprint.route("/offers")
@role_required(Role.WORKER)
def offers_page() -> Any:
    """The worker's offers to answer, with what each pays and until when it stands, and
    the offers answered or ended lately."""
    return _page()


@blueprint.route("/offers/<int:offer_id>/accept", methods=["POST"])
@role_required(Role.WORKER)
def accept(offer_id: int) -> Any:
    """Accept an offer: booked through the same checks as any booking, or every reason why
    not shown on the page."""
    worker, now = _worker(), utcnow()
    try:
        booking = answer_offer(
            lambda: offers.accept_offer(offer_id, worker, actor=g.user, now=now),
            offer_id,
            now=now,
        )
    except DomainError as error:
        return _page(problem=error)
    flash(
        f"You are booked: {booking.shift.department.name} at {booking.shift.trust.name}.",
        "success",
    )
    return redirect(url_for("bank.my_shifts"))


@blueprint.route("/offers/<int:offer_id>/decline", methods=["POST"])
@role_required(Role.WORKER)
def decline(offer_id: int) -> Any:
    """Decline an offer, optionally saying why (the Trust's workforce team is told)."""
    data, errors = load_form(OfferDeclineSchema())
    if errors:
        return _page(errors={f"reason-{offer_id}": errors.get("reason", ["Check the reason"])})
    worker, now = _worker(), utcnow()
    try:
        offer = answer_offer(
            lambda: offers.decline_offer(
                offer_id, worker, actor=g.user, now=now, reason=data.get("reason")
            ),
            offer_id,
            now=now,
        )
    except DomainError as error:
        return _page(problem=error)
    flash(f"You declined {offer.shift.department.name}. We have told the Trust.", "success")
    return redirect(url_for("bank_offers.offers_page"))
