"""Whether a worker's passport qualifies them for work at a Trust at a given time.

The one definition used by the bank's booking service, the rota solver and the pages. It is
pure (plain dataclasses in, a result out) so that a search over thousands of shifts loads the
worker's credentials once and evaluates each shift in microseconds.

A credential counts for Trust T at time `at` when it is verified, and
- T verified it itself, or the ICS recognises its type (passported), or T accepted it; and
- it is still valid on the shift's date in UK local time: an expiry date is the last valid
  day, so a credential expiring on 29 March does not cover a shift starting at 00:30 on
  30 March, even though that is still 29 March in UTC. Training is valid for the Trust's own
  refresher interval after completion.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class Reason(enum.StrEnum):
    MISSING = "missing"
    AWAITING = "awaiting_verification"
    REJECTED = "rejected"
    EXPIRED = "expired"
    EXPIRES_BEFORE_SHIFT = "expires_before_shift"
    NOT_ACCEPTED = "not_accepted_by_trust"


# When several records of one type all fail, the most useful reason is reported.
_REASON_RANK = [
    Reason.EXPIRES_BEFORE_SHIFT,
    Reason.EXPIRED,
    Reason.NOT_ACCEPTED,
    Reason.AWAITING,
    Reason.REJECTED,
    Reason.MISSING,
]


@dataclass(frozen=True)
class CredentialFacts:
    """What eligibility needs to know of one credential."""

    type_code: str
    verified: bool
    rejected: bool
    issued_on: date | None
    expires_on: date | None
    verified_by_trust_id: int | None
    accepted_by_trust_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Requirements:
    """What a piece of work at one Trust needs."""

    trust_id: int
    type_codes: tuple[str, ...]
    type_names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TrustPolicy:
    """The Trust's view of the passport: recognised types and its refresher intervals."""

    recognised_codes: frozenset[str]
    refresher_months: Mapping[str, int]  # training type code -> months valid


@dataclass(frozen=True)
class Shortfall:
    type_code: str
    type_name: str
    reason: Reason
    detail: str


@dataclass(frozen=True)
class Eligibility:
    shortfalls: tuple[Shortfall, ...]

    @property
    def eligible(self) -> bool:
        return not self.shortfalls


def local_date(at: datetime) -> date:
    """The calendar date in the UK at instant `at`."""
    if at.tzinfo is None:
        raise ValueError("eligibility needs a timezone-aware time")
    return at.astimezone(LONDON).date()


def add_months(day: date, months: int) -> date:
    """`day` plus whole months, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def valid_until(facts: CredentialFacts, policy: TrustPolicy) -> date | None:
    """The last day the credential covers for this Trust (None: no expiry)."""
    months = policy.refresher_months.get(facts.type_code)
    if months is not None and facts.issued_on is not None:
        until = add_months(facts.issued_on, months)
        return min(until, facts.expires_on) if facts.expires_on else until
    return facts.expires_on


def _judge(
    facts: CredentialFacts, trust_id: int, policy: TrustPolicy, day: date, today: date | None
) -> Reason | None:
    if facts.rejected:
        return Reason.REJECTED
    if not facts.verified:
        return Reason.AWAITING
    trusted = (
        facts.verified_by_trust_id == trust_id
        or facts.type_code in policy.recognised_codes
        or trust_id in facts.accepted_by_trust_ids
    )
    if not trusted:
        return Reason.NOT_ACCEPTED
    until = valid_until(facts, policy)
    if until is not None and day > until:
        return (
            Reason.EXPIRED if today is not None and today > until else Reason.EXPIRES_BEFORE_SHIFT
        )
    return None


_DETAILS = {
    Reason.MISSING: "You have not added this yet.",
    Reason.AWAITING: "Added, but not verified yet.",
    Reason.REJECTED: "Rejected: add it again with the right evidence.",
    Reason.EXPIRED: "Expired.",
    Reason.EXPIRES_BEFORE_SHIFT: "Valid today but expired by the date of this work.",
    Reason.NOT_ACCEPTED: "Verified by another Trust, but this Trust checks it itself.",
}


def evaluate(
    credentials: Iterable[CredentialFacts],
    requirements: Requirements,
    policy: TrustPolicy,
    at: datetime,
    *,
    now: datetime | None = None,
) -> Eligibility:
    """Eligible, or every required type that is missing, unverified, expired or not accepted.

    Args:
        credentials: All the worker's credentials (any status).
        requirements: The types the work needs, and the Trust it is at.
        policy: The Trust's recognition and refresher settings.
        at: When the work starts (aware).
        now: Today, to tell "expired" from "expires before the shift" (optional).

    Returns:
        The shortfalls, empty when the worker is eligible.
    """
    by_type: dict[str, list[CredentialFacts]] = {}
    for facts in credentials:
        by_type.setdefault(facts.type_code, []).append(facts)
    day = local_date(at)
    today = local_date(now) if now else None
    shortfalls = []
    for code in requirements.type_codes:
        reasons = [
            _judge(f, requirements.trust_id, policy, day, today) for f in by_type.get(code, [])
        ]
        if reasons and None in reasons:
            continue
        reason = min(reasons or [Reason.MISSING], key=_REASON_RANK.index)
        shortfalls.append(
            Shortfall(code, requirements.type_names.get(code, code), reason, _DETAILS[reason])
        )
    return Eligibility(tuple(shortfalls))
