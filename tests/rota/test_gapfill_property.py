"""Property: on small random instances no proposal of the gap filler, or of the first-come
baseline, ever breaks a safe-working rule (checked with bank.rules.check_schedule)."""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bank.rules import DOCTORS_IN_TRAINING, WORKING_TIME_REGULATIONS, check_schedule
from rota.solver.gapfill import GapParams, GapProblem, first_come_gaps, solve_gaps
from tests.rota.gapfill_cases import assert_safe, busy, shift, worker

PARAMS = GapParams(time_limit=3, workers=1, seed=0, top_k=4)
SHAPES = ((7, 8), (8, 12.5), (13, 10.5), (20, 12.5), (21, 10))


@st.composite
def instances(draw: st.DrawFn) -> GapProblem:
    n_shifts = draw(st.integers(1, 8))
    shifts = []
    for sid in range(n_shifts):
        hour, hours = draw(st.sampled_from(SHAPES))
        shifts.append(
            shift(
                sid,
                draw(st.integers(0, 8)),
                hour,
                hours,
                trust=draw(st.integers(1, 3)),
                urgent=draw(st.booleans()),
                cost=draw(st.integers(50_000, 150_000)),
            )
        )
    workers = []
    for wid in range(draw(st.integers(1, 3))):
        rule_set = draw(st.sampled_from((DOCTORS_IN_TRAINING, WORKING_TIME_REGULATIONS)))
        existing = []
        for n in range(draw(st.integers(0, 3))):
            hour, hours = draw(st.sampled_from(SHAPES))
            existing.append(busy(f"e{wid}-{n}", draw(st.integers(-6, 8)), hour, hours))
        assume(not check_schedule(existing, rule_set))
        workers.append(
            worker(
                100 + wid,
                rule_set,
                commitments=tuple(existing),
                max_shifts_per_week=draw(st.sampled_from((None, 1, 2, 4))),
                preferred_trust_ids=frozenset(draw(st.sets(st.integers(1, 3), max_size=2))),
            )
        )
    ids = [w.id for w in workers]
    eligible = {s.id: tuple(draw(st.lists(st.sampled_from(ids), unique=True))) for s in shifts}
    budget = draw(st.sampled_from((None, None, 300_000)))
    return GapProblem(tuple(shifts), tuple(workers), eligible, budget_pence=budget)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(instances())
def test_no_proposal_ever_breaks_a_rule(p: GapProblem):
    result = solve_gaps(p, PARAMS)
    assert_safe(p, result)
    greedy = first_come_gaps(p)
    assert_safe(p, greedy)
    for r in (result, greedy):
        assert len(r.assignments) <= r.upper_bound
        assert {a.shift_id for a in r.assignments} | {o.shift_id for o in r.left_open} == {
            s.id for s in p.shifts
        }
        if p.budget_pence is not None:
            assert r.cost_pence <= p.budget_pence
    # The solver never fills fewer shifts than the baseline when it proves optimality.
    if result.status == "OPTIMAL" and result.dropped == 0:
        assert len(result.assignments) >= len(greedy.assignments)
