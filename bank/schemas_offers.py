"""Schemas of shift offers: what a worker sees of an offer, and their answer to it."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from bank.models_offers import OfferSource, OfferStatus
from bank.schemas import ShiftSchema

DECLINE_REASON = validate.Length(max=500)


class OfferSchema(ma.Schema):
    id = fields.Integer()
    status = fields.Enum(OfferStatus, by_value=True)
    source = fields.Enum(OfferSource, by_value=True)
    shift = fields.Nested(ShiftSchema)
    created_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime(
        metadata={"description": "After this the offer can no longer be accepted"}
    )
    responded_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    closed_reason = fields.String(
        allow_none=True, metadata={"description": "Why an offer expired or was withdrawn"}
    )
    decline_reason = fields.String(allow_none=True)
    booking_id = fields.Integer(allow_none=True, metadata={"description": "Once accepted"})


class OfferDeclineSchema(ma.Schema):
    reason = fields.String(load_default=None, validate=DECLINE_REASON)


class TeamOfferSchema(OfferSchema):
    """An offer as the shift's workforce team sees it: to whom."""

    worker_id = fields.Integer()
    worker_name = fields.String(attribute="worker.name")


class OfferCreateSchema(ma.Schema):
    worker_id = fields.Integer(required=True)
