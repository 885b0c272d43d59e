"""Solving a gap-filling run: prune, model, solve, verify with the rules, cut, explain.

``solve_gaps`` is the engine; ``first_come_gaps`` the greedy baseline it is measured against;
both return a ``GapResult`` whose proposals break no safe-working rule, with the matching bound
beside them and a reason for every shift left open.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Mapping

from ortools.sat.python import cp_model

from bank.rules import WorkerSchedule
from rota.solver.gapfill.greedy import Tracker, best_first, first_come
from rota.solver.gapfill.model import GapModel
from rota.solver.gapfill.prepare import FAIR, MONOTONE_RULES, Prepared
from rota.solver.gapfill.problem import (
    Assignment,
    GapParams,
    GapProblem,
    GapResult,
    LeftOpen,
    OpenReason,
)
from rota.solver.params import make_solver

# Seconds kept back from the time limit for verifying, explaining and building the result.
RESERVE = 2.5


Cut = tuple[int, frozenset[int], frozenset[int]]


def verify(prep: Prepared, chosen: Mapping[int, int]) -> list[Cut]:
    """Every worker whose proposals break a rule: (worker, shifts involved, shifts whose
    absence takes part in the breach), for a no-good cut.

    Each proposal is checked against the worker's existing commitments and their other
    proposals with ``bank.rules.WorkerSchedule``, which reports every breach the shift takes
    part in, whatever rule: the same check as ``check_schedule`` on the whole schedule,
    limited to breaches that involve a proposal.
    """
    by_worker: dict[int, list[int]] = defaultdict(list)
    for sid, wid in chosen.items():
        by_worker[wid].append(sid)
    bad = []
    for wid, sids in by_worker.items():
        involved, absent = breaking(prep, wid, sids)
        if involved:
            bad.append((wid, involved, absent))
    return bad


def breaking(prep: Prepared, wid: int, sids: list[int]) -> tuple[frozenset[int], frozenset[int]]:
    """The proposed shifts of one worker that take part in a breach (empty: all clean), and
    the worker's other candidates that could mend a breach of a rule that is not monotone."""
    state = prep.states[wid]
    if len(sids) == 1:
        return (frozenset(sids) if prep.breaches(sids[0], wid) else frozenset()), frozenset()
    refs = {f"shift:{sid}": sid for sid in sids}
    involved: set[int] = set()
    absent: set[int] = set()
    others_of = [s for s in prep.shifts_of(wid) if s not in refs.values()]
    for sid in sids:
        others = state.schedule_with(prep.shifts[o] for o in sids if o != sid)
        for breach in others.check(prep.shifts[sid].commitment()):
            involved.update(refs[c.ref] for c in breach.refs if c.ref in refs)
            involved.add(sid)
            if breach.rule in MONOTONE_RULES:
                continue
            if breach.rule == "night_work_average":
                absent.update(others_of)  # any other shift changes the share of nights
                continue
            lo = min(c.start for c in breach.refs)
            hi = max(c.end for c in breach.refs)
            absent.update(
                o for o in others_of if prep.shifts[o].start < hi and prep.shifts[o].end > lo
            )
    return frozenset(involved), frozenset(absent)


def drop_breaches(prep: Prepared, chosen: dict[int, int]) -> int:
    """Drop the least valuable proposals of any worker whose schedule breaks a rule."""
    dropped = 0
    for wid, involved, _ in verify(prep, chosen):
        sids = [s for s, w in chosen.items() if w == wid]
        while involved:
            worst = min(involved, key=lambda s: (prep.pair_weight(s, wid), s))
            del chosen[worst]
            sids.remove(worst)
            dropped += 1
            involved = breaking(prep, wid, sids)[0]
    return dropped


def refill(
    prep: Prepared,
    chosen: dict[int, int],
    pairs: Mapping[int, list[int]] | None = None,
    deadline: float | None = None,
) -> dict[int, int]:
    """Fill what it can of the shifts left open, keeping every rule (greedy, best first),
    from the pruned candidates or the given lists."""
    pairs = prep.candidates if pairs is None else pairs
    tracker = Tracker(prep)
    for sid, wid in chosen.items():
        tracker.take(sid, wid)
    for sid in sorted(pairs, key=lambda s: (-prep.value[s], s)):
        if deadline is not None and time.perf_counter() > deadline:
            break
        if sid in tracker.chosen:
            continue
        for wid in sorted(pairs[sid], key=lambda w: (-prep.pair_weight(sid, w), w)):
            if tracker.fits(sid, wid):
                tracker.take(sid, wid)
                break
    return tracker.chosen


