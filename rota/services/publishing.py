"""Publishing a rota: staff told, its shifts counted by the bank, its gaps posted there."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from app.errors import Conflict, ValidationFailed
from app.extensions import db
from app.models import Trust, User
from app.notifications import notify
from bank.models import Shift
from bank.services.settings import record_rota_work
from bank.services.shifts import post_shift
from rota.builder import ShiftTypeSpec, shift_times
from rota.models import Rota, RotaStatus
from rota.services.common import _audit, _draft
from rota.services.review import _declared_as, review, spec_from_rota


def publish_rota(rota: Rota, actor: User, *, now: datetime) -> list[Shift]:
    """Publish: refuse while a hard rule is broken; tell every member; post each unfilled
    cover requirement to the Trust's bank, priced from its rate card. Returns the new shifts.
    """
    _draft(rota)
    result = review(rota)
    if result.breaches:
        raise Conflict(
            "The rota breaks safe-working rules: fix them before publishing.",
            errors={"rota": [f.message for f in result.breaches]},
        )
    if not rota.assignments and not result.shortfalls:
        raise ValidationFailed.on("rota", "The rota has no shifts to publish")
    trust = db.session.get(Trust, rota.trust_id)
    spec = spec_from_rota(rota)
    types = {st.id: st for st in rota.shift_types}
    groups = {g.id: g for g in rota.grade_groups}
    posted: list[Shift] = []
    for gap in result.shortfalls:
        st, group = types[gap.shift_type_id], groups[gap.grade_group_id]
        start, end = shift_times(
            spec,
            ShiftTypeSpec(st.id, st.code, st.name, st.starts_at, st.minutes),
            spec.day_index(gap.on),
        )
        if start <= now:
            continue  # a gap already started cannot be offered to the bank
        for _ in range(gap.short):
            try:
                shift = post_shift(
                    trust,
                    actor,
                    department_id=rota.department_id,
                    staff_group=group.staff_group,
                    grade=group.grades[0],
                    acceptable_grades=list(group.grades),
                    start_at=start,
                    end_at=end,
                    now=now,
                    notes=f"Unfilled on the rota {rota.name}: {st.name}, {group.name}",
                )
            except ValidationFailed as error:
                if "pence_per_hour" in error.errors:
                    raise ValidationFailed(
                        error.detail, errors={"rate_card": error.errors["pence_per_hour"]}
                    ) from error
                raise
            posted.append(shift)
    # The rota's shifts join each member's declared rota work, which the bank's booking checks
    # count (bank.services.eligibility): a bank shift can then never break rest against the rota;
    # the description lets this rota leave its own rows out when it is checked.
    for assignment in rota.assignments:
        st = types[assignment.shift_type_id]
        start, end = shift_times(
            spec,
            ShiftTypeSpec(st.id, st.code, st.name, st.starts_at, st.minutes),
            spec.day_index(assignment.on),
        )
        record_rota_work(
            assignment.member.worker_id,
            trust_id=rota.trust_id,
            start_at=start,
            end_at=end,
            description=f"{_declared_as(rota)} ({st.name})",
        )
    counts = Counter(a.member_id for a in rota.assignments)
    for member in rota.members:
        notify(
            member.worker.user,
            "rota_published",
            f"Your rota is published: {rota.department.name} from {rota.starts_on:%d %b %Y}",
            now=now,
            body=(
                f"You have {counts[member.id]} shifts on the rota {rota.name} "
                f"({rota.weeks} weeks from {rota.starts_on:%A %d %B %Y}). They count toward "
                "your rest and hours limits when you book bank shifts."
            ),
            link="/my-rota",
        )
    rota.status = RotaStatus.PUBLISHED
    rota.published_at = now
    rota.published_by_user_id = actor.id
    rota.posted_shift_ids = [s.id for s in posted]
    db.session.flush()
    _audit(
        "rota.published",
        rota,
        actor,
        now,
        assignments=len(rota.assignments),
        bank_shifts=len(posted),
    )
    return posted
