"""Verifying a roster person by person with bank.rules, and supervision shift by shift."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bank.rules import Commitment, check_schedule
from rota.builder.spec import (
    LONDON,
    MemberSpec,
    RotaSpec,
    ShiftTypeSpec,
)


@dataclass(frozen=True)
class Finding:
    """A hard rule a roster breaks: for a member on a day (rule codes of bank.rules, plus
    ``leave`` and ``supervision``)."""

    rule: str
    message: str
    day: int
    member_id: int | None
    members: tuple[int, ...] = ()  # everyone whose shift takes part (supervision)
    days: tuple[int, ...] = ()  # every rota day whose shift takes part

    def involves(self, member_id: int, day: int) -> bool:
        """Whether the member's shift on that day takes part in the breach."""
        return day in self.days and member_id in (self.members or (self.member_id,))


def shift_times(spec: RotaSpec, st: ShiftTypeSpec, day: int) -> tuple[datetime, datetime]:
    """Real start and end of a shift type worked on a rota day (UK local start time)."""
    start = datetime.combine(spec.date_of(day), st.starts_at, LONDON)
    # Added in UTC: a night across the clock change lasts its real length.
    end = (start.astimezone(ZoneInfo("UTC")) + timedelta(minutes=st.minutes)).astimezone(LONDON)
    return start, end


def member_commitments(spec: RotaSpec, member: MemberSpec, cells: Mapping) -> list[Commitment]:
    types = {st.id: st for st in spec.shift_types}
    found = list(member.other_commitments)
    for day in range(spec.days):
        st_id = cells.get((member.id, day))
        if st_id is None:
            continue
        start, end = shift_times(spec, types[st_id], day)
        found.append(Commitment(f"rota:{member.id}:{day}", start, end, kind="rota"))
    return found


def verify_member(spec: RotaSpec, member: MemberSpec, cells: Mapping) -> list[Finding]:
    """Every hard rule one member's rota breaks (their work elsewhere included)."""
    findings: list[Finding] = []
    for day in sorted(spec.day_index(d) for d in member.leave):
        if (member.id, day) in cells:
            findings.append(
                Finding("leave", f"{member.name} is on leave that day", day, member.id, days=(day,))
            )
    commitments = member_commitments(spec, member, cells)
    for breach in check_schedule(commitments, member.rule_set):
        rota_days = [int(c.ref.rsplit(":", 1)[1]) for c in breach.refs if c.ref.startswith("rota:")]
        if not rota_days:
            continue  # a breach among their other work alone is not this rota's doing
        findings.append(
            Finding(
                breach.rule,
                f"{member.name}: {breach.message}",
                max(rota_days),
                member.id,
                days=tuple(sorted(rota_days)),
            )
        )
    return findings


def verify_supervision(spec: RotaSpec, cells: Mapping) -> list[Finding]:
    """Shifts where a supervised group works with none of its supervisors."""
    group_of = {m.id: m.group for m in spec.members}
    groups = {g.id: g for g in spec.groups}
    types = {st.id: st for st in spec.shift_types}
    working: dict[tuple[int, int], dict[int, list[int]]] = {}
    for (member, day), st_id in cells.items():
        working.setdefault((day, st_id), {}).setdefault(group_of[member], []).append(member)
    findings = []
    for (day, st_id), by_group in sorted(working.items()):
        for group_id, people in sorted(by_group.items()):
            senior = groups[group_id].supervised_by
            if senior is not None and not by_group.get(senior):
                findings.append(
                    Finding(
                        "supervision",
                        f"{types[st_id].name} on {spec.date_of(day):%a %d %b}: "
                        f"{groups[group_id].name} working with no {groups[senior].name}",
                        day,
                        None,
                        tuple(sorted(people)),
                        (day,),
                    )
                )
    return findings


def verify(spec: RotaSpec, cells: Mapping) -> list[Finding]:
    """Every hard rule a roster breaks, person by person, then supervision."""
    findings: list[Finding] = []
    for member in spec.members:
        findings += verify_member(spec, member, cells)
    return findings + verify_supervision(spec, cells)
