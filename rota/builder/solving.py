"""Solving a rota: the engine, then verification, then repair or polish, within a time limit."""

from __future__ import annotations

import time as clock
from collections.abc import Callable
from dataclasses import dataclass, field

from rota.builder.reduction import (
    Reduction,
    build_problem,
    cells_from_roster,
)
from rota.builder.spec import (
    Cells,
    RotaSpec,
)
from rota.builder.verification import (
    Finding,
    verify,
)
from rota.solver import Roster, SolveResult, solve


@dataclass
class Proposal:
    """The best roster found so far and what is known about it."""

    result: SolveResult
    reduction: Reduction
    cells: Cells | None
    findings: list[Finding] = field(default_factory=list)
    rounds: int = 0


def solve_verified(
    spec: RotaSpec,
    *,
    time_limit: float,
    seed: int = 0,
    workers: int = 2,
    repair_rounds: int = 8,
    log: Callable[[str], None] | None = None,
    on_roster: Callable[[Proposal], None] | None = None,
) -> Proposal:
    """Solve, verify with bank.rules, keep breaching members off those days and solve again.

    Args:
        spec: The rota.
        time_limit: Seconds for everything.
        seed: The engine's random seed.
        workers: CP-SAT threads.
        repair_rounds: Most re-solves after a verification finds breaches. Keeping one
            trainee off an unsupervised shift often moves the next trainee onto it (the engine
            prices a missing senior the same whether or not a trainee works the shift), so
            repair takes a round per trainee: on the API test's ward, four rounds left an FY1
            alone on a Saturday night in 3 of 4 runs, eight cleared it in all 4 (each round
            takes a fraction of a second there).
        log: Progress lines (the engine's and ours).
        on_roster: Called with each better verified proposal (the best rota so far).

    Returns:
        The best proposal (fewest breaches, then lowest cost): its findings are empty unless
        repair ran out of rounds or time; without any roster, the last attempt.
    """
    deadline = clock.monotonic() + time_limit
    extra: dict[int, set[int]] = {}
    hint: Roster | None = None
    best: Proposal | None = None
    last: Proposal | None = None
    polishing = False  # a clean roster is in hand: spend what time is left improving it
    for round_no in range(repair_rounds + 2):
        left = deadline - clock.monotonic()
        if last is not None and left < 1.0:
            break
        if polishing:
            share = left
        elif round_no == 0 and repair_rounds:
            share = 0.3 * left  # a first rota to show soon; repairs and polish start from it
        else:
            share = left / max(1, repair_rounds + 1 - round_no)
        reduction = build_problem(spec, extra)
        result = solve(
            reduction.problem,
            time_limit=max(1.0, share),
            workers=workers,
            seed=seed + round_no,
            hint=hint,
            log=log,
        )
        cells = cells_from_roster(reduction, result.roster) if result.roster else None
        findings = verify(spec, cells) if cells is not None else []
        last = Proposal(result, reduction, cells, findings, round_no)
        if log:
            log(
                f"round {round_no + 1}: {result.status.value}, cost {result.objective}, "
                f"{len(findings)} rule breaches"
            )
        if cells is not None and (best is None or _rank(last) < _rank(best)):
            best = last
            if on_roster is not None:
                on_roster(best)
        if cells is None or polishing or round_no == repair_rounds:
            break
        if not findings:
            polishing, hint = True, result.roster
            continue
        for finding in findings:
            for member in finding.members or (finding.member_id,):
                if member is not None:
                    extra.setdefault(member, set()).add(finding.day)
        hint = tuple(
            tuple(
                None if d in extra.get(reduction.members[e.id], ()) else s
                for d, s in enumerate(row)
            )
            for e, row in zip(reduction.problem.employees, result.roster, strict=True)
        )
    assert last is not None
    return best or last


def _rank(proposal: Proposal) -> tuple[int, int]:
    """Fewer breaches first, then the lower cost."""
    return (len(proposal.findings), proposal.result.objective or 0)
