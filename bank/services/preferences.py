"""A bank worker's own preferences: where they would rather work, how many bank shifts a week
they want, whether the gap filler may book them straight onto shifts, and their Working Time
Regulations opt-out, which the safe-working rules count (shared/rules.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.errors import ValidationFailed
from app.extensions import db
from app.models import Site, Trust, User, Worker
from app.services import record_audit
from bank.services.memberships import bank_trusts_of, settings_of

#: A cap above a shift a day says nothing; a week has seven days.
MAX_SHIFTS_PER_WEEK = 7


@dataclass(frozen=True)
class Place:
    """A Trust the worker's banks reach, with its sites: what they can choose among."""

    trust: Trust
    sites: list[Site]


def places_for(worker: Worker) -> list[Place]:
    """Trusts of the banks the worker belongs to (approved), with their sites, by name."""
    own, collaborative = bank_trusts_of(worker)
    trust_ids = own | collaborative
    trusts = db.session.scalars(
        sa.select(Trust).where(Trust.id.in_(sorted(trust_ids))).order_by(Trust.name)
    ).all()
    return [Place(t, sorted(t.sites, key=lambda s: s.name)) for t in trusts]


def update_preferences(
    worker: Worker,
    actor: User,
    *,
    preferred_trust_ids: list[int],
    preferred_site_ids: list[int],
    max_shifts_per_week: int | None,
    accept_assignments: bool,
    wtr_opted_out: bool,
    now: datetime,
):
    """Replace the worker's bank preferences; audited, since the opt-out changes what the
    safe-working rules allow and assignment lets the gap filler book on their behalf."""
    places = places_for(worker)
    trusts = {p.trust.id: p.trust for p in places}
    sites = {s.id: s for p in places for s in p.sites}
    errors: dict[str, list[str]] = {}
    if unknown := sorted(set(preferred_trust_ids) - set(trusts)):
        errors["preferred_trust_ids"] = [
            f"None of your banks includes the Trust with id {', '.join(map(str, unknown))}"
        ]
    if unknown := sorted(set(preferred_site_ids) - set(sites)):
        errors["preferred_site_ids"] = [
            f"None of your banks includes the site with id {', '.join(map(str, unknown))}"
        ]
    elif preferred_trust_ids and any(
        sites[s].trust_id not in preferred_trust_ids for s in preferred_site_ids
    ):
        errors["preferred_site_ids"] = ["Choose sites at the Trusts you prefer"]
    if max_shifts_per_week is not None and not 1 <= max_shifts_per_week <= MAX_SHIFTS_PER_WEEK:
        errors["max_shifts_per_week"] = [
            f"Give a number of shifts from 1 to {MAX_SHIFTS_PER_WEEK}, or leave it empty"
        ]
    if errors:
        raise ValidationFailed("Check your preferences", errors=errors)
    settings = settings_of(worker)
    before = summary(settings)
    if settings.id is None:
        db.session.add(settings)
    settings.preferred_trusts = [trusts[t] for t in sorted(set(preferred_trust_ids))]
    settings.preferred_sites = [sites[s] for s in sorted(set(preferred_site_ids))]
    settings.max_shifts_per_week = max_shifts_per_week
    settings.accept_assignments = accept_assignments
    settings.wtr_opted_out = wtr_opted_out
    db.session.flush()
    record_audit(
        "bank.preferences_changed",
        settings,
        actor=actor,
        now=now,
        trust_id=worker.primary_trust_id,
        before=before,
        after=summary(settings),
    )
    return settings


def summary(settings) -> dict:
    """The settings as plain data, for the audit record."""
    return {
        "preferred_trust_ids": sorted(t.id for t in settings.preferred_trusts),
        "preferred_site_ids": sorted(s.id for s in settings.preferred_sites),
        "max_shifts_per_week": settings.max_shifts_per_week,
        "accept_assignments": bool(settings.accept_assignments),
        "wtr_opted_out": bool(settings.wtr_opted_out),
    }