def score(prep: Prepared, chosen: Mapping[int, int]) -> tuple[int, dict[str, int]]:
    """Objective of an assignment and its named terms, recomputed from the assignment."""
    unfilled = sum(v for sid, v in prep.value.items() if sid not in chosen)
    filled = sum(prep.value[sid] for sid in chosen)
    preference = sum(
        prep.preference_penalty(prep.shifts[s], prep.states[w].worker) for s, w in chosen.items()
    )
    cost = sum(prep.cost_units(prep.shifts[s], w) for s, w in chosen.items())
    share = prep.fair_share()
    loads = Counter(chosen.values())
    fairness = sum(
        FAIR * max(0, n - share) + 2 * FAIR * max(0, n - share - 1) for n in loads.values()
    )
    terms = {"unfilled": unfilled, "preference": preference, "fairness": fairness, "cost": cost}
    return filled - preference - fairness - cost, terms


def explain(prep: Prepared, chosen: Mapping[int, int]) -> list[LeftOpen]:
    """Why each shift without a proposal stayed open."""
    problem = prep.problem
    tracker = Tracker(prep)
    for sid, wid in sorted(chosen.items(), key=lambda p: prep.shifts[p[0]].start):
        tracker.take(sid, wid)
    out = []
    for shift in problem.shifts:
        if shift.id in chosen:
            continue
        eligible = prep.eligible[shift.id]
        if not eligible:
            excluded = problem.excluded.get(shift.id, {})
            if excluded:
                why, count = max(excluded.items(), key=lambda kv: (kv[1], kv[0]))
                detail = f"Nobody eligible: most often {why} ({count} workers)"
            else:
                detail = "Nobody in the bank has this staff group and grade"
            out.append(LeftOpen(shift.id, OpenReason.NO_ELIGIBLE_WORKER, detail))
            continue
        rules: Counter = Counter()
        rule_ok = []
        for wid in eligible:
            found = prep.breaches(shift.id, wid)
            if found:
                rules.update({b.rule for b in found})
            else:
                rule_ok.append(wid)
        if not rule_ok:
            rule, count = rules.most_common(1)[0]
            detail = (
                f"Every eligible worker ({len(eligible)}) would break a safe-working rule: "
                f"most often {rule.replace('_', ' ')} ({count})"
            )
            out.append(LeftOpen(shift.id, OpenReason.RULES, detail, len(eligible), 0))
            continue
        weekly = busy = free = 0
        for wid in rule_ok:
            state = prep.states[wid]
            week = prep.week(shift.id, state.tz)
            if tracker.per_week[wid, week] >= state.room(week):
                weekly += 1
                continue
            schedule: WorkerSchedule | None = tracker.schedules.get(wid)
            if schedule is not None and schedule.check(shift.commitment()):
                busy += 1
            else:
                free += 1
        budget = problem.budget_pence
        if free and budget is not None and tracker.spent + shift.cost_pence > budget:
            reason = OpenReason.COST_CAP
            detail = f"Filling it would go over the budget of £{budget / 100:,.0f}"
        elif free:
            reason = OpenReason.TIME_LIMIT
            detail = f"{free} eligible workers were still free when the time limit came"
        elif weekly and not busy:
            reason = OpenReason.WEEKLY_LIMIT
            detail = f"All {weekly} eligible workers have reached their weekly limit"
        else:
            reason = OpenReason.WORKERS_USED
            detail = (
                f"All {len(rule_ok)} eligible workers are proposed for other shifts "
                f"that this one would clash with ({busy}) or at their weekly limit ({weekly})"
            )
        out.append(LeftOpen(shift.id, reason, detail, len(eligible), len(rule_ok)))
    return out


def _result(
    prep: Prepared,
    chosen: dict[int, int],
    *,
    status: str,
    started: float,
    upper: int,
    bound: float | None = None,
    rounds: int = 1,
    cuts: int = 0,
    dropped: int = 0,
    stats: dict[str, float] | None = None,
) -> GapResult:
    objective, terms = score(prep, chosen)
    assignments = tuple(
        Assignment(
            sid,
            wid,
            prep.problem.cost(prep.shifts[sid], wid),
            prep.states[wid].worker.accepts_assignments,
        )
        for sid, wid in sorted(chosen.items())
    )
    mark = time.perf_counter()
    left_open = tuple(explain(prep, chosen))
    if stats is not None:
        stats["explain_s"] = time.perf_counter() - mark
    return GapResult(
        status=status,
        assignments=assignments,
        left_open=left_open,
        objective=objective,
        best_bound=float(objective if bound is None else bound),
        penalties=terms,
        seconds=time.perf_counter() - started,
        upper_bound=upper,
        rounds=rounds,
        cuts=cuts,
        dropped=dropped,
        stats=stats or {},
    )


