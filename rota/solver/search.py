"""Search strategy: which CP-SAT models to solve, in what order, with what share of the time.

1. Small instances (up to ``SMALL_MODEL_MAX_VARS`` shift variables and
   ``SMALL_MODEL_MAX_DAYS`` days), and larger ones whose rows the pricing programme prices
   exactly: column generation (:mod:`rota.solver.columns`) for a tight lower bound and a pool
   of rows, then dives from its LP to rosters near its value (the larger ones then go on to
   3. from the best dive's roster). Small instances whose every row the programme prices
   exactly also search a branch-and-price tree (:mod:`rota.solver.branching`), briefly before
   the dives and again after them, which proves the best roster optimal where the tree can be
   searched to its end. On small instances, a roster recombined from the pool (or
   the greedy), then the full model with a full-LP worker (``max_lp``) for half the time left,
   carrying the bound as a constraint. With two workers CP-SAT's default portfolio keeps the
   run and weekend rules out of the LP of its only full-problem worker; ``max_lp`` finds good
   rosters.
2. Otherwise: the greedy rows of :mod:`rota.solver.greedy`, CP-SAT for the rows it cannot build
   (hard rules are per employee, so each row is feasible on its own; cover links the rows
   through residual demand), then row sweeps (:mod:`rota.solver.sweep`: each row, or a
   four-week stretch of it, in turn replaced by the cheapest given the others, by the pricing
   programme), or the pure-Python local search of :mod:`rota.solver.local` where no employee's
   state space allows sweeps. On mid-sized instances whose every row the sweeps take whole
   (Instance15), column generation priced by the programme alone starts from the greedy rows
   instead, with no sweeps first; dives from its LP, the last few rows of each left to
   CP-SAT and each polished by sweeps, lead the search to better rosters.
3. Rostering-aware LNS (:mod:`rota.solver.lns`, two one-worker sub-solves at once) for the
   rest of the time, in phases: on small instances each followed by a second of row sweeps and
   a recombination of the pool with the incumbent's and the sweeps' rows; on the others by row
   sweeps (or a local-search pass), the next LNS phase and sweeps given time in proportion to
   what each gained a second; where a whole-staff window of two weeks is small (Instance19),
   each sweep phase is followed by a pass of such windows (:func:`rota.solver.lns.window_pass`).
   Where no row is taken whole (instances 21 and 23), sweeps alone, each phase after the first
   sweeps preceded by a pass of request swaps
   (:meth:`rota.solver.local.LocalSearch.grant_requests`).
4. Small instances only, without a proof yet: the full model again, hinted with the best
   roster. The search stops as soon as a roster meets the bound.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from ortools.sat.python import cp_model

from rota.solver.branching import BranchAndPrice
from rota.solver.columns import DIVE_ROUNDS, ColumnGeneration
from rota.solver.greedy import greedy_roster
from rota.solver.lns import WINDOW_DAYS, NeighbourhoodPicker, improve, window_pass
from rota.solver.local import LocalSearch
from rota.solver.model import RosterModel
from rota.solver.params import FULL_LP_SUBSOLVERS, make_solver
from rota.solver.pricing import prices_exactly
from rota.solver.problem import Problem, Roster
from rota.solver.result import SolveResult, SolveStatus, roster_cost, roster_penalties
from rota.solver.sweep import RowSweep

#: Up to this many shift variables the full model leads the search (instances 1 to 11): it finds
#: good rosters and proves bounds there. On Instance11 (5304) a full-model minute reached 3626
#: with a bound of 3441 where greedy + LNS reached 4003 with none. Above it, the full model is
#: poor in a minute (Instance15: 23020 after 18 s, when greedy + LNS reach ~5300).
SMALL_MODEL_MAX_VARS = 6_000

#: ... and up to this many days. Instance17 (56 days, 5,304 variables like Instance11) did better
#: from the greedy, local search and LNS than from the full model, in three paired runs at 60 s
#: (both variants at once, load 5-8): 6718 / 6729 / 7754 against 7766 / 7537 / 8873.
SMALL_MODEL_MAX_DAYS = 28

#: Most of the time limit column generation may take on small instances, for its bound and rows.
COLUMNS_SHARE = 0.35

#: Share of the time limit by which the dives from the converged LP stop, and the seconds of
#: row sweeps that polish each dive's roster.
DIVE_SHARE = 0.5
DIVE_SWEEP = 0.3

#: Dives in a row that may find nothing better before the dives stop. What follows the dives
#: rarely betters their best (on instances 5, 7 and 9 at 60 s, in 4 runs of 24), so they go on
#: long: stopping after 10, Instance5 ended at 1145, 1143, 1143 (seeds 0-2), after 30 at 1143
#: on all three. But Instance1's LP is too loose for any dive to meet the bound (558 against
#: 607): without a stop it dived for 30 s before the full model proved 607 in a second; with
#: this one it is proven in 2-3 s.
DIVE_PATIENCE = 30

#: Shares of the time limit by which branch and price stops on small instances whose rows the
#: programme prices exactly: a first search before the dives (it proves instances 1, 3 and 5
#: optimal in under a second, where the dives and the full model took 2-3 s on Instance1 and
#: never proved Instance5), and a second one after them, from the dives' best roster
#: (Instance7 from 1059 or 1060: 1056 found and proven optimal in 7-8 s).
BRANCH_FIRST_SHARE = 0.05
BRANCH_SHARE = 0.8

#: Seconds for each recombination of pool rows into a roster (SCIP).
MASTER_SECONDS = 5.0

#: Seconds of LNS between two recombinations of the pool with the incumbent (small instances),
#: and the seconds each of those recombinations may take.
RECOMBINE_EVERY = 6.0
RECOMBINE_SECONDS = 2.0

#: Seconds of wandering row sweeps before each recombination (small instances).
SMALL_SWEEP = 1.0

#: Shares of the time left for the first full-model solve and for the closing one (small only).
FIRST_SHARE = 0.5
FINAL_SHARE = 0.4

#: The larger instances with up to this many shift variables, whose every row the programme
#: takes whole but not every row exactly (Instance15, 6,726), turn from the greedy rows straight
#: to column generation priced by the programme alone, until LP_COLUMNS_SHARE of the time limit,
#: and, if its LP converged by then, to dives from the LP until LP_DIVE_SHARE (each dive fixing
#: every row of value LP_DIVE_FIX or more at once, or else the largest tenth, with up to
#: LP_DIVE_ROUNDS rounds between fixings, until LP_DIVE_FINISH employees are left or
#: LP_FINISH_SECONDS before its end, when CP-SAT re-solves the rows left together for up to
#: LP_FINISH_SECONDS; each dive polished by up to LP_DIVE_SWEEP seconds of row sweeps, within
#: LP_DIVE_SHARE, so none after a dive whose finish ran to its end), before the LNS and sweeps
#: as before. Instance15 at 60 s, one run at a time:
#:
#: * Where the programme counted one of the two binding night maxima, the LP settled at
#:   3919-4137, and dives fixing rows of 0.5 or more with 5 rounds between took the run from a
#:   median of 4554 (seeds 0-4, without the path) to 4231-4354, and with the first sweeps cut
#:   from 30% of the time left to 10%, and dives until 70%, to 4173 (seeds 0-9: 4130-4264).
#: * Counting both, the LP settles at the true 3823.7 in 11-17 s and proves 3824; the same
#:   settings then ended at 4171, 4073, 4151, 4181, 4178 (seeds 0-4), and with no first sweeps
#:   at a median of 4163 (seeds 0-9: 3955-4356). Its dives with 5 rounds between fixings reach
#:   only 5100-6400 (about 4260 swept). With 20 rounds between fixings of 0.8 or more the LP is
#:   re-settled before every fixing and a dive reaches 4150-4250 (4056-4152 swept), but takes
#:   35-48 s: with no first sweeps and dives until 92%, seeds 0-9 ended at 3958, 4137, 3973,
#:   3939, 4161, 3945, 4034, 4276, 4060, 4063 (median 4047, +5.7% above the best known 3829).
#: * The LP's value stays within 0.6% of the relaxation's until ten employees are left, then
#:   climbs 12% over the last nine fixings: a dive's raw roster lands 35% above the LP (5175,
#:   4285 swept). CP-SAT over the last six employees' rows instead, for 5 s, kept for it
#:   before the dive's end, and no dive started with less time left than the last took:
#:   seeds 0-9 ended at 4142, 3936, 3841, 3836, 3839, 3843, 3837, 3853, 3938, 3954 (median
#:   3848, +0.5% above the best known; 36 short on nights, the floor, at 3836-3853, 37 or 39
#:   short above: where a dive still has many rows free when its last 5 s come, CP-SAT cannot
#:   mend them all). Rounds between fixings change the median within the seeds' noise: with
#:   10, seeds 0-9 gave 3939; with 15, 4037; with 5, 3943-4245 on seeds 0, 1, 6, 8. The last
#:   eight employees to CP-SAT for 8 s: 3837-4140 on those four seeds.
#:
#: Instance19 (9,728) is left out: from its sweeps' roster the LP stayed at the roster's cost
#: for 25 rounds and had not converged after 18 s (3676; the run ended at 4003 against 3563
#: without), nor after 40 s from 5 s of sweeps (3768). Instance13 (39,936; 120 employees) takes
#: 70-79 s to converge, at 1348 (55 rounds of 1.3-1.5 s, from the greedy rows or from 5 s of
#: sweeps).
LP_DIVE_MAX_VARS = 8_000
LP_COLUMNS_SHARE = 0.6
LP_DIVE_SHARE = 0.92
LP_DIVE_FIX = 0.8
LP_DIVE_ROUNDS = 20
LP_DIVE_SWEEP = 2.0
LP_DIVE_FINISH = 6
LP_FINISH_SECONDS = 5.0

#: Most of the remaining time the local search after the greedy may take (it stops sooner when
#: no move helps).
LOCAL_SHARE = 0.3

#: Most of the remaining time the first row sweeps may take (they stop sooner once no row has a
#: cheaper replacement for a while): SWEEP_SHARE where sweeps alone follow (instances 21 and
#: 23: cut into pieces, their sweeps lose the wander state), SWEEP_SHARE_BEFORE_LNS where LNS
#: phases do. On Instance13 the first sweeps gain about 24 a second after 8 s, where the
#: first LNS phase then gains 50 or more: at 0.15 of the minute (about 9 s, not 18 s), seeds
#: 0-7 ended at 1865, 1920, 2057, 1924, 2189, 2211, 2108 and 1852 (median 1991) against 2016,
#: 2034, 2111, 2337, 2217, 2064, 2284 and 2155 (median 2133); 0.1 gave 2205 and 2177 on seeds
#: 0-1. Instance19 did not move (3754, 3658, 3412 against 3665, 3642, 3440).
SWEEP_SHARE = 0.3
SWEEP_SHARE_BEFORE_LNS = 0.15

#: Seconds of wandering row sweeps after each LNS phase on the non-small instances (at first;
#: then in proportion to their gain, up to four times as long), and the most passes they go on
#: without an improvement. Sweeps after each 10 s LNS phase took Instance17 to 5779 and 5776
#: (5 s or 10 s of sweeps; seed 1, 60 s) against 6224 without, and Instance13 to 2892-3177
#: against 3206-3677 before sweeps existed.
SWEEP_PHASE = 5.0
WANDER = 50

#: Shortest LNS phase, when row sweeps gain far more a second.
MIN_PHASE = 2.0

#: Seconds of LNS between two local-search passes on the non-small instances.
#: Instance23 at 60 s (load 10): each 2 s local pass between phases took 1,500-2,000 off the cost
#: while the 9 s LNS phases took 0-1,400 (11 rounds each); the pass stops by itself once no
#: move helps, so it costs little where the LNS leads.
LNS_PHASE = 10.0


#: Most shift variables, on average, in a whole-staff window of ``WINDOW_DAYS`` days for the
#: non-small instances to run passes of such windows (:func:`rota.solver.lns.window_pass`)
#: after each phase of row sweeps, each window for up to WINDOW_SECONDS. Instance19 has 1,621
#: (40 staff, 5 types), Instance15 2,242, Instance13 19,968. Instance19 at 60 s, seeds 0-2:
#: 3306, 3435, 3406 against 3468, 3499, 3704 without, the same day (its first pass, from the
#: first LNS phase's roster, takes about 16 s, and the next LNS phase gains more after it: 3419
#: -> 3313 on seed 0). A pass before the first LNS phase, from the first sweeps' roster, did
#: worse (3528, 3643, 3603): its windows take longer to prove.
WINDOW_MAX_VARS = 2_000
WINDOW_SECONDS = 3.0


def shift_variable_count(problem: Problem) -> int:
    """Number of employee x day x shift-type variables of the full model."""
    count = 0
    for emp in problem.employees:
        allowed = sum(1 for st in problem.shifts if emp.limit_for(st.id, problem.days) > 0)
        count += allowed * (problem.days - len(emp.days_off))
    return count


class _Incumbent:
    """Best roster so far and the best proven bound."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.roster: Roster | None = None
        self.cost: int | None = None
        self.bound = 0

    def offer(self, roster: Roster) -> None:
        cost = roster_cost(self.problem, roster)
        if self.cost is None or cost < self.cost:
            self.roster, self.cost = roster, cost

    @property
    def proved(self) -> bool:
        return self.cost is not None and self.cost <= self.bound


