"""Property: on small random instances, no roster the solver returns breaks a hard rule."""

from __future__ import annotations

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rota.solver import SolveStatus, solve
from rota.ssb.checker import check_roster
from rota.ssb.instance import SsbCover, SsbInstance, SsbRequest, SsbShift, SsbStaff, to_problem

SHIFT_IDS = ("E", "L", "N")


@st.composite
def instances(draw: st.DrawFn) -> SsbInstance:
    """Up to 7-21 days, 1-3 shift types, 1-4 staff with random contracts, cover and requests."""
    horizon = 7 * draw(st.integers(1, 3))
    n_shifts = draw(st.integers(1, 3))
    ids = SHIFT_IDS[:n_shifts]
    shifts = tuple(
        SsbShift(
            sid,
            draw(st.sampled_from((480, 600))),
            tuple(draw(st.lists(st.sampled_from(ids), unique=True, max_size=1))),
        )
        for sid in ids
    )
    staff = []
    days_off = {}
    for number in range(draw(st.integers(1, 4))):
        name = f"S{number}"
        limits = tuple((sid, draw(st.integers(0, horizon))) for sid in ids)
        # Contracts in whole shifts, mostly satisfiable: a few minimum shifts, room above them.
        min_minutes = 480 * draw(st.integers(0, 3))
        max_minutes = min_minutes + 480 * draw(st.integers(0, horizon))
        staff.append(
            SsbStaff(
                name,
                limits,
                max_minutes,
                min_minutes,
                draw(st.integers(1, 6)),
                draw(st.integers(1, 2)),
                draw(st.integers(1, 3)),
                draw(st.integers(0, horizon // 7)),
            )
        )
        days_off[name] = tuple(draw(st.lists(st.integers(0, horizon - 1), unique=True, max_size=3)))
    cell = st.tuples(st.sampled_from([s.id for s in staff]), st.integers(0, horizon - 1))
    on = [
        SsbRequest(e, d, draw(st.sampled_from(ids)), draw(st.integers(1, 3)))
        for e, d in draw(st.lists(cell, unique=True, max_size=4))
    ]
    off = [
        SsbRequest(e, d, draw(st.sampled_from(ids)), draw(st.integers(1, 3)))
        for e, d in draw(st.lists(cell, unique=True, max_size=4))
    ]
    cover = tuple(
        SsbCover(d, sid, draw(st.integers(0, 2)), 100, 1) for d in range(horizon) for sid in ids
    )
    return SsbInstance(
        "random", horizon, shifts, tuple(staff), days_off, tuple(on), tuple(off), cover
    )


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(instances())
def test_solver_rosters_never_break_a_hard_rule(instance: SsbInstance) -> None:
    result = solve(to_problem(instance), time_limit=20, workers=2, seed=0)
    event(str(result.status))
    if result.roster is None:
        # Random contracts can be impossible; then the solver must say so, not make one up.
        assert result.status in (SolveStatus.INFEASIBLE, SolveStatus.UNKNOWN)
        return
    report = check_roster(instance, [[cell or "" for cell in row] for row in result.roster])
    assert report.violations == ()
    assert report.objective == result.objective
    assert result.bound <= result.objective
