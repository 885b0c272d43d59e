"""Passport JSON API: credential types, a worker's passport, verification, policy,
requirements and eligibility."""

from __future__ import annotations

from typing import Any

from flask import Response, g
from flask.views import MethodView
from flask_smorest import Blueprint

from app.api_support import token_required
from app.db import transaction, utcnow
from app.errors import Forbidden
from app.models import Role, Trust
from app.tenancy import get_scoped, scope_for
from passport import services
from passport.schemas import (
    AcceptSchema,
    CredentialCreateSchema,
    CredentialSchema,
    CredentialTypeSchema,
    EligibilityQuerySchema,
    EligibilitySchema,
    RecognitionSchema,
    RejectSchema,
    RequirementCreateSchema,
    RequirementSchema,
    TrainingIntervalSchema,
    VerifySchema,
)
from passport.services import Upload

blp = Blueprint(
    "passport_api",
    __name__,
    url_prefix="/api/v1",
    description="The credential passport shared by every Trust in the bank",
)


@blp.route("/credential-types")
@blp.response(200, CredentialTypeSchema(many=True))
@token_required
def list_credential_types() -> Any:
    """Every credential type, and whether the ICS passports it."""
    return services.credential_types()


@blp.route("/passport-policy", methods=["PUT"])
@blp.arguments(RecognitionSchema)
@blp.response(200, CredentialTypeSchema(many=True))
@token_required
def set_policy(data: dict) -> Any:
    """Set which types verified by one member Trust all others accept (ICS administrators)."""
    with transaction():
        services.set_recognition(g.user, data["recognised"], now=utcnow())
    return services.credential_types()


@blp.route("/workers/<int:worker_id>/credentials")
class WorkerCredentials(MethodView):
    decorators = [token_required]

    @blp.response(200, CredentialSchema(many=True))
    def get(self, worker_id: int) -> Any:
        """A worker's passport (the worker, or staff of any Trust in the bank)."""
        return services.passport_of(services.visible_worker(g.user, worker_id))

    @blp.arguments(CredentialCreateSchema, location="form")
    @blp.response(201, CredentialSchema)
    def post(self, data: dict, worker_id: int) -> Any:
        """Add a credential to your own passport (multipart form; `evidence` is the file)."""
        from flask import request

        worker = services.visible_worker(g.user, worker_id)
        file = request.files.get("evidence")
        upload = Upload(file.filename or "evidence", file.read()) if file else None
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
        return credential


@blp.route("/credentials/<int:credential_id>")
@blp.response(200, CredentialSchema)
@token_required
def get_credential(credential_id: int) -> Any:
    """One credential with its history."""
    return services.visible_credential(g.user, credential_id)


@blp.route("/credentials/<int:credential_id>/evidence")
@token_required
def get_evidence(credential_id: int) -> Response:
    """The evidence file, for those who may see the passport."""
    return services.evidence_response(g.user, credential_id)


def _officer_action(credential_id: int, trust_id: int | None):
    credential = services.visible_credential(g.user, credential_id)
    if not g.user.has_role(Role.COMPLIANCE):
        raise Forbidden("Only a compliance officer verifies credentials.")
    return credential, services.acting_trust(g.user, trust_id)


@blp.route("/credentials/<int:credential_id>/verify", methods=["POST"])
@blp.arguments(VerifySchema)
@blp.response(200, CredentialSchema)
@token_required
def verify(data: dict, credential_id: int) -> Any:
    """Verify a credential for the whole bank, recording the method and evidence seen."""
    credential, trust = _officer_action(credential_id, data["trust_id"])
    with transaction():
        services.verify_credential(
            credential, g.user, trust, method=data["method"], note=data["note"], now=utcnow()
        )
    return credential


@blp.route("/credentials/<int:credential_id>/reject", methods=["POST"])
@blp.arguments(RejectSchema)
@blp.response(200, CredentialSchema)
@token_required
def reject(data: dict, credential_id: int) -> Any:
    """Reject a credential with the reason the worker will see."""
    credential, trust = _officer_action(credential_id, data["trust_id"])
    with transaction():
        services.reject_credential(credential, g.user, trust, reason=data["reason"], now=utcnow())
    return credential


@blp.route("/credentials/<int:credential_id>/accept", methods=["POST"])
@blp.arguments(AcceptSchema)
@blp.response(200, CredentialSchema)
@token_required
def accept(data: dict, credential_id: int) -> Any:
    """Accept a credential another Trust verified, without checking it again."""
    credential, trust = _officer_action(credential_id, data["trust_id"])
    with transaction():
        services.accept_credential(credential, g.user, trust, now=utcnow())
    return credential


def _own_trust(trust_id: int, role: Role = Role.COMPLIANCE) -> Trust:
    return get_scoped(Trust, trust_id, scope_for(g.user, [role, Role.ICS_ADMIN]), what="Trust")


@blp.route("/trusts/<int:trust_id>/verification-queue")
@blp.response(200, CredentialSchema(many=True))
@token_required
def queue(trust_id: int) -> Any:
    """Credentials awaiting verification for the Trust's workers, oldest first."""
    return services.verification_queue(_own_trust(trust_id))


@blp.route("/trusts/<int:trust_id>/requirements")
class Requirements(MethodView):
    decorators = [token_required]

    @blp.response(200, RequirementSchema(many=True))
    def get(self, trust_id: int) -> Any:
        """What the Trust requires, by staff group, grade and department."""
        return services.trust_requirements(_own_trust(trust_id))

    @blp.arguments(RequirementCreateSchema)
    @blp.response(201, RequirementSchema)
    def post(self, data: dict, trust_id: int) -> Any:
        """Require a credential (the Trust's compliance officers)."""
        trust = _own_trust(trust_id)
        with transaction():
            requirement = services.add_requirement(
                trust,
                g.user,
                code=data["credential_type"],
                staff_group=data["staff_group"],
                grade=data["grade"],
                department_id=data["department_id"],
                now=utcnow(),
            )
        return requirement


@blp.route("/trusts/<int:trust_id>/requirements/<int:requirement_id>", methods=["DELETE"])
@blp.response(204)
@token_required
def delete_requirement(trust_id: int, requirement_id: int) -> None:
    """Stop requiring a credential."""
    trust = _own_trust(trust_id)
    with transaction():
        services.remove_requirement(trust, g.user, requirement_id, now=utcnow())


@blp.route("/trusts/<int:trust_id>/training-intervals", methods=["PUT"])
@blp.arguments(TrainingIntervalSchema)
@blp.response(200, TrainingIntervalSchema)
@token_required
def set_interval(data: dict, trust_id: int) -> Any:
    """Set the Trust's refresher interval for a training subject."""
    trust = _own_trust(trust_id)
    with transaction():
        services.set_training_interval(
            trust, g.user, data["credential_type"], data["months"], now=utcnow()
        )
    return data


@blp.route("/workers/<int:worker_id>/eligibility", methods=["POST"])
@blp.arguments(EligibilityQuerySchema)
@blp.response(200, EligibilitySchema)
@token_required
def check_eligibility(data: dict, worker_id: int) -> Any:
    """Whether the worker's passport qualifies them for work at a Trust at a time, and if not
    every missing, unverified or expired item."""
    worker = services.visible_worker(g.user, worker_id)
    return services.check_work(
        worker,
        trust_id=data["trust_id"],
        department_id=data["department_id"],
        at=data["at"],
        type_codes=data["credential_types"],
        now=utcnow(),
    )
