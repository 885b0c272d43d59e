"""Input and output schemas of the core API and forms (marshmallow 4)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from app.reference import ODS_CODE

_name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class RoleMembershipSchema(ma.Schema):
    role = fields.String()
    trust_id = fields.Integer(allow_none=True)


class UserSchema(ma.Schema):
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String()
    active = fields.Boolean()
    roles = fields.List(fields.Nested(RoleMembershipSchema), attribute="memberships")


class TrustSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    ods_code = fields.String()


class TrustCreateSchema(ma.Schema):
    name = _name
    ods_code = fields.String(
        required=True,
        validate=validate.Regexp(
            ODS_CODE, error="Enter an ODS code of 3 to 5 capital letters or digits, like RBT"
        ),
    )


class SiteSchema(ma.Schema):
    id = fields.Integer()
    trust_id = fields.Integer()
    name = fields.String()
    postcode = fields.String(allow_none=True)


class SiteCreateSchema(ma.Schema):
    name = _name
    postcode = fields.String(load_default=None, validate=validate.Length(max=10))


class DepartmentSchema(ma.Schema):
    id = fields.Integer()
    trust_id = fields.Integer()
    site_id = fields.Integer()
    name = fields.String()
    specialty = fields.String()
    cost_centre = fields.String()


class DepartmentCreateSchema(ma.Schema):
    site_id = fields.Integer(required=True)
    name = _name
    specialty = fields.String(required=True, validate=validate.Length(min=1, max=100))
    cost_centre = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9-]{2,20}$",
            error="Enter a cost centre of 2 to 20 letters, digits or dashes",
        ),
    )


class WorkerSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String(attribute="user.email")
    staff_group = fields.String()
    grade = fields.String()
    registration_body = fields.String(allow_none=True)
    registration_number = fields.String(allow_none=True)
    primary_trust_id = fields.Integer()


class WorkerQuerySchema(ma.Schema):
    trust_id = fields.Integer(load_default=None)
    staff_group = fields.String(
        load_default=None, validate=validate.OneOf(["medical", "nursing", "ahp", "support"])
    )
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class NotificationSchema(ma.Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    link = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)


_NEW_SHIFTS = ("instant", "daily_digest")
_quiet_time = {
    "format": "%H:%M",
    "allow_none": True,
    "load_default": None,
    "error_messages": {"invalid": "Enter a time in 24-hour format, like 22:00"},
}


class NotificationPreferenceSchema(ma.Schema):
    in_app = fields.Boolean(metadata={"description": "Always true: the inbox gets every message"})
    email = fields.Boolean(metadata={"description": "Also send each message by email"})
    new_shifts = fields.String(
        metadata={"description": "New matching shifts: 'instant' or one 'daily_digest'"}
    )
    quiet_hours_start = fields.Time(
        format="%H:%M",
        allow_none=True,
        metadata={"description": "UK local time; emails wait until the quiet hours end"},
    )
    quiet_hours_end = fields.Time(format="%H:%M", allow_none=True)


def _both_quiet_times_or_neither(data: dict) -> None:
    start, end = data.get("quiet_hours_start"), data.get("quiet_hours_end")
    if (start is None) != (end is None):
        raise ma.ValidationError(
            "Enter both times of your quiet hours, or neither",
            field_name="quiet_hours_end" if end is None else "quiet_hours_start",
        )


class NotificationPreferenceUpdateSchema(ma.Schema):
    """The whole set of preferences (PUT replaces them)."""

    in_app = fields.Boolean(
        load_default=True,
        validate=validate.Equal(True, error="The in-app inbox cannot be turned off"),
    )
    email = fields.Boolean(required=True)
    new_shifts = fields.String(
        required=True,
        validate=validate.OneOf(_NEW_SHIFTS, error="Must be one of: instant, daily_digest"),
    )
    quiet_hours_start = fields.Time(**_quiet_time)
    quiet_hours_end = fields.Time(**_quiet_time)

    @ma.validates_schema
    def quiet_hours_pair(self, data: dict, **_kwargs: object) -> None:
        _both_quiet_times_or_neither(data)


class JobRunSchema(ma.Schema):
    scheduled_for = fields.AwareDateTime()
    started_at = fields.AwareDateTime()
    summary = fields.String(allow_none=True)


class JobStatusSchema(ma.Schema):
    id = fields.String()
    description = fields.String()
    schedule = fields.String(metadata={"description": "When it runs, in words (UK time)"})
    next_run_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "Null until the scheduler has stored the job"}
    )
    last_run = fields.Nested(JobRunSchema, allow_none=True)


class ApiTokenSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    created_at = fields.AwareDateTime()
    last_used_at = fields.AwareDateTime(allow_none=True)
    revoked_at = fields.AwareDateTime(allow_none=True)


class ApiTokenCreateSchema(ma.Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class ApiTokenCreatedSchema(ApiTokenSchema):
    token = fields.String(metadata={"description": "The secret token: shown this once only"})


class AuditEventSchema(ma.Schema):
    id = fields.Integer()
    occurred_at = fields.AwareDateTime()
    actor_user_id = fields.Integer(allow_none=True)
    action = fields.String()
    trust_id = fields.Integer(allow_none=True)
    object_type = fields.String()
    object_id = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)


class AuditQuerySchema(ma.Schema):
    object_type = fields.String(load_default=None)
    object_id = fields.String(load_default=None)
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


# Forms -----------------------------------------------------------------------------------


class LoginFormSchema(ma.Schema):
    email = fields.Email(
        required=True,
        error_messages={
            "required": "Enter your email address",
            "invalid": "Enter an email address in the correct format, like name@nhs.net",
        },
    )
    password = fields.String(
        required=True,
        validate=validate.Length(min=1),
        error_messages={"required": "Enter your password"},
    )
    next = fields.String(load_default="")


class PasswordChangeFormSchema(ma.Schema):
    current_password = fields.String(
        required=True, error_messages={"required": "Enter your current password"}
    )
    new_password = fields.String(required=True, error_messages={"required": "Enter a new password"})
    confirm_password = fields.String(
        required=True, error_messages={"required": "Enter the new password again"}
    )

    @ma.validates_schema
    def passwords_match(self, data: dict, **_kwargs: object) -> None:
        if data.get("new_password") != data.get("confirm_password"):
            raise ma.ValidationError(
                "The two new passwords are not the same", field_name="confirm_password"
            )


class NotificationPreferenceFormSchema(ma.Schema):
    email = fields.Boolean(load_default=False)
    new_shifts = fields.String(
        required=True,
        validate=validate.OneOf(_NEW_SHIFTS, error="Choose how you want to hear about new shifts"),
        error_messages={"required": "Choose how you want to hear about new shifts"},
    )
    quiet_hours_start = fields.Time(**_quiet_time)
    quiet_hours_end = fields.Time(**_quiet_time)

    @ma.validates_schema
    def quiet_hours_pair(self, data: dict, **_kwargs: object) -> None:
        _both_quiet_times_or_neither(data)
