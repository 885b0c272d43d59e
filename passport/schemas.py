"""Passport schemas: input and output of the API and the pages' forms."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.db import utcnow
from app.reference import StaffGroup
from passport.services import display_status


class CredentialTypeSchema(ma.Schema):
    code = fields.String()
    name = fields.String()
    category = fields.String()
    check_standard = fields.String(allow_none=True)
    evidence = fields.String(metadata={"description": "document, reference or either"})
    needs_expiry = fields.Boolean()
    refresher_months = fields.Integer(allow_none=True)
    registration_body = fields.String(allow_none=True)
    reference_label = fields.String(allow_none=True)
    recognised = fields.Boolean(metadata={"description": "Passported across the ICS"})


class AcceptanceSchema(ma.Schema):
    trust_id = fields.Integer()
    trust_name = fields.String(attribute="trust.name")
    accepted_by = fields.String(attribute="accepted_by.full_name")
    accepted_at = fields.AwareDateTime()


class CredentialEventSchema(ma.Schema):
    action = fields.String()
    at = fields.AwareDateTime()
    actor = fields.String(attribute="actor.full_name", allow_none=True)
    trust_id = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)


class CredentialSchema(ma.Schema):
    id = fields.Integer()
    worker_id = fields.Integer()
    credential_type = fields.String(attribute="credential_type.code")
    credential_type_name = fields.String(attribute="credential_type.name")
    status = fields.String()
    display_status = fields.Function(
        lambda credential: display_status(credential, utcnow()),
        metadata={
            "description": "verified, awaiting_verification, expiring_soon, expired or "
            "rejected, as of now"
        },
    )
    reference = fields.String(allow_none=True)
    issued_on = fields.Date(allow_none=True)
    expires_on = fields.Date(allow_none=True)
    has_evidence = fields.Function(lambda c: c.evidence_key is not None)
    evidence_filename = fields.String(allow_none=True)
    submitted_at = fields.AwareDateTime()
    verified_at = fields.AwareDateTime(allow_none=True)
    verified_by = fields.String(attribute="verified_by.full_name", allow_none=True)
    verified_by_trust_id = fields.Integer(allow_none=True)
    verified_by_trust = fields.String(attribute="verified_by_trust.name", allow_none=True)
    verification_method = fields.String(allow_none=True)
    verification_note = fields.String(allow_none=True)
    rejected_reason = fields.String(allow_none=True)
    accepted_by = fields.List(fields.Nested(AcceptanceSchema), attribute="acceptances")
    history = fields.List(fields.Nested(CredentialEventSchema), attribute="events")


class CredentialCreateSchema(ma.Schema):
    credential_type = fields.String(
        required=True, error_messages={"required": "Choose the kind of credential"}
    )
    reference = fields.String(load_default=None, validate=validate.Length(max=60))
    issued_on = fields.Date(
        load_default=None,
        error_messages={"invalid": "Enter the issue date as a real date, like 2026-03-31"},
    )
    expires_on = fields.Date(
        load_default=None,
        error_messages={"invalid": "Enter the expiry date as a real date, like 2027-03-31"},
    )


class VerifySchema(ma.Schema):
    trust_id = fields.Integer(
        load_default=None,
        metadata={"description": "Which of your Trusts verifies (needed if you are at several)"},
    )
    method = fields.String(
        required=True,
        validate=validate.Length(min=1, max=60),
        error_messages={"required": "Say how you checked it"},
    )
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class RejectSchema(ma.Schema):
    trust_id = fields.Integer(load_default=None)
    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        error_messages={"required": "Say why it is rejected"},
    )


class AcceptSchema(ma.Schema):
    trust_id = fields.Integer(load_default=None)


class RecognitionSchema(ma.Schema):
    recognised = fields.Dict(
        keys=fields.String(),
        values=fields.Boolean(),
        required=True,
        metadata={"description": "credential type code -> passported"},
    )


class RequirementSchema(ma.Schema):
    id = fields.Integer()
    credential_type = fields.String(attribute="credential_type.code")
    credential_type_name = fields.String(attribute="credential_type.name")
    staff_group = fields.String(allow_none=True)
    grade = fields.String(allow_none=True)
    department_id = fields.Integer(allow_none=True)


class RequirementCreateSchema(ma.Schema):
    credential_type = fields.String(
        required=True, error_messages={"required": "Choose the credential to require"}
    )
    staff_group = fields.Enum(StaffGroup, by_value=True, load_default=None)
    grade = fields.String(load_default=None, validate=validate.Length(max=20))
    department_id = fields.Integer(load_default=None)


class TrainingIntervalSchema(ma.Schema):
    credential_type = fields.String(required=True)
    months = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=120, error="Enter a number of months from 1 to 120"),
        error_messages={"required": "Enter the number of months"},
    )


class EligibilityQuerySchema(ma.Schema):
    trust_id = fields.Integer(required=True)
    department_id = fields.Integer(load_default=None)
    at = fields.AwareDateTime(
        required=True, metadata={"description": "When the work starts (ISO 8601 with offset)"}
    )
    credential_types = fields.List(
        fields.String(),
        load_default=None,
        metadata={
            "description": "The types needed; default: what the Trust requires of the worker"
        },
    )


class ShortfallSchema(ma.Schema):
    credential_type = fields.String(attribute="type_code")
    credential_type_name = fields.String(attribute="type_name")
    reason = fields.String()
    detail = fields.String()


class EligibilitySchema(ma.Schema):
    eligible = fields.Boolean()
    required = fields.List(fields.String())
    shortfalls = fields.List(fields.Nested(ShortfallSchema))
