"""Pure rostering engine on CP-SAT: frozen dataclasses in, a roster and its costs out.

Imports nothing from Flask, SQLAlchemy or the application packages.
"""

from rota.solver.problem import Cover, Employee, Problem, Request, Roster, ShiftType
from rota.solver.result import Penalty, SolveResult, SolveStatus, roster_cost, roster_penalties
from rota.solver.search import solve

__all__ = [
    "Cover",
    "Employee",
    "Penalty",
    "Problem",
    "Request",
    "Roster",
    "ShiftType",
    "SolveResult",
    "SolveStatus",
    "roster_cost",
    "roster_penalties",
    "solve",
]
