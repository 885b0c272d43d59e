"""Preparing a gap-filling problem: rules per pair, scores, pruning, conflicts and the bound.

Everything here is shared by the CP-SAT model, the greedy baseline and the explanations, so the
three judge a proposal by the same rules: ``bank.rules.WorkerSchedule``, built once per worker
from all their commitments at every Trust.

Pruning: a shift in the reference ICS has a few hundred eligible workers, too many pairs for
the rules and for CP-SAT in 30 seconds. Each shift keeps its ``top_k`` best candidates that
pass the rules, scored by preference, cost, and how many shifts already hold the worker among
their candidates relative to the worker's weekly capacity (so the lists spread over the market
rather than all naming the same keen workers). Shifts are pruned most constrained first. Then a
matching on the pruned pairs is compared with the one on all pairs, and any shift it leaves out
gets ``4 x top_k`` more candidates: pruning must not cost a shift the bound says is fillable.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bank.rules import Breach, Commitment, WorkerSchedule
from rota.solver.gapfill.matching import max_b_matching
from rota.solver.gapfill.problem import GapProblem, GapWorker, OpenShift

# With no weekly limit of their own, nobody can work more than 7 shifts in a calendar week
# under an 11 h rest rule: a safe cap for the bound.
NO_LIMIT_PER_WEEK = 7

# Rules that adding shifts can only make worse: a set of proposals that breaks one is a no-good
# for every superset too. The others (rest after a run, which another night in between turns
# into a longer run; the night-worker average, which more day shifts can lift) are not, so
# they are never cut pairwise, and their lazy cuts name the shifts whose absence matters too.
MONOTONE_RULES = frozenset(
    {
        "overlap",
        "max_shift",
        "min_rest",
        "rolling_hours",
        "average_hours",
        "consecutive_shifts",
        "consecutive_long_shifts",
        "consecutive_nights",
        "consecutive_long_evenings",
        "weekend_frequency",
        "weekly_rest",
    }
)

# Objective weights (maximised), each tier worth more than everything below it can add up to
# in realistic runs: filling a shift beats any urgency or date tie-break on ten shifts; urgency
# and soonness beat preferences; preferences beat fairness; fairness beats cost.
FILL = 1_000_000
URGENT = 100_000
SOON = 10_000
PREF_TRUST = 1_000
PREF_SITE = 500
FAIR = 100  # per shift above the fair share; twice that for each shift above share + 1
COST = 99  # the dearest candidate pair costs this much; others in proportion


def week_of(shift: OpenShift | Commitment, tz: str) -> int:
    """Ordinal of the local Monday of the week the shift starts in."""
    local = shift.start.astimezone(ZoneInfo(tz))
    return local.toordinal() - local.weekday()


@dataclass
class WorkerState:
    """A worker, their schedule of existing commitments, and their weekly room."""

    worker: GapWorker
    schedule: WorkerSchedule
    existing_per_week: Counter = field(default_factory=Counter)

    @property
    def tz(self) -> str:
        return self.worker.rule_set.definitions.timezone

    def room(self, week: int) -> int:
        """More bank shifts the worker takes in this week (their own limit)."""
        cap = self.worker.max_shifts_per_week
        cap = NO_LIMIT_PER_WEEK if cap is None else cap
        return max(0, cap - self.existing_per_week[week])

    def schedule_with(self, shifts: Iterable[OpenShift]) -> WorkerSchedule:
        """The worker's schedule with these shifts added."""
        extra = [s.commitment() for s in shifts]
        if not extra:
            return self.schedule
        return WorkerSchedule(
            [*self.schedule.commitments, *extra],
            self.worker.rule_set,
            opted_out=self.worker.opted_out,
        )


