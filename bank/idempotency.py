"""Idempotency-Key for the booking API: a retry gets the first answer, never a second booking.

The first answer is stored with the key (per user) in the same transaction as the booking; a
failure answer is stored after the rollback. The same key with a different body is refused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Response, g, jsonify, request
from sqlalchemy.exc import IntegrityError

from app.db import transaction, utcnow
from app.errors import DomainError, ValidationFailed, problem
from app.extensions import db
from bank.models import IdempotentRequest


def _digest() -> str:
    body = request.get_data(cache=True) or b""
    return hashlib.sha256(request.method.encode() + request.path.encode() + body).hexdigest()


def _replay(saved: IdempotentRequest, digest: str) -> Response:
    if saved.request_hash != digest:
        raise ValidationFailed.on("Idempotency-Key", "This key was used for a different request")
    response = jsonify(saved.body)
    response.status_code = saved.status_code
    if saved.status_code >= 400:
        response.mimetype = "application/problem+json"
    response.headers["Idempotent-Replayed"] = "true"
    return response


def idempotent(operation: Callable[[], tuple[dict[str, Any], int]]) -> Response:
    """Run `operation` (which writes inside `transaction()` and returns (body, status)) once
    per Idempotency-Key; without a key it simply runs."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        body, status = operation()
        return jsonify(body), status
    if len(key) > 100:
        raise ValidationFailed.on("Idempotency-Key", "Use a key of at most 100 characters")
    digest = _digest()
    lookup = sa.select(IdempotentRequest).where(
        IdempotentRequest.user_id == g.user.id, IdempotentRequest.key == key
    )
    if saved := db.session.scalar(lookup):
        return _replay(saved, digest)
    try:
        body, status = operation(
            lambda body, status: db.session.add(
                IdempotentRequest(
                    user_id=g.user.id,
                    key=key,
                    request_hash=digest,
                    status_code=status,
                    body=body,
                    created_at=utcnow(),
                )
            )
        )
    except IntegrityError:  # the same key raced in from another request: answer as it did
        db.session.rollback()
        return _replay(db.session.scalar(lookup), digest)
    except DomainError as error:
        body = {
            "type": error.type,
            "title": error.title,
            "status": error.status,
            "detail": error.detail,
            **({"errors": error.errors} if error.errors else {}),
        }
        try:
            with transaction():
                db.session.add(
                    IdempotentRequest(
                        user_id=g.user.id,
                        key=key,
                        request_hash=digest,
                        status_code=error.status,
                        body=body,
                        created_at=utcnow(),
                    )
                )
        except IntegrityError:
            return _replay(db.session.scalar(lookup), digest)
        return problem(
            error.status, error.title, error.detail, type_=error.type, errors=error.errors or None
        )
    return jsonify(body), status
