"""The gap filler's model on small hand-made cases: each hard rule, each objective tier, the
reasons for open shifts, the matching bound and the first-come baseline. No app, no database."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from bank.rules import DOCTORS_IN_TRAINING, WORKING_TIME_REGULATIONS
from rota.solver.gapfill import OpenReason, first_come_gaps, solve_gaps, upper_bound
from rota.solver.gapfill.matching import max_b_matching
from tests.rota.gapfill_cases import (
    FAST,
    ONLY_REST,
    assert_safe,
    busy,
    problem,
    proposed,
    reasons,
    shift,
    worker,
)

# -- hard rules -------------------------------------------------------------------------------


def test_the_only_eligible_worker_is_proposed_and_booked_if_they_accept_assignments():
    p = problem([shift(1, 0)], [worker(7, accepts_assignments=True)])
    result = solve_gaps(p, FAST)
    assert proposed(result) == {1: 7}
    assert result.status == "OPTIMAL"
    assert result.assignments[0].book is True
    assert result.left_open == ()
    assert result.upper_bound == 1


def test_overlapping_shifts_never_go_to_one_worker():
    p = problem([shift(1, 0, 8, 8), shift(2, 0, 12, 8)], [worker(7)])
    result = solve_gaps(p, FAST)
    assert len(result.assignments) == 1
    assert_safe(p, result)
    [left] = result.left_open
    assert left.reason == OpenReason.WORKERS_USED


def test_shifts_less_than_11_hours_apart_never_go_to_one_worker():
    # Monday 08:00-20:00, then Tuesday 06:30: 10 h 30 min of rest.
    p = problem([shift(1, 0, 8, 12), shift(2, 1, 6.5, 8)], [worker(7, ONLY_REST)])
    result = solve_gaps(p, FAST)
    assert len(result.assignments) == 1
    assert_safe(p, result)


def test_shifts_11_hours_apart_can_go_to_one_worker():
    p = problem([shift(1, 0, 8, 12), shift(2, 1, 7, 8)], [worker(7, ONLY_REST)])
    assert proposed(solve_gaps(p, FAST)) == {1: 7, 2: 7}


def test_work_at_another_trust_counts_and_the_reason_names_the_rule():
    # A late rota shift at Trust 2 ending Monday 23:00 leaves 8 h before Tuesday 07:00.
    late = busy("rota-late", 0, 14, 9, trust=2)
    p = problem([shift(1, 1, 7, 8, trust=1)], [worker(7, commitments=(late,))])
    result = solve_gaps(p, FAST)
    assert result.assignments == ()
    [left] = result.left_open
    assert left.reason == OpenReason.RULES
    assert "min rest" in left.detail
    assert (left.eligible, left.rule_ok) == (1, 0)


def test_no_more_than_72_hours_in_7_days_across_three_or_more_shifts():
    only_72 = dataclasses.replace(ONLY_REST, rolling=DOCTORS_IN_TRAINING.rolling)
    # Six 12 h 30 min shifts on consecutive days: 75 h, so at most five.
    shifts = [shift(i, i, 8, 12.5) for i in range(6)]
    p = problem(shifts, [worker(7, only_72)])
    result = solve_gaps(p, FAST)
    assert len(result.assignments) == 5
    assert result.stats["n_hour_windows"] >= 1
    assert_safe(p, result)


def test_a_workers_own_weekly_limit_is_kept_and_named_as_the_reason():
    shifts = [shift(i, 2 * i) for i in range(3)]  # Monday, Wednesday, Friday
    p = problem(shifts, [worker(7, max_shifts_per_week=2)])
    result = solve_gaps(p, FAST)
    assert len(result.assignments) == 2
    assert_safe(p, result)
    assert list(reasons(result).values()) == ["weekly_limit"]


def test_bank_shifts_already_booked_count_towards_the_weekly_limit():
    booked = busy("shift:99", 3, trust=1)
    booked = dataclasses.replace(booked, kind="bank")
    p = problem(
        [shift(1, 0), shift(2, 5)], [worker(7, commitments=(booked,), max_shifts_per_week=2)]
    )
    assert len(solve_gaps(p, FAST).assignments) == 1


def test_five_nights_in_a_row_are_cut_lazily_and_four_are_proposed():
    # Nights Monday to Friday, 20:00-08:30: pairwise fine, but the doctors' limit is 4 in a row
    # (the run rule is not in the CP-SAT model: the rules find it and a no-good cut removes it).
    nights = [shift(i, i, 20, 12.5) for i in range(5)]
    p = problem(nights, [worker(7)])
    result = solve_gaps(p, FAST)
    assert len(result.assignments) == 4
    assert result.cuts >= 1 and result.rounds >= 2
    assert result.status == "OPTIMAL"  # proved on the model with its cuts
    assert_safe(p, result)


def test_rest_after_nights_is_enforced_by_a_lazy_cut():
    # A night ending Tuesday 08:30, then a day shift on Wednesday: 46 h rest needed after nights.
    p = problem([shift(1, 0, 20, 12.5), shift(2, 2, 8, 8)], [worker(7)])
    result = solve_gaps(p, FAST)
    assert len(result.assignments) == 1
    assert result.cuts == 1
    assert_safe(p, result)


def test_wtr_workers_get_the_working_time_regulations():
    # WTR reg. 10: 11 h daily rest too; Monday 08:00-20:00 then Tuesday 06:00.
    p = problem([shift(1, 0, 8, 12), shift(2, 1, 6, 8)], [worker(7, WORKING_TIME_REGULATIONS)])
    result = solve_gaps(p, FAST)
    assert len(result.assignments) == 1
    assert_safe(p, result)


def test_nights_with_a_gap_are_fine_once_the_gap_is_filled():
    # Nights on Monday and Wednesday alone break the 46 h rest after nights; with Tuesday's
    # night between them they make one run of three, which is safe: all three are proposed.
    nights = [shift(i, i, 20, 12.5) for i in range(3)]
    p = problem(nights, [worker(7)])
    result = solve_gaps(p, FAST)
    assert len(result.assignments) == 3
    assert_safe(p, result)


# -- reasons ----------------------------------------------------------------------------------


def test_a_shift_nobody_is_eligible_for_names_the_most_common_missing_check():
    p = problem(
        [shift(1, 0)],
        [worker(7)],
        eligible={1: ()},
        excluded={1: {"missing Enhanced DBS": 31, "not in the collaborative bank": 4}},
    )
    [left] = solve_gaps(p, FAST).left_open
    assert left.reason == OpenReason.NO_ELIGIBLE_WORKER
    assert "Enhanced DBS (31 workers)" in left.detail


def test_a_budget_caps_the_run_and_is_given_as_the_reason():
    p = problem([shift(1, 0), shift(2, 2)], [worker(7)], budget_pence=100_000)
    result = solve_gaps(p, FAST)
    assert len(result.assignments) == 1
    assert list(reasons(result).values()) == ["cost_cap"]


def test_workers_who_are_not_willing_are_never_proposed():
    p = problem([shift(1, 0)], [worker(7, willing=False)])
    result = solve_gaps(p, FAST)
    assert result.assignments == ()
    assert reasons(result) == {1: "no_eligible_worker"}


# -- objective tiers --------------------------------------------------------------------------


def test_filling_more_shifts_beats_everything_else():
    # Worker 8 prefers Trust 2 and is the only one for shift 2; worker 7 can do either.
    shifts = [shift(1, 0, trust=2), shift(2, 0, 12, trust=1)]
    workers = [worker(7), worker(8, preferred_trust_ids=frozenset({2}))]
    p = problem(shifts, workers, eligible={1: (7, 8), 2: (8,)})
    assert proposed(solve_gaps(p, FAST)) == {1: 7, 2: 8}


def test_an_urgent_shift_is_filled_before_a_routine_one():
    p = problem([shift(1, 0, 8), shift(2, 0, 10, urgent=True)], [worker(7)])
    assert proposed(solve_gaps(p, FAST)) == {2: 7}


def test_the_sooner_shift_is_filled_first():
    p = problem(
        [shift(1, 3, 8), shift(2, 3, 10), shift(3, 0, 8)], [worker(7, max_shifts_per_week=1)]
    )
    assert proposed(solve_gaps(p, FAST)) == {3: 7}


def test_preferred_trusts_and_sites_are_respected():
    shifts = [shift(1, 0, trust=1, site=10), shift(2, 0, trust=2, site=20)]
    workers = [
        worker(7, preferred_trust_ids=frozenset({2})),
        worker(8, preferred_site_ids=frozenset({10})),
    ]
    result = solve_gaps(problem(shifts, workers), FAST)
    assert proposed(result) == {1: 8, 2: 7}
    assert result.penalties["preference"] == 0


def test_shifts_are_spread_among_willing_workers():
    shifts = [shift(1, 0), shift(2, 2), shift(3, 4)]
    result = solve_gaps(problem(shifts, [worker(7), worker(8), worker(9)]), FAST)
    assert sorted(proposed(result).values()) == [7, 8, 9]
    assert result.penalties["fairness"] == 0


def test_the_cheaper_worker_is_proposed_when_all_else_is_equal():
    p = problem(
        [shift(1, 0)],
        [worker(7), worker(8)],
        pair_cost_pence={(1, 7): 90_000, (1, 8): 70_000},
    )
    result = solve_gaps(p, FAST)
    assert proposed(result) == {1: 8}
    assert result.cost_pence == 70_000


# -- the bound and the baseline ---------------------------------------------------------------


def test_the_upper_bound_ignores_rules_but_keeps_weekly_capacity():
    overlapping = [shift(1, 0, 8), shift(2, 0, 9), shift(3, 0, 10)]
    assert upper_bound(problem(overlapping, [worker(7)])) == 3
    assert upper_bound(problem(overlapping, [worker(7, max_shifts_per_week=2)])) == 2
    result = solve_gaps(problem(overlapping, [worker(7)]), FAST)
    assert result.upper_bound == 3 and len(result.assignments) == 1


def test_the_matching_finds_augmenting_paths_a_greedy_start_misses():
    # Left 0 may use right 0 or 1; left 1 only right 0; capacities 1: both fit only via a swap.
    size, match = max_b_matching([[0, 1], [0]], [1, 1])
    assert size == 2 and match == [1, 0]
    # A longer chain through a right node of capacity 2.
    size, _ = max_b_matching([[0], [0], [0, 1], [1, 2], [2]], [2, 1, 1])
    assert size == 4


def test_first_come_takes_the_first_eligible_worker_for_the_soonest_shift():
    # Worker 7 is first in both lists; the first-come baseline gives them shift 1, leaving
    # shift 2 (which only 7 can do, and which clashes with 1) open. The solver fills both.
    shifts = [shift(1, 0, 8), shift(2, 0, 12)]
    p = problem(shifts, [worker(7), worker(8)], eligible={1: (7, 8), 2: (7,)})
    greedy = first_come_gaps(p)
    assert proposed(greedy) == {1: 7}
    assert greedy.status == "GREEDY"
    assert_safe(p, greedy)
    assert proposed(solve_gaps(p, FAST)) == {1: 8, 2: 7}


def test_first_come_never_breaks_a_rule():
    nights = [shift(i, i, 20, 12.5) for i in range(6)]
    p = problem(nights, [worker(7)])
    result = first_come_gaps(p)
    assert len(result.assignments) == 4
    assert_safe(p, result)


def test_results_are_reproducible_with_a_fixed_seed():
    shifts = [shift(i, i % 7, 8 + (i % 3) * 4, 8) for i in range(12)]
    p = problem(shifts, [worker(w) for w in range(5)])
    assert proposed(solve_gaps(p, FAST)) == proposed(solve_gaps(p, FAST))


def test_existing_commitments_outside_the_week_still_count():
    # A long week before: the 72 h window reaches into Monday.
    before = tuple(busy(f"r{d}", d - 5, 8, 12.5) for d in range(5))  # Wed..Sun before: 62.5 h
    only_72 = dataclasses.replace(ONLY_REST, rolling=DOCTORS_IN_TRAINING.rolling)
    p = problem([shift(1, 0, 8, 12.5)], [worker(7, only_72, commitments=before)])
    result = solve_gaps(p, FAST)
    assert result.assignments == ()
    assert reasons(result) == {1: "rules"}
    assert before[0].start < before[-1].start - timedelta(days=3)


def test_rest_clashes_are_posted_as_maximal_cliques():
    from rota.solver.gapfill.model import rest_cliques

    h = 3600
    spans = [(0, 8 * h, 1), (4 * h, 12 * h, 2), (20 * h, 28 * h, 3), (60 * h, 68 * h, 4)]
    # 1 and 2 overlap; 3 starts 8 h after 2 ends (under 11 h) but 12 h after 1 ends.
    assert rest_cliques(spans, 11 * h) == [[1, 2], [2, 3]]
    assert rest_cliques(spans, 0) == [[1, 2]]