class Prepared:
    """A problem made ready to solve: states, values, pruned candidates, conflicts."""

    def __init__(self, problem: GapProblem, seed: int = 0) -> None:
        self.problem = problem
        self.seed = seed
        self.shifts = {s.id: s for s in problem.shifts}
        self.states: dict[int, WorkerState] = {}
        for worker in problem.workers:
            if not worker.willing:
                continue
            schedule = WorkerSchedule(
                worker.commitments, worker.rule_set, opted_out=worker.opted_out
            )
            tz = worker.rule_set.definitions.timezone
            per_week = Counter(week_of(c, tz) for c in worker.commitments if c.kind == "bank")
            self.states[worker.id] = WorkerState(worker, schedule, per_week)
        self.eligible: dict[int, list[int]] = {
            s.id: [w for w in problem.eligible.get(s.id, ()) if w in self.states]
            for s in problem.shifts
        }
        starts = [s.start.timestamp() for s in problem.shifts]
        first, last = (min(starts), max(starts)) if starts else (0.0, 0.0)
        span = max(last - first, 1.0)
        self.value = {
            s.id: FILL
            + (URGENT if s.urgent else 0)
            + round(SOON * (1 - (s.start.timestamp() - first) / span))
            for s in problem.shifts
        }
        costs = [s.cost_pence for s in problem.shifts] + list(problem.pair_cost_pence.values())
        self.max_cost = max([*costs, 1])
        self.candidates: dict[int, list[int]] = {}
        self._rule_cache: dict[tuple[int, int], list[Breach]] = {}
        self._by_worker: dict[int, list[int]] | None = None

    # -- rules -----------------------------------------------------------------------------

    def breaches(self, shift_id: int, worker_id: int) -> list[Breach]:
        """Rules the shift breaks on the worker's existing schedule alone (cached)."""
        key = (shift_id, worker_id)
        found = self._rule_cache.get(key)
        if found is None:
            state = self.states[worker_id]
            found = state.schedule.check(self.shifts[shift_id].commitment())
            self._rule_cache[key] = found
        return found

    def week(self, shift_id: int, worker_id: int) -> int:
        return week_of(self.shifts[shift_id], self.states[worker_id].tz)

    # -- objective pieces ------------------------------------------------------------------

    def preference_penalty(self, shift: OpenShift, worker: GapWorker) -> int:
        """Weighted penalty for a shift outside the worker's preferred Trusts and sites."""
        penalty = 0
        if worker.preferred_trust_ids and shift.trust_id not in worker.preferred_trust_ids:
            penalty += PREF_TRUST
        if worker.preferred_site_ids and shift.site_id not in worker.preferred_site_ids:
            penalty += PREF_SITE
        return penalty

    def cost_units(self, shift: OpenShift, worker_id: int) -> int:
        return round(COST * self.problem.cost(shift, worker_id) / self.max_cost)

    def pair_weight(self, shift_id: int, worker_id: int) -> int:
        """Objective coefficient of proposing this worker for this shift."""
        shift = self.shifts[shift_id]
        worker = self.states[worker_id].worker
        return (
            self.value[shift_id]
            - self.preference_penalty(shift, worker)
            - self.cost_units(shift, worker_id)
        )

    def _tiebreak(self, shift_id: int, worker_id: int) -> float:
        digest = hashlib.blake2b(
            f"{self.seed}:{shift_id}:{worker_id}".encode(), digest_size=4
        ).digest()
        return int.from_bytes(digest) / 2**32

    # -- the bound -------------------------------------------------------------------------

    def upper_bound(self, pairs: dict[int, list[int]] | None = None) -> tuple[int, list[int]]:
        """Maximum matching of shifts to (worker, week) capacities, ignoring the rules."""
        pairs = self.eligible if pairs is None else pairs
        index: dict[tuple[int, int], int] = {}
        capacity: list[int] = []
        adjacency: list[list[int]] = []
        order = [s.id for s in self.problem.shifts]
        weeks: dict[tuple[int, str], int] = {}
        for sid in order:
            row = []
            for wid in pairs.get(sid, ()):
                state = self.states[wid]
                wk_key = (sid, state.tz)
                week = weeks.get(wk_key)
                if week is None:
                    week = weeks[wk_key] = week_of(self.shifts[sid], state.tz)
                key = (wid, week)
                r = index.get(key)
                if r is None:
                    room = state.room(week)
                    if room <= 0:
                        continue
                    r = index[key] = len(capacity)
                    capacity.append(room)
                row.append(r)
            adjacency.append(row)
        size, match = max_b_matching(adjacency, capacity)
        return size, [sid for sid, r in zip(order, match, strict=True) if r == -1]

    # -- pruning ---------------------------------------------------------------------------

    def prune(self, top_k: int, unmatched_full: Iterable[int] = ()) -> None:
        """Keep each shift's ``top_k`` best candidates that pass the rules (see module doc)."""
        claimed: Counter = Counter()
        order = sorted(self.problem.shifts, key=lambda s: (len(self.eligible[s.id]), s.start))
        self._by_worker = None
        for shift in order:
            self.candidates[shift.id] = self._best(shift, top_k, claimed)
        # Shifts the full matching fills but the pruned one does not get more candidates.
        full_missing = set(unmatched_full)
        _, missing = self.upper_bound(self.candidates)
        for sid in missing:
            if sid in full_missing:
                continue
            extra = self._best(self.shifts[sid], 5 * top_k, claimed)
            self.candidates[sid] = list(dict.fromkeys([*self.candidates[sid], *extra]))

    def _best(self, shift: OpenShift, k: int, claimed: Counter) -> list[int]:
        def score(wid: int) -> float:
            state = self.states[wid]
            room = max(1, state.room(week_of(shift, state.tz)))
            return (
                self.preference_penalty(shift, state.worker) / PREF_SITE
                + self.cost_units(shift, wid) / COST
                + 2.0 * claimed[wid] / room
                + self._tiebreak(shift.id, wid)
            )

        ranked = sorted(self.eligible[shift.id], key=score)
        chosen: list[int] = []
        for wid in ranked:
            if len(chosen) >= k:
                break
            state = self.states[wid]
            if state.room(week_of(shift, state.tz)) <= 0 or self.breaches(shift.id, wid):
                continue
            chosen.append(wid)
            claimed[wid] += 1
        return chosen

    # -- conflicts between two proposals for one worker ------------------------------------

    def pair_conflicts(self, worker_id: int, shift_ids: list[int]) -> list[tuple[int, int]]:
        """Pairs of the worker's candidate shifts that break a rule together.

        Overlap and rest are decided from the times; any other rule that only gets worse with
        more shifts (72 h in 7 days, runs, weekends ...) by asking the rules.
        """
        state = self.states[worker_id]
        rs = state.worker.rule_set
        rest = rs.min_rest.total_seconds() if rs.min_rest is not None else 0.0
        shifts = sorted((self.shifts[s] for s in shift_ids), key=lambda s: s.start)
        out: list[tuple[int, int]] = []
        with_first: dict[int, WorkerSchedule] = {}
        for i, a in enumerate(shifts):
            for b in shifts[i + 1 :]:
                gap = (b.start - a.end).total_seconds()
                if gap < rest:
                    out.append((a.id, b.id))
                    continue
                schedule = with_first.get(a.id)
                if schedule is None:
                    schedule = with_first[a.id] = state.schedule.with_commitment(a.commitment())
                if any(br.rule in MONOTONE_RULES for br in schedule.check(b.commitment())):
                    out.append((a.id, b.id))
        return out

    def shifts_of(self, worker_id: int) -> list[int]:
        """The shifts the worker is a (pruned) candidate for."""
        if self._by_worker is None:
            self._by_worker = {}
            for sid, wids in self.candidates.items():
                for wid in wids:
                    self._by_worker.setdefault(wid, []).append(sid)
        return self._by_worker.get(worker_id, [])

    def fair_share(self) -> int:
        """Shifts per worker above which fairness starts to cost."""
        workers = {w for ws in self.candidates.values() for w in ws}
        if not workers:
            return 1
        return max(1, math.ceil(len(self.problem.shifts) / len(workers)))
