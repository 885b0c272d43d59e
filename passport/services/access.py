"""Who may see whose passport and evidence, and finding workers across the bank."""

from __future__ import annotations

import sqlalchemy as sa

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.models import Role, Trust, User, Worker
from app.storage import storage
from passport.models import (
    Credential,
)

PASSPORT_STAFF_ROLES = (Role.COMPLIANCE, Role.WORKFORCE, Role.ICS_ADMIN)


def can_see_passports(user: User) -> bool:
    """Staff of any member Trust see passports: the point is that every Trust can rely on them."""
    return any(user.has_role(role) for role in PASSPORT_STAFF_ROLES)


def visible_worker(user: User, worker_id: int) -> Worker:
    """The worker whose passport `user` asks for: their own, or any if they are Trust staff."""
    worker = db.session.get(Worker, worker_id)
    own = user.worker is not None and user.worker.id == worker_id
    if worker is None or not (own or can_see_passports(user)):
        raise NotFound(f"No worker with id {worker_id} that you can see.")
    return worker


def visible_credential(user: User, credential_id: int) -> Credential:
    credential = db.session.get(Credential, credential_id)
    if credential is None:
        raise NotFound(f"No credential with id {credential_id} that you can see.")
    visible_worker(user, credential.worker_id)
    return credential


def acting_trust(user: User, trust_id: int | None, role: Role = Role.COMPLIANCE) -> Trust:
    """The Trust a Trust-level action is taken for: given, or the user's only one."""
    trust_ids = sorted({m.trust_id for m in user.memberships if m.role == role and m.trust_id})
    if trust_id is None:
        if len(trust_ids) != 1:
            raise ValidationFailed.on("trust_id", "Choose which of your Trusts this is for")
        trust_id = trust_ids[0]
    if trust_id not in trust_ids:
        raise NotFound(f"No Trust with id {trust_id} where you are a {role.label.lower()}.")
    return db.session.get(Trust, trust_id)


def evidence_response(user: User, credential_id: int):
    """The evidence file as a download, for those who may see the passport."""
    from flask import Response

    credential = visible_credential(user, credential_id)
    if credential.evidence_key is None:
        raise NotFound("This credential has no evidence file.")
    response = Response(
        storage().load(credential.evidence_key), mimetype=credential.evidence_content_type
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="credential-{credential.id}-evidence"'
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def find_workers(query: str, limit: int = 50) -> list[Worker]:
    """Workers of the bank whose name, email or registration number contains `query`."""
    pattern = f"%{query.lower()}%"
    return list(
        db.session.scalars(
            sa.select(Worker)
            .join(User)
            .where(
                sa.or_(
                    sa.func.lower(User.full_name).like(pattern),
                    sa.func.lower(User.email).like(pattern),
                    sa.func.lower(Worker.registration_number).like(pattern),
                )
            )
            .order_by(User.full_name, Worker.id)
            .limit(limit)
        )
    )
