"""The CP-SAT model of a roster, or of one neighbourhood of it.

A model covers a set of *free* cells (employee x day); every other cell keeps the value it has in
an incumbent roster and enters the constraints as a constant. Free = everything gives the full
model; a few employees over the whole horizon, or everyone over a window of days, gives the
sub-models the large-neighbourhood search re-solves. Constant literals are plain Python bools, so
the constraint helpers below simplify them away before CP-SAT sees them.

Only constraints that touch a free cell are posted, so a free employee's rules must already hold
on the fixed part of the incumbent (or the employee must be free over the whole horizon).
"""

from __future__ import annotations

from collections.abc import Sequence

from ortools.sat.python import cp_model

from rota.solver.problem import Problem, Roster

#: A literal that may already be decided: a CP-SAT boolean (or its negation) or a constant.
Lit = cp_model.IntVar | cp_model.NotBooleanVariable | bool


def _neg(lit: Lit) -> Lit:
    return (not lit) if isinstance(lit, bool) else ~lit


def add_clause(model: cp_model.CpModel, lits: Sequence[Lit]) -> None:
    """Require at least one of ``lits`` to be true, folding constants away.

    Args:
        model: Model to add to.
        lits: Literals or constants.
    """
    free: list[Lit] = []
    for lit in lits:
        if isinstance(lit, bool):
            if lit:
                return
            continue
        free.append(lit)
    # An empty clause makes the model infeasible, which is exactly what an all-false clause means.
    model.add_bool_or(free)


def add_at_most_one(model: cp_model.CpModel, lits: Sequence[Lit]) -> None:
    """Allow at most one of ``lits`` to be true, folding constants away.

    Args:
        model: Model to add to.
        lits: Literals or constants.
    """
    trues = sum(1 for lit in lits if lit is True)
    free = [lit for lit in lits if not isinstance(lit, bool)]
    if trues > 1:
        model.add_bool_or([])
    elif trues == 1:
        for lit in free:
            model.add_bool_or([_neg(lit)])
    elif len(free) > 1:
        model.add_at_most_one(free)


def linear_terms(terms: Sequence[tuple[int, Lit]]) -> tuple[list[cp_model.IntVar], list[int], int]:
    """Split weighted literals into CP-SAT terms and a constant.

    Args:
        terms: ``(coefficient, literal)`` pairs.

    Returns:
        ``(vars, coeffs, constant)`` with ``sum(coeffs * vars) + constant`` equal to the sum.
    """
    variables: list[cp_model.IntVar] = []
    coeffs: list[int] = []
    constant = 0
    for coeff, lit in terms:
        if isinstance(lit, bool):
            constant += coeff * int(lit)
        else:
            variables.append(lit)
            coeffs.append(coeff)
    return variables, coeffs, constant


def _add_between(
    model: cp_model.CpModel, terms: Sequence[tuple[int, Lit]], low: int, high: int
) -> None:
    variables, coeffs, constant = linear_terms(terms)
    if not variables:
        if not low <= constant <= high:
            model.add_bool_or([])
        return
    lo = low - constant
    hi = high - constant
    if lo <= 0 and hi >= sum(coeffs):
        return  # always satisfied: no need to burden presolve with it
    model.add_linear_constraint(cp_model.LinearExpr.weighted_sum(variables, coeffs), lo, hi)


