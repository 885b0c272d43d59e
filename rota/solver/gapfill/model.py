"""The CP-SAT model of a gap-filling run, and its lazy rule cuts.

Variables: ``x[s, w]``, worker ``w`` proposed for shift ``s``, for the pruned candidate pairs
(each of which passes every rule on the worker's existing schedule). The constraints encode
what two or more proposals for one worker can break; ``verify`` then checks each worker's whole
resulting schedule with ``bank.rules`` and anything still broken (runs of nights over four
shifts, three weekends ...) comes back as a no-good cut.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from ortools.sat.python import cp_model

from bank.rules import RuleSet, WorkerSchedule
from bank.rules.model import WEEK_S
from rota.solver.gapfill.prepare import FAIR, Prepared


def window_rules(rule_set: RuleSet, opted_out: bool) -> list[tuple[int, int]]:
    """(window seconds, most seconds worked in it) of the hours rules CP-SAT encodes.

    The 72 h in 7 days and the average weekly hours; the WTR night-work average depends on
    whether the worker turns out to be a night worker, so it is left to the lazy check.
    """
    rules = []
    if rule_set.rolling is not None:
        rules.append(
            (int(rule_set.rolling.window.total_seconds()), round(rule_set.rolling.max_hours * 3600))
        )
    average = rule_set.average
    if average is not None:
        weekly = average.opted_out_max_weekly_hours if opted_out else average.max_weekly_hours
        if weekly is not None:
            rules.append((average.weeks * WEEK_S, round(weekly * average.weeks * 3600)))
    return rules


def rest_cliques(spans: list[tuple[int, int, int]], rest: int) -> list[list[int]]:
    """Maximal sets of shifts (start, end, id) that pairwise overlap or leave under ``rest``.

    Two shifts clash when their intervals stretched by the rest, [start, end + rest), overlap,
    so the clashes form an interval graph, whose maximal cliques a sweep finds.
    """
    cliques: list[list[int]] = []
    active: list[tuple[int, int]] = []  # (stretched end, id)
    added = False
    for start, end, ident in sorted(spans):
        if any(e <= start for e, _ in active):
            if added and len(active) > 1:
                cliques.append([i for _, i in active])
            active = [(e, i) for e, i in active if e > start]
            added = False
        active.append((end + rest, ident))
        added = True
    if added and len(active) > 1:
        cliques.append([i for _, i in active])
    return cliques


class GapModel:
    """CP-SAT variables and constraints for the pruned candidates of a prepared problem."""

    def __init__(self, prep: Prepared, pair_rules: bool = False) -> None:
        self.prep = prep
        self.pair_rules = pair_rules
        self.model = cp_model.CpModel()
        m = self.model
        self.x: dict[tuple[int, int], cp_model.IntVar] = {}
        self.by_worker: dict[int, list[int]] = defaultdict(list)
        for sid, wids in prep.candidates.items():
            for wid in wids:
                self.x[sid, wid] = m.new_bool_var(f"x_{sid}_{wid}")
                self.by_worker[wid].append(sid)
        self.counts: dict[str, int] = defaultdict(int)

        # One worker per shift.
        for sid, wids in prep.candidates.items():
            if len(wids) > 1:
                m.add_at_most_one(self.x[sid, w] for w in wids)

        for wid, sids in self.by_worker.items():
            if len(sids) < 2:
                continue
            # Overlap and 11 h rest: shifts closer than the rest apart form an interval graph,
            # posted as one at-most-one per maximal clique rather than a clause per pair.
            state = prep.states[wid]
            for clique in rest_cliques([(*prep.epoch[s], s) for s in sids], state.rest):
                m.add_at_most_one(self.x[s, wid] for s in clique)
                self.counts["rest_cliques"] += 1
            # Optionally, any other rule two proposals break together (pairwise no-goods).
            if self.pair_rules:
                for a, b in prep.pair_conflicts(wid, sids, by_rules=True):
                    m.add_bool_or([~self.x[a, wid], ~self.x[b, wid]])
                    self.counts["pair_conflicts"] += 1
            # The worker's own weekly limit, less bank shifts already booked that week.
            weeks: dict[int, list[int]] = defaultdict(list)
            for sid in sids:
                weeks[prep.week(sid, state.tz)].append(sid)
            for week, in_week in weeks.items():
                room = state.room(week)
                if len(in_week) > room:
                    m.add(sum(self.x[s, wid] for s in in_week) <= room)
                    self.counts["weekly_limits"] += 1
            # Hours in rolling windows: 72 h in any 7 days, the average weekly hours.
            self._windows(wid, sids)

        # The run's budget.
        if prep.problem.budget_pence is not None:
            m.add(
                sum(prep.problem.cost(prep.shifts[s], w) * v for (s, w), v in self.x.items())
                <= prep.problem.budget_pence
            )

        # Fairness: a shift above the fair share costs FAIR, each one above share + 1 twice that.
        share = prep.fair_share()
        fairness = []
        self.over: list[tuple[int, int, cp_model.IntVar]] = []
        for wid, sids in self.by_worker.items():
            if len(sids) <= share:
                continue
            load = sum(self.x[s, wid] for s in sids)
            over = m.new_int_var(0, len(sids) - share, f"over_{wid}")
            m.add(over >= load - share)
            fairness.append(FAIR * over)
            self.over.append((wid, share, over))
            if len(sids) > share + 1:
                over2 = m.new_int_var(0, len(sids) - share - 1, f"over2_{wid}")
                m.add(over2 >= load - share - 1)
                fairness.append(2 * FAIR * over2)
                self.over.append((wid, share + 1, over2))
        m.maximize(sum(prep.pair_weight(s, w) * v for (s, w), v in self.x.items()) - sum(fairness))

    def _windows(self, wid: int, sids: list[int]) -> None:
        """Hours windows: checked at every breakpoint, where the worked time peaks."""
        prep, m = self.prep, self.model
        state = prep.states[wid]
        schedule: WorkerSchedule = state.schedule
        spans = [(sid, *prep.epoch[sid]) for sid in sids]
        lo, hi = min(s for _, s, _ in spans), max(e for _, _, e in spans)
        seen: set[tuple] = set()
        for length, limit in window_rules(state.worker.rule_set, state.worker.opted_out):
            if sum(e - s for _, s, e in spans) <= limit - schedule.worked(lo - length, hi + length):
                continue  # even all of them together fit
            points = {s for _, s, _ in spans} | {e - length for _, _, e in spans}
            points |= {it.s for it in schedule.items if lo - length <= it.s <= hi}
            points |= {it.e - length for it in schedule.items if lo - length <= it.e - length <= hi}
            for t in sorted(points):
                terms = [
                    (sid, min(t + length, e) - max(t, s))
                    for sid, s, e in spans
                    if min(t + length, e) > max(t, s)
                ]
                room = limit - schedule.worked(t, t + length)
                if sum(o for _, o in terms) <= room:
                    continue
                key = (length, room, tuple(terms))
                if key in seen:
                    continue
                seen.add(key)
                m.add(sum(o * self.x[sid, wid] for sid, o in terms) <= room)
                self.counts["hour_windows"] += 1

    def cut(self, worker_id: int, shift_ids: frozenset[int], absent: frozenset[int]) -> None:
        """No-good: the worker may not have all of ``shift_ids`` and none of ``absent``."""
        self.model.add_bool_or(
            [~self.x[s, worker_id] for s in shift_ids] + [self.x[s, worker_id] for s in absent]
        )
        self.counts["cuts"] += 1

    def hint(self, chosen: Mapping[int, int]) -> None:
        """Start the search from a known assignment (shift id -> worker id)."""
        self.model.clear_hints()
        load: dict[int, int] = defaultdict(int)
        for (sid, wid), var in self.x.items():
            taken = chosen.get(sid) == wid
            self.model.add_hint(var, taken)
            load[wid] += taken
        # A complete hint (fairness terms too) is a solution CP-SAT can take as it stands.
        for wid, above, var in self.over:
            self.model.add_hint(var, max(0, load[wid] - above))

    def read(self, solver: cp_model.CpSolver) -> dict[int, int]:
        """The assignment in the solver's last solution (shift id -> worker id)."""
        return {sid: wid for (sid, wid), var in self.x.items() if solver.boolean_value(var)}
