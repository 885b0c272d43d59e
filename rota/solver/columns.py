"""Column generation: a lower bound from the LP of whole rows, and rosters recombined from rows.

Every hard rule belongs to one employee and only cover ties employees together, so a roster is
one *row* per employee and the problem can be written over rows: pick exactly one row for each
employee, and pay each row's request costs plus the cover penalties of the rows picked together.

* The *master* is that choice over a pool of known rows. Its LP relaxation (GLOP) prices every
  cover cell: the dual ``pi[d, s]`` is what one more person on shift ``s`` of day ``d`` is worth.
* The *pricing* problem of one employee is the cheapest row under those prices: request costs
  minus the prices of the cells worked. The dynamic programme of :mod:`rota.solver.pricing`
  solves it in milliseconds; where a per-type maximum binds and the programme cannot prove its
  row the cheapest (or the employee's state space is too large for it), the one-employee CP-SAT
  model holding every hard rule of :mod:`rota.solver.model` does, built on first use and
  re-solved with new objective weights each round. With the programme, column generation
  converges in 0.6 s on Instance11 and 1.7 s on Instance5, where CP-SAT pricing alone took
  11.3 s and 5.1 s. Rows of negative reduced cost join the pool and the LP is solved again.
* A *lower bound* holds at every round: the LP value plus each employee's most negative reduced
  cost (Lasdon's bound; each employee picks exactly one row), from the programme's bound or
  CP-SAT's proven bound of each pricing problem (widened by the rounding of its weights to
  integers). On these problems
  the bound is tight: on Instance11 it reaches the best known 3443, where the full CP-SAT model's
  bound stops near 3438, and on Instance5 1141 where CP-SAT's stops near 930.
* The integer master over the pool (SCIP, one boolean per row) recombines rows from different
  LP solutions and from the incumbent into new rosters: on Instance5 it found 1144 within 2 s of
  6 s of column generation, and on Instance11, given the incumbent's rows late in the search,
  the optimum 3443.

* A *dive* (:meth:`ColumnGeneration.dive`) follows the LP down to one roster: it fixes the rows
  the LP is surest of, generates rows for the other employees under the new duals, and repeats
  until every employee's row is fixed. Where the LP is tight the roster lands near its value:
  Instance11's first dive reaches the optimum 3443, Instance17's dives its optimum 5746.
  Where the last fixings are costly (Instance15), CP-SAT re-solves the last few employees'
  rows together instead.

Column generation stops once the bound meets the LP value rounded up (no more rows can raise the
bound above it), or at its deadline; the LP stalls on instances with many employees, or where
the programme leaves several per-type maxima to multipliers and CP-SAT prices, so the search in
:mod:`rota.solver.search` uses it where the full model also leads, and where every row is
priced exactly. With ``programme_only`` the programme alone prices every row: where a per-type
maximum it does not count binds, its row under multipliers keeps every rule but may not be the
cheapest, so the LP may settle above the true one, but rounds stay fast (Instance15: 11-17 s to
settle, at the true 3823.7 with a bound of 3824 now that the programme counts both its nights,
where CP-SAT pricing took 74 s); the search dives from that LP on mid-sized instances.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from rota.solver.model import RosterModel
from rota.solver.params import FULL_LP_SUBSOLVERS, make_solver
from rota.solver.pricing import RowPricer, request_prices
from rota.solver.problem import Problem, Roster

Row = tuple[str | None, ...]

#: Objective weights of a pricing problem are the duals times this, rounded to integers. Each
#: weight is then off by at most 0.5 / SCALE and a row works at most one cell a day, which is
#: the margin the bound gives away for the rounding.
SCALE = 10_000

#: Most seconds one pricing solve may take (it usually takes milliseconds to a tenth of a second).
PRICING_SECONDS = 2.0

#: Tolerance on the LP's floating-point values before rounding a bound up.
EPSILON = 1e-6

#: Most rounds of column generation between two fixings of a dive.
DIVE_ROUNDS = 20

#: A dive with a random generator fixes any row whose LP value is at least this share of the
#: largest, not always the largest: the dives then differ.
DIVE_SPREAD = 0.6


@dataclass(frozen=True)
class CellRule:
    """One branching decision of branch and price: ``employee`` works ``shift`` on ``day``, or
    does not (``works``); ``shift`` None means any shift (the day worked, or off)."""

    employee: int
    day: int
    shift: str | None
    works: bool

    def admits(self, row: Row) -> bool:
        """Whether ``row`` (the employee's) keeps this decision."""
        worked = row[self.day]
        hit = worked is not None and (self.shift is None or worked == self.shift)
        return hit == self.works


class _Pricer:
    """One employee's pricing problem: a dynamic programme, and CP-SAT where it cannot decide.

    The programme (:mod:`rota.solver.pricing`) finds the cheapest row in milliseconds unless a
    per-type maximum binds; then, and for employees whose state space is too large for it, the
    one-employee CP-SAT model (built on first use, its objective set per round) decides;
    with ``programme_only`` the programme's row stands (it keeps every rule, perhaps not the
    cheapest) and employees too large for the programme get no row.
    """

    def __init__(
        self,
        problem: Problem,
        e: int,
        requests: np.ndarray,
        on_total: int,
        programme_only: bool = False,
    ) -> None:
        self.problem = problem
        self.programme_only = programme_only
        self.e = e
        self.days = problem.days
        self.requests = requests  # request price per (day, shift type) cell
        self.on_total = on_total
        self.rows = RowPricer(problem, e)
        self._built: RosterModel | None = None
        self._cells: list[tuple[int, int, cp_model.IntVar]] = []

    def price(
        self,
        prices: np.ndarray,
        mu: float,
        seed: int,
        deadline: float,
        rules: tuple[CellRule, ...] = (),
    ) -> tuple[Row | None, float]:
        """A row of least reduced cost under cover duals ``prices``, and a bound on the cheapest.

        Args:
            prices: Cover duals as a days x shift types array.
            mu: The employee's convexity dual.
            seed: CP-SAT random seed.
            deadline: ``time.monotonic()`` value to stop at.
            rules: Branching decisions the row must keep (only where the programme prices the
                employee's rows exactly).

        Returns:
            A row (None if none was found in time) and a proven lower bound on
            ``cost(row) - duals of its cells`` over all the employee's rows.
        """
        cost = self.requests - prices
        if rules:
            return self._price_within(cost, rules)
        if self.rows.usable:
            row, low = self.rows.price(cost)
            bound = low + self.on_total
            if math.isinf(bound):
                return None, bound  # no row keeps the rules
            if row is not None:
                priced = self.on_total + sum(
                    cost[d, self.rows.index[s]] for d, s in enumerate(row) if s
                )
                # A row that improves the LP, or a proof that none does: no need for CP-SAT.
                if priced - mu < -EPSILON or bound >= priced - EPSILON:
                    return row, bound
            if self.programme_only:
                # The programme's row under multipliers: feasible, perhaps not the cheapest;
                # its bound still holds.
                return row, bound
        if self.programme_only:
            return None, -math.inf  # too large for the programme: no row, no bound
        return self._price_exactly(cost, seed, deadline)

    def _price_within(
        self, cost: np.ndarray, rules: tuple[CellRule, ...]
    ) -> tuple[Row | None, float]:
        """The programme's cheapest row that keeps ``rules``: the cells ruled out are not
        allowed, and the cells ruled in are made cheaper by more than any row costs, so the
        cheapest row works them all if any row keeping the rules does."""
        allowed = self.rows.allowed.copy()
        forced = cost.copy()
        big = 2.0 * (float(np.abs(cost).sum()) + 1.0)
        musts = 0
        for rule in rules:
            cells = slice(None) if rule.shift is None else self.rows.index[rule.shift]
            if not rule.works:
                allowed[rule.day, cells] = False
                continue
            musts += 1
            if rule.shift is not None:
                keep = bool(allowed[rule.day, cells])
                allowed[rule.day, :] = False
                allowed[rule.day, cells] = keep
            forced[rule.day, cells] -= big
        row, low = self.rows.price(forced, allowed=allowed)
        if row is None or not all(rule.admits(row) for rule in rules):
            return None, math.inf  # no row keeps the rules (the programme is exact here)
        return row, low + big * musts + self.on_total

    def _price_exactly(
        self, cost: np.ndarray, seed: int, deadline: float
    ) -> tuple[Row | None, float]:
        """CP-SAT's answer to the pricing problem under cell prices ``cost``, with its bound."""
        if self._built is None:
            self._built = RosterModel(self.problem, None, [self.e], hint=False, penalties=False)
            self._cells = [
                (d, s, lit) for (_, d), shifts in self._built.x.items() for s, lit in shifts.items()
            ]
        terms = []
        for d, s, lit in self._cells:
            scaled = round(cost[d, s] * SCALE)
            if scaled:
                terms.append((scaled, lit))
        model = self._built.model
        model.clear_objective()
        model.minimize(
            cp_model.LinearExpr.weighted_sum([v for _, v in terms], [c for c, _ in terms])
        )
        solver = make_solver(min(PRICING_SECONDS, deadline - time.monotonic()), 1, seed)
        solver.parameters.linearization_level = 2
        status = solver.solve(model)
        if status == cp_model.INFEASIBLE:
            return None, math.inf
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            # Stopped before any row: CP-SAT's bound then is not a bound (on Instance17 a
            # pricing cut short by the deadline reported one that put the LP bound at 10429,
            # above the LP's own 5809), so this employee proves nothing this round.
            return None, -math.inf
        # Each scaled weight is within 0.5 of weight * SCALE and a row works at most one cell
        # a day, so the true optimum is at least the scaled bound less half a unit a day.
        bound = (solver.best_objective_bound - 0.5 * self.days) / SCALE + self.on_total
        return self._built.solution(solver)[self.e], bound


class ColumnGeneration:
    """A pool of rows per employee, the LP over it, and the bound it proves.

    Args:
        problem: The rostering problem.
        rosters: Rosters (keeping every hard rule) whose rows start the pool.
    """

    def __init__(
        self, problem: Problem, rosters: list[Roster], programme_only: bool = False
    ) -> None:
        self.problem = problem
        self.programme_only = programme_only
        self.pool: list[dict[Row, int]] = [{} for _ in problem.employees]
        self.bound = 0
        self.lp_value: float | None = None
        self.rounds = 0
        self._pricers: list[_Pricer] = []
        self._shift = problem.shift_index()
        self._required = {(c.day, c.shift): c.requirement for c in problem.covers}
        # The (day, shift type) index of each cover line, in the order of ``_required``.
        self._cover_cells = (
            np.array([d for d, _ in self._required], dtype=np.int64),
            np.array([self._shift[sid] for _, sid in self._required], dtype=np.int64),
        )
        # The master LP, kept between rounds, and the rows already posted in it.
        self._lp: pywraplp.Solver | None = None
        self._convexity: list[pywraplp.Constraint] = []
        self._cover: dict[tuple[int, str], pywraplp.Constraint] = {}
        self._in_lp: list[dict[Row, pywraplp.Variable]] = []
        # Whether the LP's bounds changed since its last solve: OR-Tools then answers 0 for
        # every row's value (and logs an error for each read).
        self._lp_changed = False
        # Employees whose row a dive has fixed: no other row of theirs may take a value.
        self._fixed: dict[int, Row] = {}
        # Branch and price's decisions per employee: only rows keeping them may take a value.
        self._rules: dict[int, tuple[CellRule, ...]] = {}
        # Per employee, the request price of each (day, shift type) cell and the on-request
        # total: a row's request cost is the total plus the prices of the cells it works.
        self._requests = request_prices(problem)
        self._on_total = [0] * len(problem.employees)
        staff = problem.employee_index()
        for req in problem.on_requests:
            self._on_total[staff[req.employee]] += req.weight
        for roster in rosters:
            self.add_roster(roster)
        # Dearer than leaving every cover line wholly unmet.
        self._prohibitive = 1 + sum(c.requirement * c.under_weight for c in problem.covers)

    def row_cost(self, e: int, row: Row) -> int:
        """Request costs of employee ``e`` working ``row``."""
        prices = self._requests[e]
        worked = sum(prices[d, self._shift[s]] for d, s in enumerate(row) if s is not None)
        return self._on_total[e] + round(float(worked))

    def add_roster(self, roster: Roster) -> None:
        """Add every row of ``roster`` (which keeps every hard rule) to the pool."""
        for e, row in enumerate(roster):
            if row not in self.pool[e]:
                self.pool[e][row] = self.row_cost(e, row)

    def size(self) -> int:
        """Number of rows in the pool."""
        return sum(len(rows) for rows in self.pool)

    def _build_master(
        self, solver: pywraplp.Solver, integer: bool
    ) -> tuple[
        list[list[tuple[Row, pywraplp.Variable]]],
        list[pywraplp.Constraint],
        dict[tuple[int, str], pywraplp.Constraint],
    ]:
        """Post the master over the pool: its row variables, convexity rows and cover lines."""
        objective = solver.Objective()
        cover = {}
        for c in self.problem.covers:
            line = solver.Constraint(c.requirement, c.requirement)
            under = solver.NumVar(0, solver.infinity(), "")
            over = solver.NumVar(0, solver.infinity(), "")
            line.SetCoefficient(under, 1)
            line.SetCoefficient(over, -1)
            objective.SetCoefficient(under, c.under_weight)
            objective.SetCoefficient(over, c.over_weight)
            cover[c.day, c.shift] = line
        picks: list[list[tuple[Row, pywraplp.Variable]]] = []
        convexity = []
        for rows in self.pool:
            one = solver.Constraint(1, 1)
            convexity.append(one)
            if not rows or not integer:
                # No row known yet (or none keeping branch and price's decisions): a stand-in
                # that covers nothing at a prohibitive cost keeps the LP feasible. Extra
                # columns only relax the master, so the bound stays valid.
                stand_in = solver.NumVar(0, solver.infinity(), "")
                objective.SetCoefficient(stand_in, self._prohibitive)
                one.SetCoefficient(stand_in, 1)
            picks.append(
                [
                    (row, self._post_row(solver, one, cover, row, cost, integer))
                    for row, cost in rows.items()
                ]
            )
        objective.SetMinimization()
        return picks, convexity, cover

    @staticmethod
    def _post_row(
        solver: pywraplp.Solver,
        one: pywraplp.Constraint,
        cover: dict[tuple[int, str], pywraplp.Constraint],
        row: Row,
        cost: int,
        integer: bool,
    ) -> pywraplp.Variable:
        """One row's variable in the master: its cost, its convexity row and its cover lines."""
        # No upper bound of 1 in the LP: convexity already caps it, and a bound would take the
        # dual role of the convexity row and spoil the reduced costs.
        var = solver.BoolVar("") if integer else solver.NumVar(0, solver.infinity(), "")
        solver.Objective().SetCoefficient(var, cost)
        one.SetCoefficient(var, 1)
        for d, sid in enumerate(row):
            if sid is not None and (d, sid) in cover:
                cover[d, sid].SetCoefficient(var, 1)
        return var

    def _solve_lp(self) -> tuple[float, dict[tuple[int, str], float], list[float]]:
        """Solve the master LP, kept between rounds: new pool rows join it as new columns.

        Built once, GLOP re-solves from its last basis rather than from scratch.
        """
        if self._lp is None:
            self._lp = pywraplp.Solver.CreateSolver("GLOP")
            # Without presolve GLOP restarts from the last basis when columns are added
            # (Instance13, 1,920 rows: 0.16 s for a re-solve against 1.5 s with it).
            self._lp.SetSolverSpecificParametersAsString("use_preprocessing: false")
            picks, self._convexity, self._cover = self._build_master(self._lp, integer=False)
            self._in_lp = [dict(mine) for mine in picks]
        else:
            for e, rows in enumerate(self.pool):
                posted = self._in_lp[e]
                for row, cost in rows.items():
                    if row not in posted:
                        posted[row] = self._post_row(
                            self._lp, self._convexity[e], self._cover, row, cost, False
                        )
                        if not self._keeps_rules(e, row):
                            posted[row].SetBounds(0, 0)
        if self._lp.Solve() != pywraplp.Solver.OPTIMAL:
            raise RuntimeError("the master LP has no optimum")  # every pool row is feasible
        self._lp_changed = False
        pi = {key: line.dual_value() for key, line in self._cover.items()}
        return self._lp.Objective().Value(), pi, [one.dual_value() for one in self._convexity]

    def _prepare(self, deadline: float) -> bool:
        """Build the pricing models (a tenth of a second each at most), once for every round;
        False if ``deadline`` came first."""
        while len(self._pricers) < len(self.problem.employees):
            if time.monotonic() >= deadline:
                return False
            e = len(self._pricers)
            self._pricers.append(
                _Pricer(self.problem, e, self._requests[e], self._on_total[e], self.programme_only)
            )
        return True

    def _round(
        self, pool: ThreadPoolExecutor, seed: int, deadline: float
    ) -> tuple[float, int, float]:
        """Solve the LP, price every employee whose row is not fixed, add the rows that
        improve it.

        Returns:
            The LP value, the rows added, and the Lagrangian bound of the duals (Lasdon's: what
            they pay for the demand plus each employee's cheapest row under them; the LP value
            plus each employee's least reduced cost); while a dive has rows fixed it leaves
            their employees out and bounds nothing.
        """
        self.rounds += 1
        value, pi, mu = self._solve_lp()
        duals = np.array([pi[key] for key in self._required])
        prices = np.zeros((self.problem.days, len(self.problem.shifts)))
        prices[self._cover_cells] = duals
        free = [e for e in range(len(self._pricers)) if e not in self._fixed]
        jobs = [
            pool.submit(
                self._pricers[e].price,
                prices,
                mu[e],
                seed + self.rounds,
                deadline,
                self._rules.get(e, ()),
            )
            for e in free
        ]
        results = [job.result() for job in jobs]
        added = 0
        for e, (row, _) in zip(free, results, strict=True):
            if row is None or row in self.pool[e]:
                continue
            cost = self.row_cost(e, row)
            priced = sum(pi.get((d, s), 0.0) for d, s in enumerate(row) if s)
            if cost - priced - mu[e] < -EPSILON:  # a negative reduced cost
                self.pool[e][row] = cost
                added += 1
        wanted = np.array(list(self._required.values()))
        return value, added, float(duals @ wanted) + sum(bound for _, bound in results)

    def run(
        self,
        deadline: float,
        workers: int,
        seed: int = 0,
        log: Callable[[str], None] | None = None,
        max_rounds: int | None = None,
    ) -> int:
        """Generate rows until the bound meets the LP value, or until ``deadline``.

        Args:
            deadline: ``time.monotonic()`` value to stop at.
            workers: Pricing problems solved at once (one CP-SAT worker each, in threads).
            seed: CP-SAT random seed.
            log: Called with progress lines when given.
            max_rounds: Stop after this many rounds (tests use it instead of the clock).

        Returns:
            The best lower bound proven on the cost of any roster.
        """
        if not self.problem.employees or not self._prepare(deadline):
            return self.bound
        rounds = 0
        with ThreadPoolExecutor(max(1, workers)) as pool:
            while time.monotonic() < deadline and rounds != max_rounds:
                rounds += 1
                value, added, lagrangian = self._round(pool, seed, deadline)
                self.lp_value = value
                if math.isfinite(lagrangian):
                    self.bound = max(self.bound, math.ceil(lagrangian - EPSILON))
                if log:
                    log(
                        f"columns round {self.rounds}: lp {value:.2f}, bound {self.bound}, "
                        f"{added} rows added, pool {self.size()}"
                    )
                if added == 0 or self.bound >= math.ceil(value - EPSILON):
                    break
        return self.bound

    def _keeps_rules(self, e: int, row: Row) -> bool:
        return all(rule.admits(row) for rule in self._rules.get(e, ()))

    def restrict(self, rules: Iterable[CellRule]) -> None:
        """Hold the LP to rows keeping ``rules`` (branch and price's decisions at a node),
        replacing the decisions held before; pricing then generates only such rows.

        Only for problems whose every row the programme prices exactly (the rows it cannot
        price exactly would go to CP-SAT, which knows nothing of the decisions).
        """
        grouped: dict[int, list[CellRule]] = {}
        for rule in rules:
            grouped.setdefault(rule.employee, []).append(rule)
        new = {e: tuple(mine) for e, mine in grouped.items()}
        if self._lp is None:
            self._solve_lp()
        changed = {e for e in new.keys() | self._rules.keys() if new.get(e) != self._rules.get(e)}
        self._rules = new
        for e in changed:
            for row, var in self._in_lp[e].items():
                var.SetBounds(0, self._lp.infinity() if self._keeps_rules(e, row) else 0)
            self._lp_changed = True

    def settle(
        self, pool: ThreadPoolExecutor, seed: int, deadline: float, cutoff: float
    ) -> tuple[float, list[dict[Row, float]]]:
        """Generate rows under the decisions held until no row improves the LP, or until the
        bound reaches ``cutoff``, or until ``deadline``.

        Returns:
            A lower bound on any roster keeping the decisions (``math.inf`` if none does;
            below the LP value if cut short by the deadline), and the LP's value of each
            employee's rows (those with a value).
        """
        bound = -math.inf
        while True:
            value, added, lagrangian = self._round(pool, seed, deadline)
            bound = max(bound, lagrangian)
            if added == 0:
                bound = max(bound, value)
            if added == 0 or bound >= cutoff or time.monotonic() >= deadline:
                break
        values = [
            {row: x for x, row in self._values(e) if x > EPSILON} for e in range(len(self._in_lp))
        ]
        return bound, values

    def dive(
        self,
        deadline: float,
        workers: int,
        seed: int = 0,
        rng: random.Random | None = None,
        share: float | None = None,
        rounds: int = DIVE_ROUNDS,
        finish: int = 0,
        finish_seconds: float = 0.0,
    ) -> Roster | None:
        """A roster by diving: fix the row the LP is surest of, re-generate, repeat.

        Each step fixes the free employees' rows the LP takes at (nearly) one, or else the one
        row with the largest value, and lets column generation answer for the others (up to
        ``DIVE_ROUNDS`` rounds) before the next fix. Where the LP is tight this follows it down
        to a roster close to its value: Instance11's first dive reaches the optimum 3443 in
        1.3 s, and Instance7's (LP 1054.1) reach 1056-1060 in about a second each, where the
        integer master over the pool of the converged LP found 1461. The fixings are undone
        before it returns, so the LP is the relaxation again.

        Args:
            deadline: ``time.monotonic()`` value to give up at.
            workers: Pricing problems solved at once.
            seed: CP-SAT random seed.
            rng: Without it, each step fixes the row of largest value; with it, any row of at
                least ``DIVE_SPREAD`` times that value, at random.
            share: With it, each step fixes every free employee's largest row whose value is
                at least ``share`` (or else the largest tenth of them): far fewer steps where
                there are many employees and rows are priced by the programme alone.
            rounds: Most rounds of column generation between two steps.
            finish: Once this many employees or fewer are left free, or once ``deadline`` is
                within ``finish_seconds``, CP-SAT re-solves the free employees' rows together,
                from the LP's largest row of each, instead of fixing more (0: never).
            finish_seconds: Seconds kept for that last step.

        Returns:
            The roster the dive reached: its fixed rows and, for each employee left free (the
            deadline came first, or ``finish``), the LP's largest row or, with ``finish``,
            CP-SAT's; None if the deadline came before the pricing problems were built or some
            employee has no row in the LP.
        """
        if not self.problem.employees or not self._prepare(deadline):
            return None
        fixing = deadline - finish_seconds if finish else deadline
        try:
            with ThreadPoolExecutor(max(1, workers)) as pool:
                while time.monotonic() < fixing:
                    for _ in range(rounds):
                        _, added, _ = self._round(pool, seed, fixing)
                        if added == 0 or time.monotonic() >= fixing:
                            break
                    if time.monotonic() >= fixing:
                        # No time to settle the LP after another fixing: the LP's values, read
                        # below, must be those of its last solve.
                        break
                    free = [e for e in range(len(self.pool)) if e not in self._fixed]
                    if len(free) <= finish:
                        break
                    fixed = self._fix_many(free, share) if share else self._fix_surest(free, rng)
                    if not fixed:
                        break
            rows = dict(self._fixed)
            free = [e for e in range(len(self.pool)) if e not in rows]
            for e in free:
                # Cut short (by the deadline or by ``finish``): the LP's largest row of each
                # employee left (every row keeps its employee's rules, so any choice of rows is
                # a roster).
                largest = self._largest(e)
                if largest is None:
                    return None
                rows[e] = largest[1]
            roster = tuple(rows[e] for e in range(len(self.pool)))
            if free and finish:
                seconds = min(finish_seconds, deadline - time.monotonic())
                roster = self._finish(roster, free, seconds, workers, seed)
            return roster
        finally:
            for e in self._fixed:
                for var in self._in_lp[e].values():
                    var.SetBounds(0, self._lp.infinity())
                self._lp_changed = True
            self._fixed = {}

    def _finish(
        self, roster: Roster, free: list[int], seconds: float, workers: int, seed: int
    ) -> Roster:
        """The rows of the ``free`` employees re-solved together by CP-SAT, the others held.

        The LP's last fixings are its costliest: on Instance15 its value stays within 0.6% of
        the relaxation's until ten employees are left, then climbs 12% over the last nine
        fixings, and the dive's roster lands 35% above it (5175; 4285 after sweeps). With six
        employees left, CP-SAT's rows for them in 5 s gave 3946 (4 left: 3960, proven optimal
        for them in 3.4 s; 8 left: 4043).
        """
        if seconds <= 0:
            return roster
        sub = RosterModel(self.problem, roster, free)
        solver = make_solver(seconds, workers, seed, FULL_LP_SUBSOLVERS)
        if solver.solve(sub.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return sub.solution(solver)
        return roster

    def _fix_surest(self, free: list[int], rng: random.Random | None) -> bool:
        """Fix the rows of ``free`` employees the LP takes at one, or else its largest; False
        if they have no rows in the LP yet."""
        values = {(e, row): x for e in free for x, row in self._values(e)}
        if not values:
            return False
        sure = [key for key, x in values.items() if x > 1 - EPSILON]
        if not sure:
            top = max(values.values())
            likely = [key for key, x in values.items() if x >= DIVE_SPREAD * top]
            sure = [rng.choice(likely) if rng else max(values, key=values.__getitem__)]
        for e, row in sure:
            self._fix(e, row)
        return True

    def _fix_many(self, free: list[int], share: float) -> bool:
        """Fix the largest row of every ``free`` employee whose value is at least ``share``, or
        else of the tenth of them whose largest rows are largest; False if they have no rows
        in the LP yet."""
        largest = {e: mine for e in free if (mine := self._largest(e)) is not None}
        if not largest:
            return False
        order = sorted(largest, key=lambda e: -largest[e][0])
        take = [e for e in order if largest[e][0] >= share] or order[: max(1, len(order) // 10)]
        for e in take:
            self._fix(e, largest[e][1])
        return True

    def _largest(self, e: int) -> tuple[float, Row] | None:
        """Employee ``e``'s row of largest value in the LP's last solution, with its value;
        None if the LP has no row of theirs yet."""
        return max(self._values(e), key=lambda pair: pair[0], default=None)

    def _values(self, e: int) -> list[tuple[float, Row]]:
        """Employee ``e``'s rows in the LP, each with its value in the LP's solution.

        The LP is solved again first (no pricing) if its bounds changed since its last solve:
        a dive whose time runs out just after a fixing reads its rows before any round has
        answered it, and OR-Tools answers 0 for every value of a changed model (logging an
        error for each read).
        """
        if self._lp_changed:
            self._solve_lp()
        return [(var.solution_value(), row) for row, var in self._in_lp[e].items()]

    def _fix(self, e: int, row: Row) -> None:
        """Fix employee ``e``'s row: no other row of theirs may take a value."""
        self._fixed[e] = row
        for other, var in self._in_lp[e].items():
            if other != row:
                var.SetBounds(0, 0)
        self._lp_changed = True

    def master(self, seconds: float, hint: Roster | None = None) -> Roster | None:
        """The cheapest roster made of pool rows, or None if none in time (or a row is missing).

        A set-partitioning integer programme, solved by SCIP through OR-Tools: its LP-based
        branch and bound suits it better than CP-SAT, which on Instance5's pool of 356 rows
        stood at 1251 after 10 s where SCIP proved 1144 optimal in 1.6 s.

        Args:
            seconds: Time limit.
            hint: A roster whose rows are all in the pool, to start from.

        Returns:
            The best roster found.
        """
        if not all(self.pool):
            return None
        mip = pywraplp.Solver.CreateSolver("SCIP")
        mip.SetTimeLimit(max(1, int(seconds * 1000)))
        mip.SetNumThreads(1)
        picks, _, _ = self._build_master(mip, integer=True)
        if hint is not None:
            hinted = [
                (var, float(row == hint[e])) for e, mine in enumerate(picks) for row, var in mine
            ]
            mip.SetHint([v for v, _ in hinted], [x for _, x in hinted])
        if mip.Solve() not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
            return None
        return tuple(next(row for row, var in mine if var.solution_value() > 0.5) for mine in picks)
