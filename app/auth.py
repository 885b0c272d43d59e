"""Who is asking: password hashing, browser sessions, API tokens, and the access decorators.

A browser session is a row in `user_sessions`; the signed cookie carries only its random id,
so signing out, changing the password or disabling the account ends it for real. API calls
carry a personal token (`Authorization: Bearer sbk_...`), stored only as a SHA-256.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import ApiToken, Role, User, UserSession

TOKEN_PREFIX = "sbk_"


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_COST"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher().hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Whether `password` matches the stored hash (False for a malformed hash)."""
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def digest(token: str) -> str:
    """The stored form of a session id or API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret(prefix: str = "") -> str:
    """A fresh unguessable token (256 bits)."""
    return prefix + secrets.token_urlsafe(32)


def _user_from_session() -> tuple[User | None, UserSession | None]:
    sid = session.get("sid")
    if not sid:
        return None, None
    row = db.session.scalar(
        sa.select(UserSession)
        .where(UserSession.token_hash == digest(sid), UserSession.revoked_at.is_(None))
        .options(joinedload(UserSession.user).selectinload(User.memberships))
    )
    if row is None or not row.user.active:
        session.clear()
        return None, None
    return row.user, row


def _user_from_token() -> tuple[User | None, ApiToken | None]:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.startswith(TOKEN_PREFIX):
        return None, None
    row = db.session.scalar(
        sa.select(ApiToken)
        .where(ApiToken.token_hash == digest(token.strip()), ApiToken.revoked_at.is_(None))
        .options(joinedload(ApiToken.user).selectinload(User.memberships))
    )
    if row is None or not row.user.active:
        return None, None
    return row.user, row


def load_current_user() -> None:
    """Before each request: set `g.user` from the API token (API) or the session (pages)."""
    g.user = g.user_session = g.api_token = None
    if request.path.startswith("/api/"):
        g.user, g.api_token = _user_from_token()
    else:
        g.user, g.user_session = _user_from_session()


def current_user() -> User | None:
    """The signed-in user of this request, if any."""
    return g.get("user")


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send a signed-out visitor to the sign-in page, coming back here afterwards."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.get("user") is None:
            flash("Sign in to continue.", "info")
            return redirect(url_for("core.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapped


def role_required(*roles: Role) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Allow only users holding one of `roles` (others get 404: we do not confirm it exists)."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            from app.errors import NotFound

            if not any(g.user.has_role(role) for role in roles):
                raise NotFound("There is no such page for your account.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def register_auth(app: Flask) -> None:
    """Load the user before every request and expose them to templates."""
    app.before_request(load_current_user)

    @app.context_processor
    def _inject_user() -> dict[str, Any]:
        return {"current_user": g.get("user")}
