"""Core operations: users and sign-in, Trusts and their estate, audit and the inbox.

Services flush and never commit: the caller wraps them in `app.db.transaction()`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.auth import TOKEN_PREFIX, digest, hash_password, new_secret, password_matches
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.models import (
    ApiToken,
    AuditEvent,
    Department,
    Notification,
    Role,
    RoleMembership,
    Site,
    Trust,
    User,
    UserSession,
)
from app.notifications import notify  # noqa: F401  (the one notification service)
from app.reference import ODS_CODE

MIN_PASSWORD_LENGTH = 10


# Audit and inbox -------------------------------------------------------------------------


def record_audit(
    action: str,
    obj: Any,
    *,
    actor: User | None,
    now: datetime,
    trust_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event for `action` on `obj` (a model with an id)."""
    event = AuditEvent(
        occurred_at=now,
        actor_user_id=actor.id if actor else None,
        action=action,
        trust_id=trust_id if trust_id is not None else getattr(obj, "trust_id", None),
        object_type=type(obj).__name__,
        object_id=str(obj.id),
        before=before,
        after=after,
    )
    db.session.add(event)
    return event


def mark_notification_read(user: User, notification_id: int, *, now: datetime) -> Notification:
    """Mark one of `user`'s own messages as read."""
    message = db.session.get(Notification, notification_id)
    if message is None or message.user_id != user.id:
        raise NotFound(f"No message with id {notification_id} in your inbox.")
    if message.read_at is None:
        message.read_at = now
    return message