class RosterModel:
    """A CP-SAT model over the free cells of a roster.

    Args:
        problem: The rostering problem.
        incumbent: Values of the cells that are not free (and the default hint).
        employees: Indices of the free employees; all when None.
        days: Free days; the whole horizon when None.
        hint: Whether to hint the free cells with their incumbent values.
        penalties: Whether to post the cover and request penalties as the objective; without
            them the model holds only the hard rules, for a caller's own objective.
    """

    def __init__(
        self,
        problem: Problem,
        incumbent: Roster | None = None,
        employees: Sequence[int] | None = None,
        days: range | None = None,
        hint: bool = True,
        penalties: bool = True,
    ) -> None:
        self.problem = problem
        self.incumbent = incumbent if incumbent is not None else problem.all_off()
        self.employees = list(range(len(problem.employees)) if employees is None else employees)
        self.days = range(problem.days) if days is None else days
        self.model = cp_model.CpModel()
        self.shift_ids = [s.id for s in problem.shifts]
        self.shift_pos = problem.shift_index()
        self._free_employee = [False] * len(problem.employees)
        for e in self.employees:
            self._free_employee[e] = True
        # x[e][d] maps a shift index to its literal, for free cells only.
        self.x: dict[tuple[int, int], dict[int, cp_model.IntVar]] = {}
        self._work: dict[tuple[int, int], Lit] = {}
        self._weekends: list[tuple[cp_model.IntVar, int, tuple[int, ...]]] = []
        self._covers: list[tuple[cp_model.IntVar, cp_model.IntVar, int, int, int]] = []
        self.objective_terms: list[tuple[int, cp_model.IntVar]] = []
        self.objective_offset = 0

        groups: dict[tuple[int, ...], list[int]] = {}
        for s, st in enumerate(problem.shifts):
            banned = tuple(
                sorted(self.shift_pos[t] for t in st.forbidden_next if t in self.shift_pos)
            )
            if banned:
                groups.setdefault(banned, []).append(s)
        self._successor_groups = [(today, banned) for banned, today in groups.items()]

        self._create_cell_variables()
        for e in self.employees:
            self._add_employee_rules(e)
        if penalties:
            self._add_cover_penalties()
            self._add_request_penalties()
        variables = [v for _, v in self.objective_terms]
        coeffs = [c for c, _ in self.objective_terms]
        #: The cost of the roster the model describes.
        self.objective = cp_model.LinearExpr.weighted_sum(variables, coeffs) + self.objective_offset
        self.model.minimize(self.objective)
        if hint:
            self.add_hint(self.incumbent)

    # -- cells -------------------------------------------------------------------------------

    def is_free(self, e: int, d: int) -> bool:
        """Whether cell (employee ``e``, day ``d``) is decided by this model."""
        return self._free_employee[e] and d in self.days

    def cell(self, e: int, d: int, s: int) -> Lit:
        """Literal for "employee ``e`` works shift type ``s`` on day ``d``"."""
        if self.is_free(e, d):
            return self.x[e, d].get(s, False)
        return self.incumbent[e][d] == self.shift_ids[s]

    def work(self, e: int, d: int) -> Lit:
        """Literal for "employee ``e`` works on day ``d``"."""
        if self.is_free(e, d):
            return self._work[e, d]
        return self.incumbent[e][d] is not None

    def _create_cell_variables(self) -> None:
        problem = self.problem
        for e in self.employees:
            emp = problem.employees[e]
            allowed = [
                s for s, st in enumerate(problem.shifts) if emp.limit_for(st.id, problem.days) > 0
            ]
            for d in self.days:
                if d in emp.days_off or not allowed:
                    self.x[e, d] = {}
                    self._work[e, d] = False
                    continue
                xs = {s: self.model.new_bool_var(f"x_{e}_{d}_{s}") for s in allowed}
                self.x[e, d] = xs
                if len(xs) == 1:
                    self._work[e, d] = next(iter(xs.values()))
                else:
                    # work <=> exactly one shift: also enforces "at most one shift a day".
                    work = self.model.new_bool_var(f"w_{e}_{d}")
                    self.model.add_exactly_one([~work, *xs.values()])
                    self._work[e, d] = work

    # -- hard rules of one employee ----------------------------------------------------------

    def _near_free(self, margin: int) -> range:
        return range(
            max(0, self.days.start - margin), min(self.problem.days, self.days.stop + margin)
        )

    def _add_employee_rules(self, e: int) -> None:
        emp = self.problem.employees[e]
        horizon = self.problem.days
        work = [self.work(e, d) for d in range(horizon)]

        # Shift types that may not follow each other on consecutive days. Types sharing the
        # same banned successors go in one at-most-one ("one of these today" excludes "one of
        # those tomorrow"): valid because each day holds at most one shift, and it cuts the
        # constraint count several times over on the 16-type instances.
        for d in self._near_free(1):
            if d + 1 >= horizon:
                continue
            for today, banned in self._successor_groups:
                add_at_most_one(
                    self.model,
                    [self.cell(e, d, s) for s in today] + [self.cell(e, d + 1, t) for t in banned],
                )

        # Most shifts of each type, and paid minutes within [min, max]. The days outside the
        # free window enter as one constant per type (a window of a 364-day row would otherwise
        # cost 364 x 16 cell look-ups per employee and per neighbourhood).
        row = self.incumbent[e]
        fixed = [row[d] for d in range(horizon) if not self.is_free(e, d)]
        minutes: list[tuple[int, Lit]] = []
        for s, st in enumerate(self.problem.shifts):
            cells: list[tuple[int, Lit]] = [(fixed.count(st.id), True)]
            cells += [(1, lit) for d in self.days if (lit := self.cell(e, d, s)) is not False]
            _add_between(self.model, cells, 0, emp.limit_for(st.id, horizon))
            minutes.extend((st.minutes * n, lit) for n, lit in cells)
        _add_between(self.model, minutes, emp.min_minutes, emp.max_minutes)

        # Redundant: the same limits as a count of working days. A plain cardinality
        # propagates early, while the weighted minutes sum only bites once most days are set.
        lengths = [st.minutes for st in self.problem.shifts if emp.limit_for(st.id, horizon) > 0]
        if lengths and min(lengths) > 0:
            fewest = -(-emp.min_minutes // max(lengths))
            most = emp.max_minutes // min(lengths)
            _add_between(self.model, [(1, w) for w in work], fewest, most)

        # No run of working days longer than max_consecutive: every window of max + 1 days
        # holds a day off.
        span = emp.max_consecutive + 1
        if span <= horizon:
            for start in self._near_free(span):
                if start + span <= horizon:
                    add_clause(self.model, [_neg(w) for w in work[start : start + span]])

        # Runs of work shorter than min_consecutive, and of rest shorter than min_days_off, are
        # forbidden patterns "off, work x L, off" (resp. "work, off x L, work"). Runs touching
        # the first or last day are exempt, so the pattern needs a bounding day on both sides.
        for length in range(1, emp.min_consecutive):
            for start in self._near_free(length + 1):
                if start >= 1 and start + length < horizon:
                    inner = [_neg(w) for w in work[start : start + length]]
                    add_clause(self.model, [work[start - 1], *inner, work[start + length]])
        for length in range(1, emp.min_days_off):
            for start in self._near_free(length + 1):
                if start >= 1 and start + length < horizon:
                    inner = list(work[start : start + length])
                    add_clause(
                        self.model, [_neg(work[start - 1]), *inner, _neg(work[start + length])]
                    )

        # Weekends worked: weekend k is days 7k+5 and 7k+6, worked if either is.
        weekends = [
            tuple(d for d in (7 * k + 5, 7 * k + 6) if d < horizon) for k in range(horizon // 7 + 1)
        ]
        weekends = [days for days in weekends if days]
        if emp.max_weekends < len(weekends):
            worked: list[tuple[int, Lit]] = []
            for days in weekends:
                lits = [work[d] for d in days]
                if all(isinstance(lit, bool) for lit in lits):
                    worked.append((1, any(lits)))
                    continue
                flag = self.model.new_bool_var(f"wk_{e}_{days[0]}")
                for lit in lits:
                    add_clause(self.model, [_neg(lit), flag])
                add_clause(self.model, [_neg(flag), *lits])
                self._weekends.append((flag, e, days))
                worked.append((1, flag))
            _add_between(self.model, worked, 0, emp.max_weekends)

    # -- soft rules --------------------------------------------------------------------------

    def _add_cover_penalties(self) -> None:
        # Head counts of the cells that stay fixed, counted once rather than per cover line.
        fixed: dict[tuple[int, str], int] = {}
        for e, row in enumerate(self.incumbent):
            for d in self.days:
                if row[d] is not None and not self._free_employee[e]:
                    fixed[d, row[d]] = fixed.get((d, row[d]), 0) + 1
        for cover in self.problem.covers:
            if cover.day not in self.days or cover.shift not in self.shift_pos:
                continue
            s = self.shift_pos[cover.shift]
            variables = [xs[s] for e in self.employees if (xs := self.x[e, cover.day]) and s in xs]
            constant = fixed.get((cover.day, cover.shift), 0)
            if not variables:
                # Nobody free can work it: a fixed cost, kept so the bound stays a true bound.
                short, extra = cover.requirement - constant, constant - cover.requirement
                self.objective_offset += cover.under_weight * max(0, short)
                self.objective_offset += cover.over_weight * max(0, extra)
                continue
            target = cover.requirement - constant
            under = self.model.new_int_var(0, max(0, target), f"under_{cover.day}_{s}")
            over = self.model.new_int_var(
                0, max(0, len(variables) - target), f"over_{cover.day}_{s}"
            )
            self.model.add(sum(variables) - target == over - under)
            self.objective_terms.append((cover.under_weight, under))
            self.objective_terms.append((cover.over_weight, over))
            self._covers.append((under, over, cover.day, s, target))

    def _add_request_penalties(self) -> None:
        staff = self.problem.employee_index()
        for requests, granted_when_worked in (
            (self.problem.on_requests, True),
            (self.problem.off_requests, False),
        ):
            for req in requests:
                e = staff[req.employee]
                if not self.is_free(e, req.day) or req.shift not in self.shift_pos:
                    continue
                lit = self.cell(e, req.day, self.shift_pos[req.shift])
                if isinstance(lit, bool):
                    # A decided cell: a fixed cost, kept so the bound stays a true bound.
                    unmet = lit != granted_when_worked
                    self.objective_offset += req.weight * unmet
                    continue
                if granted_when_worked:
                    self.objective_offset += req.weight
                    self.objective_terms.append((-req.weight, lit))
                else:
                    self.objective_terms.append((req.weight, lit))

    # -- hints and solutions -----------------------------------------------------------------

    def add_hint(self, roster: Roster) -> None:
        """Hint every variable with its value in ``roster`` (replacing earlier hints).

        Args:
            roster: A roster; only its free cells matter.
        """
        self.model.clear_hints()
        for (e, d), xs in self.x.items():
            for s, var in xs.items():
                self.model.add_hint(var, roster[e][d] == self.shift_ids[s])
            work = self._work[e, d]
            if len(xs) > 1 and not isinstance(work, bool):
                self.model.add_hint(work, roster[e][d] is not None)
        for flag, e, days in self._weekends:
            self.model.add_hint(flag, any(roster[e][d] is not None for d in days))
        for under, over, day, s, target in self._covers:
            shift_id = self.shift_ids[s]
            have = sum(1 for e in self.employees if roster[e][day] == shift_id)
            self.model.add_hint(under, max(0, target - have))
            self.model.add_hint(over, max(0, have - target))

    def solution(self, solver: cp_model.CpSolver) -> Roster:
        """The incumbent with the free cells replaced by the solver's current solution.

        Args:
            solver: A solver that found a solution of this model.

        Returns:
            The full roster.
        """
        rows = [list(row) for row in self.incumbent]
        for (e, d), xs in self.x.items():
            rows[e][d] = None
            for s, var in xs.items():
                if solver.boolean_value(var):
                    rows[e][d] = self.shift_ids[s]
        return tuple(tuple(row) for row in rows)