def _solve_full(
    problem: Problem,
    best: _Incumbent,
    seconds: float,
    workers: int,
    seed: int,
    hint: Roster | None,
    log: Callable[[str], None] | None,
) -> bool:
    """Solve the full model; returns False when it proved there is no roster at all."""
    built = RosterModel(problem, hint if hint is not None else best.roster)
    if best.bound > 0:
        # The bound already proven (column generation's) as a constraint: CP-SAT's own starts
        # far below it, and with it CP-SAT prunes more and stops once a roster meets it.
        # Instance11, seeds 0-2 at 60 s: 3443 proven optimal in 45 s and 28 s, and 3444,
        # against 3454, 3544 and 3443 without; Instance7: 1059, 1063, 1060 against 1060, 1072,
        # 1059 (load 1.8-3.2).
        built.model.add(built.objective >= best.bound)
    solver = make_solver(seconds, workers, seed, FULL_LP_SUBSOLVERS)
    status = solver.solve(built.model)
    if status == cp_model.INFEASIBLE:
        # Only the rules can make the model infeasible: the bound constraint never cuts off
        # the optimum (it is a proven bound), so "infeasible" with it would be a wrong bound,
        # never a reason to give up a roster in hand.
        return best.roster is not None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        best.offer(built.solution(solver))
    best.bound = max(best.bound, int(-(-solver.best_objective_bound // 1)))
    if log:
        log(f"full model {solver.status_name(status)}: cost {best.cost}, bound {best.bound}")
    return True


def _recombine(
    columns: ColumnGeneration,
    best: _Incumbent,
    seconds: float,
    log: Callable[[str], None] | None,
) -> None:
    """Add the incumbent's rows to the pool and let the master recombine them with the rest."""
    columns.add_roster(best.roster)
    recombined = columns.master(seconds, best.roster)
    if recombined is not None:
        before = best.cost
        best.offer(recombined)
        if log and best.cost < before:
            log(f"columns: recombined pool rows, {before} -> {best.cost}")


def _dive(
    columns: ColumnGeneration,
    best: _Incumbent,
    until: float,
    workers: int,
    seed: int,
    rng: random.Random,
    sweep: Callable[[Roster, float], Roster],
    log: Callable[[str], None] | None,
    share: float | None = None,
    rounds: int = DIVE_ROUNDS,
    polish: float = DIVE_SWEEP,
    finish: int = 0,
    finish_seconds: float = 0.0,
) -> None:
    """Dives from the converged LP until ``until``, until a roster meets the bound, or until
    ``DIVE_PATIENCE`` dives in a row find nothing better.

    The first dive follows the LP's largest values; the others fix any row near the largest
    at random, so they differ, and each starts from the pool the earlier ones grew. With
    ``share`` every step fixes at once every row of at least that value (see
    :meth:`ColumnGeneration.dive`, as for ``rounds``), with no random choice: those dives differ
    only by the pool. A dive may end a person short on a cell the rows fixed last could not
    cover; ``polish`` seconds of row sweeps mend what one row can. With ``finish`` (see
    :meth:`ColumnGeneration.dive`) the last few rows are CP-SAT's, and no dive starts that
    has less time left than the last one took: cut short, it would end far from the LP.
    """
    dives = since_better = 0
    took = 0.0
    while time.monotonic() < until and not best.proved and since_better < DIVE_PATIENCE:
        started = time.monotonic()
        if finish and until - started < took:
            break
        dived = columns.dive(
            until,
            workers,
            seed,
            rng=rng if dives else None,
            share=share,
            rounds=rounds,
            finish=finish,
            finish_seconds=finish_seconds,
        )
        if dived is None:
            break
        dives += 1
        took = time.monotonic() - started
        before = best.cost
        best.offer(dived)
        best.offer(sweep(dived, min(until, time.monotonic() + polish)))
        since_better = 0 if before is None or best.cost < before else since_better + 1
        if log:
            log(
                f"columns: dive {dives}, roster {roster_cost(columns.problem, dived)}, "
                f"best {best.cost}"
            )


def _branch(
    tree: BranchAndPrice,
    best: _Incumbent,
    until: float,
    workers: int,
    seed: int,
    log: Callable[[str], None] | None,
) -> None:
    """Branch and price until ``until`` or until its tree is searched; the best roster is then
    proven optimal."""
    tree.search(until, workers, seed, lambda: best.cost, best.offer)
    best.bound = max(best.bound, tree.bound(best.cost))
    if log:
        state = "searched" if tree.done else "cut short"
        log(f"branch and price: {tree.nodes} nodes, {state}: cost {best.cost}, bound {best.bound}")


def _shares(lns_rate: float, sweep_rate: float) -> tuple[float, float]:
    """Seconds for the next LNS phase and row sweeps, from what each gained a second."""
    if lns_rate <= 0 and sweep_rate <= 0:
        return LNS_PHASE, SWEEP_PHASE
    ratio = max(lns_rate, 0.0) / max(sweep_rate, 1e-9)
    lns = min(LNS_PHASE, max(MIN_PHASE, LNS_PHASE * ratio))
    sweeps = min(4 * SWEEP_PHASE, max(SWEEP_PHASE, SWEEP_PHASE / max(ratio, 1e-9)))
    return lns, sweeps


def construct(
    problem: Problem,
    deadline: float,
    workers: int,
    seed: int,
    group_cells: int = 3000,
    group_work: float = 10.0,
    first_solution: bool = False,
    log: Callable[[str], None] | None = None,
    start: Roster | None = None,
    employees: list[int] | None = None,
) -> Roster | None:
    """Build a roster one employee group at a time, each over the whole horizon.

    Every hard rule belongs to one employee, so a group's sub-model is feasible whenever its
    employees' rules are; the groups already placed enter as fixed cover.

    Args:
        problem: The rostering problem.
        deadline: ``time.monotonic()`` value to give up at.
        workers: CP-SAT threads.
        seed: Random seed.
        group_cells: Aimed-for shift variables per group.
        group_work: Cap on each group's solve in CP-SAT's deterministic time units (roughly
            seconds, but independent of machine load), on top of the share of ``deadline``.
        first_solution: Stop each group at its first roster and leave improving to the LNS.
        start: Rows already built (e.g. by the greedy); all off when None.
        employees: The employees still to place; everyone when None.
        log: Called with progress lines when given.

    Returns:
        A roster keeping every hard rule, or None if some group found none in time.
    """
    roster = start if start is not None else problem.all_off()
    todo = list(range(len(problem.employees))) if employees is None else employees
    n_emp = len(problem.employees)
    per_employee = max(1, shift_variable_count(problem) // max(1, n_emp))
    size = max(1, min(n_emp, group_cells // per_employee))
    groups = [todo[i : i + size] for i in range(0, len(todo), size)]
    for number, group in enumerate(groups):
        sub = RosterModel(problem, roster, group, hint=False)
        # The all-off incumbent breaks the group's own rules; as a hint CP-SAT would spend its
        # time repairing it (measured: a single Instance23 employee went from no roster in 10 s
        # to one in 3 s without it, and in 0.4 s with two workers).
        # A short first try per group: the LNS improves far faster than a long group solve
        # (Instance15: three 10 s group solves reached 17090, LNS then 8721 in 18 s).
        limit = min(1.0, max(0.3, (deadline - time.monotonic()) / (len(groups) - number)))
        while True:
            left = deadline - time.monotonic()
            solver = make_solver(min(limit, left), workers, seed + number)
            solver.parameters.max_deterministic_time = group_work
            solver.parameters.stop_after_first_solution = first_solution
            status = solver.solve(sub.model)
            if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                break
            if status == cp_model.INFEASIBLE or left - solver.wall_time < 0.1:
                if log:
                    log(f"construct: group {number} {solver.status_name(status)}")
                return None
            limit *= 2  # a hard group: try again with more time rather than give up
        roster = sub.solution(solver)
    if log:
        log(f"construct: {len(groups)} groups of {size}, cost {roster_cost(problem, roster)}")
    return roster


def solve(
    problem: Problem,
    time_limit: float = 60.0,
    workers: int = 2,
    seed: int = 0,
    hint: Roster | None = None,
    log: Callable[[str], None] | None = None,
) -> SolveResult:
    """Find a low-cost roster that keeps every hard rule.

    Args:
        problem: The rostering problem.
        time_limit: Wall-clock budget in seconds, model building included.
        workers: CP-SAT search threads.
        seed: Random seed for CP-SAT and the neighbourhood draws (wall-clock limits still
            let two runs with the same seed differ).
        hint: A roster to start the full model from on small instances (need not be
            feasible); larger ones start from the greedy rows.
        log: Called with progress lines when given.

    Returns:
        The best roster found, its recomputed cost, the proven bound and its penalties.
    """
    started = time.monotonic()
    # CP-SAT takes a moment to stop and the caller still has to write the roster.
    deadline = started + time_limit - min(1.0, 0.02 * time_limit)
    rng = random.Random(seed)
    best = _Incumbent(problem)
    n_vars = shift_variable_count(problem)
    small = n_vars <= SMALL_MODEL_MAX_VARS and problem.days <= SMALL_MODEL_MAX_DAYS
    # Larger instances whose rows the programme prices exactly converge in column generation
    # too (Instance17, 56 days: in 3-5 s), and their dives lead.
    exact = prices_exactly(problem)
    diving = small or exact

    def left() -> float:
        return deadline - time.monotonic()

    def result(status: SolveStatus | None = None) -> SolveResult:
        if best.roster is None:
            status = status or SolveStatus.UNKNOWN
            return SolveResult(status, None, None, best.bound, (), time.monotonic() - started)
        return SolveResult(
            status=SolveStatus.OPTIMAL if best.proved else SolveStatus.FEASIBLE,
            roster=best.roster,
            objective=best.cost,
            bound=min(best.bound, best.cost),
            penalties=roster_penalties(problem, best.roster),
            seconds=time.monotonic() - started,
        )

    columns: ColumnGeneration | None = None
    sweeper = RowSweep(problem)
    # Where no row is taken whole (every row swept a stretch at a time or near the old row:
    # instances 21 and 23), the LNS gains less a second than the sweeps, and only sweeps
    # follow, with a pass of request swaps before each phase. Instance23 at 60 s, seeds 0-2,
    # sweeps alone: 22935, 23018, 22481, and again 23287, 23387, 23755, against 23525, 23502,
    # 22551 with LNS phases between the sweeps (a small gain, within the seeds' spread);
    # Instance21: 21916, 21898, 21900 against 21930, 21904, 21905.
    by_stretches = not small and bool(sweeper.pricers) and not sweeper.whole

    def sweep(roster: Roster, until: float) -> Roster:
        """Wandering row sweeps of ``roster`` until ``until``, on every worker."""
        return sweeper.sweep(roster, until, rng, wander=WANDER, threads=workers)

    def polish_greedy(roster: Roster) -> None:
        """The first polish of the greedy rows: row sweeps, or the local search where no
        employee's state space allows sweeps."""
        if sweeper.pricers:
            # Row sweeps from the greedy rows: Instance23 181509 -> 43681 in 10 s, where
            # the local search took 16 s to reach 93526 (load ~2).
            share = SWEEP_SHARE if by_stretches else SWEEP_SHARE_BEFORE_LNS
            swept = sweep(roster, time.monotonic() + share * left())
            if log:
                log(f"row sweeps: cost {best.cost} -> {roster_cost(problem, swept)}")
            best.offer(swept)
            return
        # One-cell moves: they clear most of what the greedy rows leave short or over in
        # seconds, where each CP-SAT neighbourhood costs 0.1-0.3 s.
        polish = LocalSearch(problem, roster)
        polish.descend(time.monotonic() + LOCAL_SHARE * left(), rng)
        if log:
            log(f"local search: cost {best.cost} -> {roster_cost(problem, polish.roster())}")
        best.offer(polish.roster())

    if diving:
        greedy, failed = greedy_roster(problem, seed)
        columns = ColumnGeneration(problem, [] if failed else [greedy])
        columns.run(started + COLUMNS_SHARE * time_limit, workers, seed, log)
        best.bound = max(best.bound, columns.bound)
        if not failed:
            best.offer(greedy)
        tree = BranchAndPrice(columns) if small and exact else None
        if tree is not None:
            _branch(tree, best, started + BRANCH_FIRST_SHARE * time_limit, workers, seed, log)
            if best.proved:
                return result()
        _dive(columns, best, started + DIVE_SHARE * time_limit, workers, seed, rng, sweep, log)
        if best.proved:
            return result()
        if tree is not None:
            _branch(tree, best, started + BRANCH_SHARE * time_limit, workers, seed, log)
            if best.proved:
                return result()
        if not small:
            columns = None  # the pool recombines with the LNS only where the full model leads
    if small:
        recombined = columns.master(min(MASTER_SECONDS, left()), best.roster)
        if recombined is not None:
            best.offer(recombined)
        if hint is None:
            # A hint from the caller (the rota builder's previous round) leads the full model;
            # otherwise the best complete roster so far does: a dive's, the recombined rows or
            # the raw greedy (a partial roster would send CP-SAT repairing an infeasible hint).
            # The raw greedy, not the one polished by the local search: from the polished hint (cost
            # 2722 against 4163) the full model stood at 1234 after 29 s on Instance5, from the
            # raw one at 1150 (load 2.1).
            hint = best.roster
        if log:
            log(f"columns: bound {columns.bound}, recombined roster {best.cost}")
        if best.proved:
            return result()
        if not _solve_full(problem, best, FIRST_SHARE * left(), workers, seed, hint, log):
            return result(SolveStatus.INFEASIBLE)
        if best.proved:
            return result()
    every_row_whole = len(sweeper.whole) == len(problem.employees)
    priced_lp = not diving and n_vars <= LP_DIVE_MAX_VARS and every_row_whole
    if best.roster is None:
        # The greedy builds most rows in seconds; CP-SAT, one employee at a time and stopping
        # at the first row, does the rest (it needs 0.4-2 s per Instance23 employee, so it
        # cannot do them all). On Instance15 this start beat CP-SAT group construction
        # (12 s, 11777) after the same minute: 5426 against 6221.
        start, failed = greedy_roster(problem, seed)
        if log:
            log(f"greedy: cost {roster_cost(problem, start)}, {len(failed)} rows left to CP-SAT")
        roster = construct(
            problem,
            deadline - 0.2 * left(),
            workers,
            seed,
            group_cells=1,
            first_solution=True,
            log=log,
            start=start,
            employees=failed,
        )
        if roster is not None:
            best.offer(roster)
            if not priced_lp:  # there column generation starts from the greedy rows
                polish_greedy(roster)
    elif best.roster is not None:
        polish = LocalSearch(problem, best.roster)
        polish.descend(time.monotonic() + LOCAL_SHARE * left(), rng)
        best.offer(polish.roster())
    if priced_lp and best.roster is not None:
        # Rows priced by the programme alone keep every rule but may not be the cheapest
        # where a maximum it does not count binds (on Instance15 it counts both binding
        # ones: its bound, 3824, is the true LP's); the LP leads the dives far from where the
        # sweeps and the LNS stall.
        priced = ColumnGeneration(problem, [best.roster], programme_only=True)
        columns_until = started + LP_COLUMNS_SHARE * time_limit
        priced.run(columns_until, workers, seed, log)
        best.bound = max(best.bound, priced.bound)
        if time.monotonic() < columns_until:  # the LP converged
            until = started + LP_DIVE_SHARE * time_limit
            _dive(
                priced,
                best,
                until,
                workers,
                seed,
                rng,
                sweep,
                log,
                share=LP_DIVE_FIX,
                rounds=LP_DIVE_ROUNDS,
                polish=LP_DIVE_SWEEP,
                finish=LP_DIVE_FINISH,
                finish_seconds=LP_FINISH_SECONDS,
            )
        else:
            # Not settled within a short time limit: the greedy rows get their first polish
            # before the LNS, as off this path.
            polish_greedy(best.roster)
    if best.roster is None:
        return result()

    # The closing full-model solve (small instances) improves the roster and may meet the bound;
    # on the others the model is too large to pay within a minute.
    final_share = FINAL_SHARE if small else 0.0
    # LNS slices: 0.6 s at 60 s on non-small instances. Measured on Instance13 (60 s, shared
    # machine): 0.3 s slices 8017, 0.6 s 6265-7083, 1.2 s 7243; growing neighbourhoods on any
    # improvement (not only on a proof) 18252.
    slice_seconds = min(5.0, max(0.3, time_limit / (40 if small else 100)))
    lns_deadline = deadline - final_share * left()
    picker = NeighbourhoodPicker(problem, rng, cells=200)
    windows = not small and n_vars * WINDOW_DAYS <= WINDOW_MAX_VARS * problem.days
    lns_phase, sweep_phase = LNS_PHASE, SWEEP_PHASE
    while True:
        # On the large instances the LNS frees one or two rows of 100 per round; row sweeps
        # (or, without them, a short local-search pass) between LNS phases re-polish every
        # row against the new cover.
        phase = RECOMBINE_EVERY if columns is not None else lns_phase
        phase_start, phase_cost = time.monotonic(), best.cost
        phase_end = min(lns_deadline, phase_start + phase)
        if not by_stretches:
            roster = improve(
                problem,
                best.roster,
                phase_end,
                workers,
                rng,
                slice_seconds,
                cells=200,
                subsolvers=FULL_LP_SUBSOLVERS,
                log=log,
                picker=picker,
            )
            best.offer(roster)
        if columns is not None:
            if sweeper.pricers:
                # Sweeps of the incumbent give the pool rows that fit the rows around them.
                swept = sweep(best.roster, min(lns_deadline, time.monotonic() + SMALL_SWEEP))
                columns.add_roster(swept)
                best.offer(swept)
            _recombine(columns, best, min(RECOMBINE_SECONDS, left()), log)
        if best.proved or lns_deadline - time.monotonic() < 1.0:
            break
        if small:
            continue
        if not sweeper.pricers:
            polish = LocalSearch(problem, best.roster)
            polish.descend(min(lns_deadline, time.monotonic() + 0.5 * LNS_PHASE), rng, max_passes=3)
            if log:
                log(f"local search: {best.cost} -> {roster_cost(problem, polish.roster())}")
            best.offer(polish.roster())
            continue
        lns_rate = (phase_cost - best.cost) / max(1e-3, time.monotonic() - phase_start)
        if by_stretches:
            # Swaps of two rows over a few days grant requests without touching the cover,
            # which no sweep of one row can (see rota.solver.local); the LNS makes them where
            # it runs. Instance23 at 60 s, seeds 0-2: 22208, 21731, 21690 against 22599 and
            # 23093 (seed 0, same day) and 22935-23755 before; Instance21 seed 0: 21643
            # against 21851. A pass takes 1-2 s there.
            swaps = LocalSearch(problem, best.roster)
            gained = swaps.grant_requests(lns_deadline, rng)
            best.offer(swaps.roster())
            if log:
                log(f"request swaps: {best.cost - gained} -> {best.cost}")
        sweep_start, sweep_cost = time.monotonic(), best.cost
        best.offer(sweep(best.roster, min(lns_deadline, sweep_start + sweep_phase)))
        sweep_rate = (sweep_cost - best.cost) / max(1e-3, time.monotonic() - sweep_start)
        if log:
            log(f"row sweeps: {sweep_cost} -> {best.cost}")
        if windows:
            best.offer(
                window_pass(problem, best.roster, lns_deadline, workers, seed, WINDOW_SECONDS, log)
            )
        # The next phases in proportion to what each gained a second: on Instance23 10 s of LNS
        # took 420 off where 5 s of sweeps took 2291; on Instance17 sweeps alone stall.
        lns_phase, sweep_phase = _shares(lns_rate, sweep_rate)
    if small and left() > 0.5 and not best.proved:
        _solve_full(problem, best, left(), workers, seed + 1, None, log)
    return result()