def unread_count(user: User) -> int:
    """How many unread messages `user` has."""
    return (
        db.session.scalar(
            sa.select(sa.func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


# Users, sign-in, sessions and tokens ----------------------------------------------------


def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_password_strength(password: str, field: str = "password") -> None:
    """Refuse a password too short to resist guessing (NCSC: length over complexity)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed.on(
            field, f"Enter a password of at least {MIN_PASSWORD_LENGTH} characters"
        )


def create_user(
    email: str,
    full_name: str,
    password: str,
    *,
    roles: list[tuple[Role, int | None]] = (),  # type: ignore[assignment]
    actor: User | None,
    now: datetime,
    password_hash: str | None = None,
) -> User:
    """Create a user with roles (each a role and a Trust id, or None for ICS-wide)."""
    email = normalise_email(email)
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise Conflict(f"There is already an account for {email}.", errors={"email": ["In use"]})
    if password_hash is None:
        check_password_strength(password)
        password_hash = hash_password(password)
    user = User(
        email=email,
        full_name=full_name.strip(),
        password_hash=password_hash,
        password_changed_at=now,
        created_at=now,
        updated_at=now,
    )
    user.memberships = [
        RoleMembership(role=role, trust_id=trust_id, created_at=now) for role, trust_id in roles
    ]
    db.session.add(user)
    db.session.flush()
    record_audit(
        "user.created",
        user,
        actor=actor,
        now=now,
        after={"email": email, "roles": [[r.value, t] for r, t in roles]},
    )
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (never says which was wrong)."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    if user is None:
        hash_password(password)  # same work either way, so timing does not reveal accounts
        return None
    if not password_matches(user.password_hash, password) or not user.active:
        return None
    return user


def start_session(user: User, *, now: datetime, user_agent: str | None = None) -> str:
    """Open a browser session for `user`; returns the secret id for the cookie."""
    secret = new_secret()
    db.session.add(
        UserSession(
            user_id=user.id,
            token_hash=digest(secret),
            created_at=now,
            last_seen_at=now,
            user_agent=(user_agent or "")[:300],
        )
    )
    return secret


def end_session(user_session: UserSession, *, now: datetime) -> None:
    """Sign one browser out for good."""
    if user_session.revoked_at is None:
        user_session.revoked_at = now


def revoke_all_sessions(user: User, *, now: datetime, keep: UserSession | None = None) -> int:
    """End every browser session of `user` (but `keep`); returns how many were ended."""
    stmt = (
        sa.update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep.id)
    return db.session.execute(stmt).rowcount


def change_password(
    user: User, current: str, new: str, *, now: datetime, keep: UserSession | None = None
) -> None:
    """Change `user`'s password and sign out every other browser."""
    if not password_matches(user.password_hash, current):
        raise ValidationFailed.on("current_password", "Your current password is not right")
    check_password_strength(new, "new_password")
    if new == current:
        raise ValidationFailed.on("new_password", "Choose a password different from the old one")
    user.password_hash = hash_password(new)
    user.password_changed_at = now
    revoke_all_sessions(user, now=now, keep=keep)
    record_audit("user.password_changed", user, actor=user, now=now)


def set_user_active(actor: User | None, user: User, active: bool, *, now: datetime) -> User:
    """Enable or disable an account; disabling ends its sessions and tokens at once."""
    before = {"active": user.active}
    user.active = active
    if not active:
        revoke_all_sessions(user, now=now)
        db.session.execute(
            sa.update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    record_audit(
        "user.enabled" if active else "user.disabled",
        user,
        actor=actor,
        now=now,
        before=before,
        after={"active": active},
    )
    return user


def create_api_token(user: User, name: str, *, now: datetime) -> tuple[ApiToken, str]:
    """A new personal API token; the plain token is returned once and never stored."""
    name = name.strip()
    if not name:
        raise ValidationFailed.on("name", "Enter a name for the token, like 'rota export'")
    secret = new_secret(TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        name=name[:100],
        token_hash=digest(secret),
        prefix=secret[:10],
        created_at=now,
    )
    db.session.add(token)
    db.session.flush()
    record_audit("api_token.created", token, actor=user, now=now, after={"name": token.name})
    return token, secret


def revoke_api_token(user: User, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke one of `user`'s own tokens."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"No API token with id {token_id} on your account.")
    if token.revoked_at is None:
        token.revoked_at = now
        record_audit("api_token.revoked", token, actor=user, now=now)
    return token


# Trusts, sites, departments ---------------------------------------------------------------


def create_trust(name: str, ods_code: str, *, actor: User | None, now: datetime) -> Trust:
    """Admit a Trust to the ICS."""
    ods_code = ods_code.strip().upper()
    if not ODS_CODE.fullmatch(ods_code):
        raise ValidationFailed.on("ods_code", "Enter an ODS code of 3 to 5 letters or digits")
    if db.session.scalar(
        sa.select(Trust.id).where(sa.or_(Trust.ods_code == ods_code, Trust.name == name.strip()))
    ):
        raise Conflict(f"A Trust named {name.strip()} or with ODS code {ods_code} exists.")
    trust = Trust(name=name.strip(), ods_code=ods_code, created_at=now, updated_at=now)
    db.session.add(trust)
    db.session.flush()
    record_audit(
        "trust.created",
        trust,
        actor=actor,
        now=now,
        trust_id=trust.id,
        after={"name": trust.name, "ods_code": ods_code},
    )
    return trust


def create_site(
    trust: Trust, name: str, *, actor: User | None, now: datetime, postcode: str | None = None
) -> Site:
    """Add a hospital site to a Trust."""
    name = name.strip()
    if db.session.scalar(sa.select(Site.id).where(Site.trust_id == trust.id, Site.name == name)):
        raise Conflict(
            f"{trust.name} already has a site named {name}.", errors={"name": ["In use"]}
        )
    site = Site(trust_id=trust.id, name=name, postcode=postcode, created_at=now, updated_at=now)
    db.session.add(site)
    db.session.flush()
    record_audit("site.created", site, actor=actor, now=now, after={"name": name})
    return site


def create_department(
    trust: Trust,
    *,
    site_id: int,
    name: str,
    specialty: str,
    cost_centre: str,
    actor: User | None,
    now: datetime,
) -> Department:
    """Add a department (a ward or specialty team with its cost centre) at one of the sites."""
    site = db.session.get(Site, site_id)
    if site is None or site.trust_id != trust.id:
        raise ValidationFailed.on("site_id", f"Choose one of {trust.name}'s sites")
    cost_centre = cost_centre.strip().upper()
    if db.session.scalar(
        sa.select(Department.id).where(
            Department.trust_id == trust.id, Department.cost_centre == cost_centre
        )
    ):
        raise Conflict(
            f"Cost centre {cost_centre} is already used at {trust.name}.",
            errors={"cost_centre": ["In use"]},
        )
    if db.session.scalar(
        sa.select(Department.id).where(
            Department.site_id == site.id, Department.name == name.strip()
        )
    ):
        raise Conflict(
            f"{site.name} already has a department named {name.strip()}.",
            errors={"name": ["In use"]},
        )
    department = Department(
        trust_id=trust.id,
        site_id=site.id,
        name=name.strip(),
        specialty=specialty.strip(),
        cost_centre=cost_centre,
        created_at=now,
        updated_at=now,
    )
    db.session.add(department)
    db.session.flush()
    record_audit(
        "department.created",
        department,
        actor=actor,
        now=now,
        after={"name": department.name, "cost_centre": cost_centre},
    )
    return department
