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
gets ``5 x top_k`` more candidates: pruning must not cost a shift the bound says is fillable.

How K (``GapParams.top_k``, default 12) was chosen, on the reference ICS (``python -m
bench.gapfill``: 2,001 open shifts, ~1.1 million eligible pairs, bound 1,919) at 30 s on this
2-core machine while it was shared (load average 8): K=4 filled 1,892 (thin lists left the
lazy rounds' mending little to choose from); K=8 and K=12 filled all 1,919, CP-SAT improving
fairness on its greedy start (K=12 spread shifts over 1,666 workers, at most 3 each); K=24
(46,000 pairs) filled 1,919 too but CP-SAT's presolve no longer ended inside the limit, so the
answer was the greedy start. K=12 is the middle of the range that reaches the bound.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bank.rules import Breach, Commitment, WorkerSchedule
from bank.rules.model import WEEK_S
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


def _spans(commitments: Iterable[Commitment]) -> tuple[list[int], list[int]]:
    pairs = sorted((int(c.start.timestamp()), int(c.end.timestamp())) for c in commitments)
    return [a for a, _ in pairs], [b for _, b in pairs]


@dataclass
class WorkerState:
    """A worker, their schedule of existing commitments (built on first use), weekly room."""

    worker: GapWorker
    existing_per_week: Counter = field(default_factory=Counter)
    _schedule: WorkerSchedule | None = None
    _starts: list[int] = field(default_factory=list)
    _ends: list[int] = field(default_factory=list)
    rest: int = 0

    def __post_init__(self) -> None:
        self._starts, self._ends = _spans(self.worker.commitments)
        rest = self.worker.rule_set.min_rest
        self.rest = int(rest.total_seconds()) if rest is not None else 0

    def clashes(self, s: int, e: int) -> bool:
        """Quick test: the span [s, e) overlaps, or is short of rest from, existing work.

        True only for a real breach (overlap or min_rest); False may still breach other rules.
        """
        i = bisect_left(self._starts, e + self.rest)
        ends = self._ends
        return any(ends[j] + self.rest > s for j in range(i - 1, max(-1, i - 4), -1))

    @property
    def schedule(self) -> WorkerSchedule:
        if self._schedule is None:
            w = self.worker
            self._schedule = WorkerSchedule(w.commitments, w.rule_set, opted_out=w.opted_out)
        return self._schedule

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
            tz = worker.rule_set.definitions.timezone
            per_week = Counter(week_of(c, tz) for c in worker.commitments if c.kind == "bank")
            self.states[worker.id] = WorkerState(worker, per_week)
        self.epoch = {
            s.id: (int(s.start.timestamp()), int(s.end.timestamp())) for s in problem.shifts
        }
        self._weeks: dict[tuple[int, str], int] = {}
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
        self._rule_cache: dict[tuple[int, int, int], list[Breach]] = {}
        self._empty: dict[tuple[int, bool], WorkerSchedule] = {}
        self._by_worker: dict[int, list[int]] | None = None

    # -- rules -----------------------------------------------------------------------------

    def breaches(self, shift_id: int, worker_id: int) -> list[Breach]:
        """Rules the shift breaks on the worker's existing schedule alone.

        Cached by the shift's times, not its id: open shifts come in a few patterns a day, and
        the rules look only at times (the Trust appears only in messages).
        """
        s, e = self.epoch[shift_id]
        key = (worker_id, s, e)
        found = self._rule_cache.get(key)
        if found is None:
            state = self.states[worker_id]
            schedule = state._schedule
            if schedule is None and not state.worker.commitments:
                # Nothing else to check against: one empty schedule per rule set will do.
                w = state.worker
                empty_key = (id(w.rule_set), w.opted_out)
                schedule = self._empty.get(empty_key)
                if schedule is None:
                    schedule = self._empty[empty_key] = WorkerSchedule(
                        (), w.rule_set, opted_out=w.opted_out
                    )
            elif schedule is None:
                schedule = state.schedule
            found = schedule.check(self.shifts[shift_id].commitment())
            self._rule_cache[key] = found
        return found

    def week(self, shift_id: int, tz: str) -> int:
        """The shift's week (cached), in a worker's time zone."""
        key = (shift_id, tz)
        found = self._weeks.get(key)
        if found is None:
            found = self._weeks[key] = week_of(self.shifts[shift_id], tz)
        return found

    def fits_alone(self, shift_id: int, worker_id: int) -> bool:
        """The shift passes every rule on the worker's existing work, and their weekly room."""
        state = self.states[worker_id]
        if state.room(self.week(shift_id, state.tz)) <= 0:
            return False
        if state.clashes(*self.epoch[shift_id]):
            return False
        return not self.breaches(shift_id, worker_id)

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

    # -- the bound -------------------------------------------------------------------------

    def upper_bound(self, pairs: dict[int, list[int]] | None = None) -> tuple[int, list[int]]:
        """Maximum matching of shifts to (worker, week) capacities, ignoring the rules."""
        pairs = self.eligible if pairs is None else pairs
        index: dict[tuple[int, int], int] = {}
        capacity: list[int] = []
        adjacency: list[list[int]] = []
        order = [s.id for s in self.problem.shifts]
        for sid in order:
            row = []
            for wid in pairs.get(sid, ()):
                state = self.states[wid]
                key = (wid, self.week(sid, state.tz))
                r = index.get(key)
                if r is None:
                    room = state.room(key[1])
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
        claimed: dict[int, int] = {}
        self._prefers: dict[int, set[int]] = {}
        self._neutral = set()
        for wid, state in self.states.items():
            for trust in state.worker.preferred_trust_ids:
                self._prefers.setdefault(trust, set()).add(wid)
            if not state.worker.preferred_trust_ids:
                self._neutral.add(wid)
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

    def _best(self, shift: OpenShift, k: int, claimed: dict[int, int]) -> list[int]:
        """The shift's best ``k`` candidates that pass the rules, in order of preference.

        Workers are walked in order of preference, then of how many shifts already name them.
        """
        sid = shift.id
        pool = self.eligible[sid]
        prefers = self._prefers.get(shift.trust_id, set())
        neutral = self._neutral
        salt = sid * 7919 + self.seed * 104729
        chosen: list[int] = []
        # Workers who prefer the shift's Trust, then those with no preference, then the rest;
        # within each, least often named so far first, then in a random order of the shift's
        # own, so that shifts do not all name the same workers.
        for group in (
            [w for w in pool if w in prefers],
            [w for w in pool if w in neutral],
            [w for w in pool if w not in prefers and w not in neutral],
        ):
            group.sort(
                key=lambda w: claimed.get(w, 0) * 2_000_000 + (w * 2654435761 + salt) % 1_000_003
            )
            for wid in group:
                if len(chosen) >= k:
                    break
                if self.fits_alone(sid, wid):
                    chosen.append(wid)
        for wid in chosen:
            claimed[wid] = claimed.get(wid, 0) + 1
        return chosen

    # -- conflicts between two proposals for one worker ------------------------------------

    def pair_conflicts(
        self, worker_id: int, shift_ids: list[int], by_rules: bool = True
    ) -> list[tuple[int, int]]:
        """Pairs of the worker's candidate shifts that break a rule together.

        Overlap and rest are decided from the times; with ``by_rules``, any other rule that
        only gets worse with more shifts (72 h in 7 days, runs, weekends ...) by asking the
        rules, for pairs starting within 7 days of each other.
        """
        state = self.states[worker_id]
        rest = state.rest
        spans = sorted((*self.epoch[s], s) for s in shift_ids)
        out: list[tuple[int, int]] = []
        with_first: dict[int, WorkerSchedule] = {}
        for i, (_, a_end, a) in enumerate(spans):
            for b_start, _, b in spans[i + 1 :]:
                if b_start - a_end < rest:
                    out.append((a, b))
                    continue
                if not by_rules or b_start - a_end > WEEK_S:
                    continue
                schedule = with_first.get(a)
                if schedule is None:
                    commitment = self.shifts[a].commitment()
                    schedule = with_first[a] = state.schedule.with_commitment(commitment)
                found = schedule.check(self.shifts[b].commitment())
                if any(br.rule in MONOTONE_RULES for br in found):
                    out.append((a, b))
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