def upper_bound(problem: GapProblem) -> int:
    """Most shifts any proposal could fill: the matching that ignores the rules."""
    return Prepared(problem).upper_bound()[0]


def first_come_gaps(problem: GapProblem, params: GapParams = GapParams()) -> GapResult:
    """The greedy baseline: soonest shift first, first eligible worker it still fits."""
    started = time.perf_counter()
    prep = Prepared(problem, params.seed)
    chosen = first_come(prep)
    seconds = time.perf_counter() - started
    upper, _ = prep.upper_bound()
    return _result(
        prep, chosen, status="GREEDY", started=started, upper=upper, stats={"solve_s": seconds}
    )


def solve_gaps(problem: GapProblem, params: GapParams = GapParams()) -> GapResult:
    """Propose workers for open shifts: most shifts, then preferences, fairness and cost.

    Args:
        problem: Shifts, workers and who is eligible for what.
        params: Time limit (whole run), CP-SAT workers, seed, candidates per shift.

    Returns:
        Proposals that break no safe-working rule (checked with ``bank.rules``), the
        matching bound, and a reason for every shift left open.
    """
    started = time.perf_counter()
    deadline = started + params.time_limit
    stats: dict[str, float] = {}
    prep = Prepared(problem, params.seed)
    upper, unmatched = prep.upper_bound()
    stats["bound_s"] = time.perf_counter() - started
    prep.prune(params.top_k, unmatched)
    stats["pairs"] = sum(len(c) for c in prep.candidates.values())
    stats["prune_s"] = time.perf_counter() - started - stats["bound_s"]
    mark = time.perf_counter()
    start = best_first(prep)
    stats["hint_filled"] = len(start)
    stats["hint_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    gm = GapModel(prep)
    stats["model_s"] = time.perf_counter() - mark
    # The best rule-clean assignment so far: the greedy start is one.
    best, bound = dict(start), None
    best_score = score(prep, best)[0]
    # OPTIMAL only when a solve proved it on the model that holds every cut and broke nothing.
    status, statuses = "FEASIBLE", []
    chosen = best
    rounds = cuts = dropped = 0
    while True:
        remaining = deadline - time.perf_counter() - RESERVE
        if remaining <= 0.05 or not gm.x:
            break
        rounds += 1
        gm.hint(chosen)
        # Leave time for a re-solve should the rules find something the model missed.
        share = remaining if rounds == params.max_rounds else 0.7 * remaining
        solver = make_solver(share, params.workers, params.seed)
        code = solver.solve(gm.model)
        statuses.append(solver.status_name(code))
        if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        bound = solver.best_objective_bound
        found = gm.read(solver)
        bad = verify(prep, found)
        for wid, involved, absent in bad:
            gm.cut(wid, involved, absent)
            cuts += 1
        if bad:
            # Mend it at once (drop what breaks, refill greedily) so that a clean assignment
            # is at hand however the re-solve goes; the re-solve starts from it.
            dropped += drop_breaches(prep, found)
            found = refill(prep, found)
        found_score = score(prep, found)[0]
        if found_score >= best_score:
            best, best_score = found, found_score
            status = "OPTIMAL" if code == cp_model.OPTIMAL and not bad else "FEASIBLE"
        if not bad or rounds >= params.max_rounds:
            break
        chosen = found
    # Pruning kept K candidates a shift: a shift still open may have a worker further down its
    # full list who is free and fits (in a tight market, where the rules bind).
    open_ = {sid: prep.eligible[sid] for sid in prep.eligible if sid not in best}
    chosen = refill(prep, best, open_, deadline - RESERVE / 2)
    stats["refilled"] = len(chosen) - len(best)
    if stats["refilled"]:
        status = "FEASIBLE"  # the refill found what the pruned model could not see
    stats["solve_s"] = time.perf_counter() - mark - stats["model_s"]
    stats.update({f"n_{k}": float(v) for k, v in gm.counts.items()})
    stats["rounds_optimal"] = float(statuses.count("OPTIMAL"))
    return _result(
        prep,
        chosen,
        status=status,
        started=started,
        upper=upper,
        bound=bound,
        rounds=rounds,
        cuts=cuts,
        dropped=dropped,
        stats=stats,
    )
