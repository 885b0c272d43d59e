"""JSON API of shift offers: a worker's offers, and accepting or declining one; a workforce
team's offers of its shifts.

Another worker's offer answers 404; an offer that has ended (answered, expired, or the shift
taken or cancelled) answers 409 saying why; a rule that now blocks the worker answers 422 with
every reason, and the offer stays open.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api_support import token_required
from app.db import transaction, utcnow
from bank.api import own_worker
from bank.entry import answer_offer
from bank.schemas_offers import (
    OfferCreateSchema,
    OfferDeclineSchema,
    OfferSchema,
    TeamOfferSchema,
)
from bank.services import offers
from bank.services.shifts import visible_shift_for_staff

blp = Blueprint(
    "offers_api",
    __name__,
    url_prefix="/api/v1",
    description="Shift offers to bank workers: accept or decline",
)


@blp.route("/me/offers")
@blp.response(200, OfferSchema(many=True))
@token_required
def my_offers() -> Any:
    """Your offers still open to answer (soonest to expire first), then those that ended in
    the last 14 days (latest first). An offer whose time has passed is among those that
    ended, as expired."""
    with transaction():
        found = offers.offers_for_worker(own_worker(), now=utcnow())
    return [*found.pending, *found.recent]


@blp.route("/offers/<int:offer_id>/accept", methods=["POST"])
@blp.response(200, OfferSchema)
@blp.alt_response(409, schema=None, description="The offer has ended: the problem says why")
@blp.alt_response(422, schema=None, description="You cannot take the shift now: every reason")
@token_required
def accept(offer_id: int) -> Any:
    """Accept an offer: you are booked (`booking_id`), after the same checks as any booking."""
    worker, now = own_worker(), utcnow()
    answer_offer(
        lambda: offers.accept_offer(offer_id, worker, actor=g.user, now=now), offer_id, now=now
    )
    return offers.own_offer(offer_id, worker)


@blp.route("/offers/<int:offer_id>/decline", methods=["POST"])
@blp.arguments(OfferDeclineSchema, required=False)
@blp.response(200, OfferSchema)
@blp.alt_response(409, schema=None, description="The offer has ended: the problem says why")
@token_required
def decline(data: dict, offer_id: int) -> Any:
    """Decline an offer, optionally saying why (the Trust's workforce team is told)."""
    worker, now = own_worker(), utcnow()
    return answer_offer(
        lambda: offers.decline_offer(
            offer_id, worker, actor=g.user, now=now, reason=data.get("reason")
        ),
        offer_id,
        now=now,
    )


@blp.route("/shifts/<int:shift_id>/offers")
class ShiftOffers(MethodView):
    """A workforce team's offers of one of its shifts (another Trust's shift answers 404)."""

    decorators = [token_required]

    @blp.response(200, TeamOfferSchema(many=True))
    def get(self, shift_id: int) -> Any:
        """Every offer of the shift, newest first (one whose time has passed, as expired)."""
        with transaction():
            return offers.offers_of_shift(visible_shift_for_staff(g.user, shift_id), now=utcnow())

    @blp.arguments(OfferCreateSchema)
    @blp.response(201, TeamOfferSchema)
    @blp.alt_response(409, schema=None, description="Not open, started, or already on offer")
    @blp.alt_response(422, schema=None, description="The worker could not take it: every reason")
    def post(self, data: dict, shift_id: int) -> Any:
        """Offer the open shift to a worker who could take it now; they are told at once."""
        with transaction():
            shift = visible_shift_for_staff(g.user, shift_id)
            return offers.offer_shift(shift, data["worker_id"], g.user, now=utcnow())
