"""The adapter between a department's rota and the pure engine (`rota.solver`).

A rota is read into plain frozen dataclasses (`RotaSpec`, no database), reduced to an engine
`Problem`, and every roster the engine proposes is verified person by person with the one
definition of the safe-working rules (`bank.rules.check_schedule`). The reduction:

- Cover by grade: one engine shift type per (shift type, grade group), so "a night needs one
  registrar and two FY1s" is two engine cover lines; a member may work only the engine types of
  their own group (``max_shifts`` 0 for every other group's types). A group supervised by
  another asks for at least one of the supervisors on every shift it has cover on.
- Rest: a pair of shift types is ``forbidden_next`` when the first, worked on one day, ends less
  than the rule set's minimum rest (11 h) before the second starts the next day, by clock times.
- Runs, weekends and hours: ``max_consecutive`` from the tightest run limit of the rule set
  that the rota's shift types meet (4 with long shifts or nights); "1 in 3" weekends as each
  member's own weekends, staggered, the others kept off; minutes from the contracted hours less
  leave (a weekday of leave counts a fifth of the week).

What the engine cannot say (72 h in any 7 days, runs of nights and the 46 h after them, a night
into a Saturday counting as a weekend, the real-time rest across a clock change, the WTR
weekly rest, work at other Trusts) is found by `verify`; `solve_verified` then keeps the
offending member off that day and solves again, so a proposal either keeps every rule or lists
exactly what it breaks.
"""

from rota.builder.reduction import (
    Reduction,
    build_problem,
    cells_from_roster,
    hours_target,
    is_long,
    is_long_evening,
    is_night,
    longest_run,
    required_cover,
    rest_minutes,
    roster_from_cells,
    too_long,
)
from rota.builder.solving import (
    Proposal,
    solve_verified,
)
from rota.builder.spec import (
    DAY_MINUTES,
    DEFAULT_OVER_WEIGHT,
    DEFAULT_UNDER_WEIGHT,
    GUARD_WEIGHT,
    LONDON,
    WTR_MAX_CONSECUTIVE,
    Cells,
    CoverSpec,
    GroupSpec,
    MemberSpec,
    RequestSpec,
    RotaSpec,
    ShiftTypeSpec,
    engine_employee,
    engine_type,
)
from rota.builder.verification import (
    Finding,
    member_commitments,
    shift_times,
    verify,
    verify_member,
    verify_supervision,
)

__all__ = [
    "Cells",
    "CoverSpec",
    "DAY_MINUTES",
    "DEFAULT_OVER_WEIGHT",
    "DEFAULT_UNDER_WEIGHT",
    "Finding",
    "GUARD_WEIGHT",
    "GroupSpec",
    "LONDON",
    "MemberSpec",
    "Proposal",
    "Reduction",
    "RequestSpec",
    "RotaSpec",
    "ShiftTypeSpec",
    "WTR_MAX_CONSECUTIVE",
    "build_problem",
    "cells_from_roster",
    "engine_employee",
    "engine_type",
    "hours_target",
    "is_long",
    "is_long_evening",
    "is_night",
    "longest_run",
    "member_commitments",
    "required_cover",
    "rest_minutes",
    "roster_from_cells",
    "shift_times",
    "solve_verified",
    "too_long",
    "verify",
    "verify_member",
    "verify_supervision",
]
