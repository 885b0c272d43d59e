"""The gap-filling problem: open bank shifts, bank workers and who may take what.

Frozen dataclasses only; the adapter (``rota.gapfill_service``) builds them from the database,
the benchmark builds them in memory. Eligibility that needs the database (bank membership,
staff group and grade, the passport) is decided by the adapter with the booking service's own
functions, and arrives here as each shift's list of eligible workers plus, for the others, a
count of why they were excluded. The safe-working rules are checked here, with ``bank.rules``,
the same definition the booking service uses.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from bank.rules import DOCTORS_IN_TRAINING, Commitment, RuleSet


class OpenReason(StrEnum):
    """Why a shift was left open."""

    NO_ELIGIBLE_WORKER = "no_eligible_worker"  # nobody passes bank, grade and passport
    RULES = "rules"  # every eligible worker would break a safe-working rule
    WEEKLY_LIMIT = "weekly_limit"  # every eligible worker is at their own weekly limit
    WORKERS_USED = "workers_used"  # eligible workers are all taken by other proposals
    COST_CAP = "cost_cap"  # filling it would go over the run's budget
    TIME_LIMIT = "time_limit"  # a worker was free, but the solver ran out of time


@dataclass(frozen=True, slots=True)
class OpenShift:
    """An open bank shift.

    Attributes:
        id: The shift's id (the database id in the adapter).
        start: Aware start time.
        end: Aware end time.
        trust_id: Trust the shift is at.
        site_id: Site, for workers' site preferences (optional).
        urgent: Flagged urgent by the department: filled first.
        cost_pence: What filling it costs (rate x hours).
        label: How people know it ("Acute Medicine, Mon 08:00"), for messages.
    """

    id: int
    start: datetime
    end: datetime
    trust_id: int
    site_id: int | None = None
    urgent: bool = False
    cost_pence: int = 0
    label: str = ""

    def commitment(self) -> Commitment:
        """The shift as the rules see it."""
        return Commitment(f"shift:{self.id}", self.start, self.end, self.trust_id, "bank")


@dataclass(frozen=True, slots=True)
class GapWorker:
    """A bank worker and everything the rules and preferences need about them.

    Attributes:
        id: The worker's id.
        commitments: All their work at every Trust in the rules' horizon (bookings, declared
            rota shifts), so that proposals are checked across all their Trusts.
        rule_set: Their safe-working rule set (by staff group).
        opted_out: Signed the WTR opt-out (56 h average for doctors in training).
        max_shifts_per_week: Their own cap on bank shifts per calendar week (None: no cap).
        preferred_trust_ids: Trusts they prefer (empty: no preference).
        preferred_site_ids: Sites they prefer (empty: no preference).
        accepts_assignments: Opted in to being booked by the solver; others get offers.
        willing: False keeps them out of the run altogether (e.g. paused their bank work).
    """

    id: int
    commitments: tuple[Commitment, ...] = ()
    rule_set: RuleSet = DOCTORS_IN_TRAINING
    opted_out: bool = False
    max_shifts_per_week: int | None = None
    preferred_trust_ids: frozenset[int] = frozenset()
    preferred_site_ids: frozenset[int] = frozenset()
    accepts_assignments: bool = False
    willing: bool = True


def _freeze(mapping: Mapping) -> Mapping:
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True)
class GapProblem:
    """One gap-filling run.

    Attributes:
        shifts: The open shifts.
        workers: The workers who may be proposed.
        eligible: For each shift id, the ids of workers who pass bank membership, staff group,
            grade and passport (the rules are checked by the solver).
        excluded: For each shift id, how many other workers failed each check, by reason
            (``"not_member"``, ``"grade"``, ``"passport:dbs_enhanced"`` ...), to explain a shift
            nobody can take.
        budget_pence: Most the run may spend in total (None: no cap).
        pair_cost_pence: Cost of a (shift id, worker id) pair when it differs from the shift's.
    """

    shifts: tuple[OpenShift, ...]
    workers: tuple[GapWorker, ...]
    eligible: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    excluded: Mapping[int, Mapping[str, int]] = field(default_factory=dict)
    budget_pence: int | None = None
    pair_cost_pence: Mapping[tuple[int, int], int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "eligible", _freeze(self.eligible))
        object.__setattr__(
            self, "excluded", _freeze({k: _freeze(v) for k, v in self.excluded.items()})
        )
        object.__setattr__(self, "pair_cost_pence", _freeze(self.pair_cost_pence))

    def cost(self, shift: OpenShift, worker_id: int) -> int:
        """Cost of the shift when this worker fills it."""
        return self.pair_cost_pence.get((shift.id, worker_id), shift.cost_pence)


@dataclass(frozen=True, slots=True)
class GapParams:
    """How hard and how long to search.

    Attributes:
        time_limit: Wall-clock seconds for the whole run, preparation included.
        workers: CP-SAT search threads.
        seed: Random seed (CP-SAT and the tie-breaks).
        top_k: Candidates kept per shift after scoring (see ``prepare``: how 12 was chosen).
        max_rounds: Most re-solves with lazy cuts before offending proposals are dropped.
    """

    time_limit: float = 30.0
    workers: int = 2
    seed: int = 0
    top_k: int = 12
    max_rounds: int = 8


@dataclass(frozen=True, slots=True)
class Assignment:
    """One proposal: this worker for this shift."""

    shift_id: int
    worker_id: int
    cost_pence: int
    book: bool  # the worker accepts assignments: book them; otherwise offer it


@dataclass(frozen=True, slots=True)
class LeftOpen:
    """A shift left open and why.

    Attributes:
        shift_id: The shift.
        reason: The reason code.
        detail: Words for the workforce team ("missing Enhanced DBS (31 workers)").
        eligible: Workers who passed bank, grade and passport.
        rule_ok: Of those, workers whose schedule the shift fits on its own.
    """

    shift_id: int
    reason: OpenReason
    detail: str
    eligible: int = 0
    rule_ok: int = 0


@dataclass(frozen=True)
class GapResult:
    """What the gap filler proposes.

    Attributes:
        status: ``"OPTIMAL"`` when CP-SAT proved the proposals best on the pruned model with
            every cut, ``"FEASIBLE"`` otherwise (always rule-clean), ``"GREEDY"`` for the
            baseline.
        assignments: The proposals, each checked against every safe-working rule.
        left_open: Every shift without a proposal, with its reason.
        objective: Objective value of the proposals (higher is better).
        best_bound: CP-SAT's best bound on the objective of the pruned model (a shift refilled
            from its full list afterwards can take the objective past it).
        penalties: Named terms of the objective (fill, urgent, soon, preference, fairness, cost).
        seconds: Wall time of the run.
        upper_bound: Most shifts any proposal could fill: a matching that ignores the rules.
        rounds: Solves run (1 + re-solves after lazy cuts).
        cuts: No-good cuts added for rules the model does not encode.
        dropped: Proposals dropped while mending a solve that broke a rule the model does
            not encode (the mended assignment is refilled greedily and hints the re-solve).
        stats: Sizes and timings, for the benchmark.
    """

    status: str
    assignments: tuple[Assignment, ...]
    left_open: tuple[LeftOpen, ...]
    objective: int
    best_bound: float
    penalties: Mapping[str, int]
    seconds: float
    upper_bound: int
    rounds: int = 1
    cuts: int = 0
    dropped: int = 0
    stats: Mapping[str, float] = field(default_factory=dict)

    @property
    def filled(self) -> int:
        """Shifts with a proposal."""
        return len(self.assignments)

    @property
    def cost_pence(self) -> int:
        """Total cost of the proposals."""
        return sum(a.cost_pence for a in self.assignments)
