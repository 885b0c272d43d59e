"""Scheduled jobs of the passport: the daily expiry run and the warnings before it.

The warnings' operation lives here beside its job rather than in `services.py`, which is past
the size where a file should split (see STYLE.md, convention 2).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.db import transaction
from app.extensions import db
from app.jobs import Job, claim_run
from app.models import JobRun
from app.notifications import notify
from passport import services
from passport.eligibility import local_date
from passport.models import Credential, CredentialStatus

# Days before a verified credential's expiry date on which its holder is warned.
WARNING_DAYS = (30, 14, 7, 1)


def _due_warning(days_left: int) -> int | None:
    """The warning due `days_left` days before expiry: the nearest threshold not yet passed.

    A run that is a day late still sends the 14-day warning on day 13; a credential added with
    10 days left gets the 14-day warning only, not a burst of 30 and 14.
    """
    due = [days for days in WARNING_DAYS if days >= days_left]
    return min(due) if due and days_left >= 0 else None


def _format(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def warn_expiring_credentials(now: datetime) -> int:
    """Warn each worker 30, 14, 7 and 1 days before a verified credential expires, once each.

    Days count in UK local dates. A credential already renewed (a later verified one of the
    same type) is not warned about. Returns how many warnings were given.
    """
    today = local_date(now)
    renewal = aliased(Credential)
    renewed = (
        sa.select(renewal.id)
        .where(
            renewal.worker_id == Credential.worker_id,
            renewal.credential_type_id == Credential.credential_type_id,
            renewal.status == CredentialStatus.VERIFIED,
            renewal.id != Credential.id,
            sa.or_(renewal.expires_on.is_(None), renewal.expires_on > Credential.expires_on),
        )
        .exists()
    )
    expiring = db.session.scalars(
        sa.select(Credential)
        .where(
            Credential.status == CredentialStatus.VERIFIED,
            Credential.expires_on >= today,
            Credential.expires_on <= today + timedelta(days=max(WARNING_DAYS)),
            ~renewed,
        )
        .order_by(Credential.expires_on, Credential.id)
    ).all()
    given = 0
    for credential in expiring:
        days_left = (credential.expires_on - today).days
        threshold = _due_warning(days_left)
        if threshold is None:
            continue
        name = credential.credential_type.name
        when = (
            "today" if days_left == 0 else "tomorrow" if days_left == 1 else f"in {days_left} days"
        )
        message = notify(
            credential.worker.user,
            "credential.expiring",
            f"Your {name} expires {when}",
            now=now,
            body=(
                f"It is valid until {_format(credential.expires_on)}. Add the renewed one to "
                "your passport so a compliance officer can verify it in time: after that date "
                "you cannot book work that needs it, and shifts you have already booked from "
                "then on will be flagged to the Trust."
            ),
            link="/passport",
            once_key=f"credential:{credential.id}:expiring:{threshold}",
        )
        given += message is not None
    return given


# Job bodies ------------------------------------------------------------------------------------


def expire_credentials(now: datetime) -> JobRun | None:
    """Daily just after midnight: announce credentials whose expiry date has passed."""
    with transaction():
        run = claim_run("passport.expire_credentials", now)
        if run is None:
            return None
        expired = services.expire_credentials(now)
        run.summary = f"{len(expired)} credential(s) expired"
        return run


def credential_expiry_warnings(now: datetime) -> JobRun | None:
    """Daily in the morning: warn workers of credentials expiring in 30, 14, 7 and 1 days."""
    with transaction():
        run = claim_run("passport.credential_expiry_warnings", now)
        if run is None:
            return None
        run.summary = f"{warn_expiring_credentials(now)} warning(s)"
        return run


JOBS = [
    Job(
        id="passport.expire_credentials",
        func="passport.jobs:expire_credentials",
        trigger="cron",
        # Just after UK midnight: a credential valid until yesterday stops counting today.
        trigger_args={"hour": 0, "minute": 5},
        description="Announce credentials past their expiry date",
    ),
    Job(
        id="passport.credential_expiry_warnings",
        func="passport.jobs:credential_expiry_warnings",
        trigger="cron",
        # Morning, UK time, when people read their email (and outside most quiet hours).
        trigger_args={"hour": 8, "minute": 0},
        description="Warn workers 30, 14, 7 and 1 days before a credential expires",
    ),
]
