"""The gap filler: which bank worker takes which open shift across the collaborative bank.

Pure (no Flask, no database): ``GapProblem`` in, ``GapResult`` out. ``solve_gaps`` maximises,
in this order of weight, the shifts filled (urgent and soonest first), workers' preferences
(Trusts, sites), fairness (shifts spread among willing workers) and low cost, under every
safe-working rule of ``bank.rules`` across all of each worker's Trusts. ``first_come_gaps`` is
the greedy baseline and ``upper_bound`` the matching that bounds both.
"""

from rota.solver.gapfill.problem import (
    Assignment,
    GapParams,
    GapProblem,
    GapResult,
    GapWorker,
    LeftOpen,
    OpenReason,
    OpenShift,
)
from rota.solver.gapfill.solve import first_come_gaps, solve_gaps, upper_bound, verify

__all__ = [
    "Assignment",
    "GapParams",
    "GapProblem",
    "GapResult",
    "GapWorker",
    "LeftOpen",
    "OpenReason",
    "OpenShift",
    "first_come_gaps",
    "solve_gaps",
    "upper_bound",
    "verify",
]
