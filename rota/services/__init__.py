"""Rota operations: define a department's rota, solve it, review and edit it, publish it.

Services flush and never commit; the entry point wraps each call in `app.db.transaction()`.
The one exception is `run_solve`, the body of a solve run, which is itself an entry point
(it runs outside any request) and commits its progress as it goes.

One module per stage: `definition` (the rota's parts), `review` (reading a rota into the
builder's terms, its review, editing by hand), `solving` (solve runs), `publishing`.
"""

from rota.services.common import rota_for, rota_scope, run_for
from rota.services.definition import (
    add_cover,
    add_grade_group,
    add_leave,
    add_member,
    add_request,
    add_shift_type,
    create_rota,
    define_rota,
    remove_cover,
    remove_member,
    rule_set_code_for,
)
from rota.services.publishing import publish_rota
from rota.services.review import (
    PenaltyLine,
    Review,
    Shortfall,
    _made_worse,
    current_cells,
    edit_assignment,
    review,
    review_cells,
    spec_from_rota,
)
from rota.services.solving import launch, run_review, run_solve, solve_runs, start_solve

__all__ = [
    "PenaltyLine",
    "Review",
    "Shortfall",
    "_made_worse",
    "add_cover",
    "add_grade_group",
    "add_leave",
    "add_member",
    "add_request",
    "add_shift_type",
    "create_rota",
    "current_cells",
    "define_rota",
    "edit_assignment",
    "launch",
    "publish_rota",
    "remove_cover",
    "remove_member",
    "review",
    "review_cells",
    "rota_for",
    "rota_scope",
    "rule_set_code_for",
    "run_for",
    "run_review",
    "run_solve",
    "solve_runs",
    "spec_from_rota",
    "start_solve",
]
