"""Column generation: a lower bound from the LP of whole rows, and rosters recombined from rows.

Every hard rule belongs to one employee and only cover ties employees together, so a roster is
one *row* per employee and the problem can be written over rows: pick exactly one row for each
employee, and pay each row's request costs plus the cover penalties of the rows picked together.

* The *master* is that choice over a pool of known rows. Its LP relaxation (GLOP) prices every
  cover cell: the dual ``pi[d, s]`` is what one more person on shift ``s`` of day ``d`` is worth.
* The *pricing* problem of one employee is the cheapest row under those prices: request costs
  minus the prices of the cells worked. It is a one-employee CP-SAT model holding every hard rule
  of :mod:`rota.solver.model`, built once and re-solved with new objective weights each round.
  Rows of negative reduced cost join the pool and the LP is solved again.
* A *lower bound* holds at every round: the LP value plus each employee's most negative reduced
  cost (Lasdon's bound; each employee picks exactly one row), taken from CP-SAT's proven bound of
  each pricing problem and widened by the rounding of the weights to integers. On these problems
  the bound is tight: on Instance11 it reaches the best known 3443, where the full CP-SAT model's
  bound stops near 3438, and on Instance5 1141 where CP-SAT's stops near 930.
* The integer master over the pool (SCIP, one boolean per row) recombines rows from different
  LP solutions and from the incumbent into new rosters: on Instance5 it found 1144 within 2 s of
  6 s of column generation, and on Instance11, given the incumbent's rows late in the search,
  the optimum 3443.

Column generation stops once the bound meets the LP value rounded up (no more rows can raise the
bound above it), or at its deadline; the LP stalls on instances with many employees, so the
search in :mod:`rota.solver.search` uses it where the full model also leads.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ortools.linear_solver import pywraplp
from ortools.sat.python import cp_model

from rota.solver.model import RosterModel
from rota.solver.params import make_solver
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


class _Pricer:
    """One employee's pricing problem: the rules built once, the objective set per round."""

    def __init__(
        self,
        problem: Problem,
        e: int,
        on: dict[tuple[int, str], int],
        off: dict[tuple[int, str], int],
    ) -> None:
        self.e = e
        self.built = RosterModel(problem, None, [e], hint=False, penalties=False)
        self.days = problem.days
        self.on, self.off = on, off
        self.on_total = sum(self.on.values())
        self.cells = [
            (d, self.built.shift_ids[s], lit)
            for (_, d), shifts in self.built.x.items()
            for s, lit in shifts.items()
        ]

    def price(
        self, pi: dict[tuple[int, str], float], mu: float, seed: int, deadline: float
    ) -> tuple[Row | None, float]:
        """Cheapest row under cover prices ``pi``, and a lower bound on its reduced cost.

        Args:
            pi: Cover duals by (day, shift id).
            mu: The employee's convexity dual.
            seed: CP-SAT random seed.
            deadline: ``time.monotonic()`` value to stop at.

        Returns:
            The row found (None if none in time) and a proven lower bound on the least reduced
            cost of any of the employee's rows.
        """
        terms = []
        for d, sid, lit in self.cells:
            weight = self.off.get((d, sid), 0) - self.on.get((d, sid), 0) - pi.get((d, sid), 0.0)
            scaled = round(weight * SCALE)
            if scaled:
                terms.append((scaled, lit))
        model = self.built.model
        model.clear_objective()
        model.minimize(
            cp_model.LinearExpr.weighted_sum([v for _, v in terms], [c for c, _ in terms])
        )
        solver = make_solver(min(PRICING_SECONDS, deadline - time.monotonic()), 1, seed)
        solver.parameters.linearization_level = 2
        status = solver.solve(model)
        if status == cp_model.INFEASIBLE:
            return None, math.inf
        # Each scaled weight is within 0.5 of weight * SCALE and a row works at most one cell
        # a day, so the true optimum is at least the scaled bound less half a unit a day.
        bound = (solver.best_objective_bound - 0.5 * self.days) / SCALE + self.on_total - mu
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, bound
        return self.built.solution(solver)[self.e], bound


class ColumnGeneration:
    """A pool of rows per employee, the LP over it, and the bound it proves.

    Args:
        problem: The rostering problem.
        rosters: Rosters (keeping every hard rule) whose rows start the pool.
    """

    def __init__(self, problem: Problem, rosters: list[Roster]) -> None:
        self.problem = problem
        self.pool: list[dict[Row, int]] = [{} for _ in problem.employees]
        self.bound = 0
        self.lp_value: float | None = None
        self.rounds = 0
        self._pricers: list[_Pricer] = []
        me = {emp.id: e for e, emp in enumerate(problem.employees)}
        # Per employee, (day, shift id) -> request weight, paid when not worked (on) or when
        # worked (off); requests repeated on one cell add up, as in the roster's cost.
        self._on: list[dict[tuple[int, str], int]] = [{} for _ in problem.employees]
        self._off: list[dict[tuple[int, str], int]] = [{} for _ in problem.employees]
        for requests, by_employee in (
            (problem.on_requests, self._on),
            (problem.off_requests, self._off),
        ):
            for req in requests:
                weights = by_employee[me[req.employee]]
                weights[req.day, req.shift] = weights.get((req.day, req.shift), 0) + req.weight
        for roster in rosters:
            self.add_roster(roster)
        # Dearer than leaving every cover line wholly unmet.
        self._prohibitive = 1 + sum(c.requirement * c.under_weight for c in problem.covers)

    def row_cost(self, e: int, row: Row) -> int:
        """Request costs of employee ``e`` working ``row``."""
        unmet = sum(w for (d, s), w in self._on[e].items() if row[d] != s)
        return unmet + sum(w for (d, s), w in self._off[e].items() if row[d] == s)

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
            if not rows:
                # No row known yet: a stand-in that covers nothing at a prohibitive cost keeps
                # the LP feasible. Extra columns only relax the master, so the bound stays valid.
                stand_in = solver.NumVar(0, solver.infinity(), "")
                objective.SetCoefficient(stand_in, self._prohibitive)
                one.SetCoefficient(stand_in, 1)
            mine = []
            for row, cost in rows.items():
                # No upper bound of 1 in the LP: convexity already caps it, and a bound would
                # take the dual role of the convexity row and spoil the reduced costs.
                var = solver.BoolVar("") if integer else solver.NumVar(0, solver.infinity(), "")
                objective.SetCoefficient(var, cost)
                one.SetCoefficient(var, 1)
                mine.append((row, var))
                for d, sid in enumerate(row):
                    if sid is not None and (d, sid) in cover:
                        cover[d, sid].SetCoefficient(var, 1)
            picks.append(mine)
        objective.SetMinimization()
        return picks, convexity, cover

    def _solve_lp(self) -> tuple[float, dict[tuple[int, str], float], list[float]]:
        lp = pywraplp.Solver.CreateSolver("GLOP")
        _, convexity, cover = self._build_master(lp, integer=False)
        if lp.Solve() != pywraplp.Solver.OPTIMAL:
            raise RuntimeError("the master LP has no optimum")  # every pool row is feasible
        pi = {key: line.dual_value() for key, line in cover.items()}
        return lp.Objective().Value(), pi, [one.dual_value() for one in convexity]

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
        if not self.problem.employees:
            return self.bound
        # The pricing models, built once (a tenth of a second each at most) for every round.
        while len(self._pricers) < len(self.problem.employees):
            if time.monotonic() >= deadline:
                return self.bound
            e = len(self._pricers)
            self._pricers.append(_Pricer(self.problem, e, self._on[e], self._off[e]))
        with ThreadPoolExecutor(max(1, workers)) as pool:
            while time.monotonic() < deadline and self.rounds != max_rounds:
                self.rounds += 1
                value, pi, mu = self._solve_lp()
                self.lp_value = value
                jobs = [
                    pool.submit(pricer.price, pi, mu[e], seed + self.rounds, deadline)
                    for e, pricer in enumerate(self._pricers)
                ]
                results = [job.result() for job in jobs]
                added = 0
                for e, (row, _) in enumerate(results):
                    if row is None or row in self.pool[e]:
                        continue
                    cost = self.row_cost(e, row)
                    priced = sum(pi.get((d, s), 0.0) for d, s in enumerate(row) if s)
                    if cost - priced - mu[e] < -EPSILON:  # a negative reduced cost
                        self.pool[e][row] = cost
                        added += 1
                lagrangian = value + sum(min(0.0, bound) for _, bound in results)
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
