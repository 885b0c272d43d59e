"""Rota operations: define a department's rota, solve it, review and edit it, publish it.

Services flush and never commit; the entry point wraps each call in `app.db.transaction()`.
The one exception is `run_solve`, the body of a solve run, which is itself an entry point
(it runs outside any request) and commits its progress as it goes.

One module per stage: `definition` (the rota's parts), `removing` (taking parts off a draft,
deleting a draft), `review` (reading a rota into the builder's terms, its review, editing by
hand), `solving` (solve runs), `publishing`.
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
    rule_set_code_for,
)
from rota.services.publishing import publish_rota
from rota.services.removing import (
    delete_rota,
    remove_cover,
    remove_grade_group,
    remove_leave,
    remove_member,
    remove_request,
    remove_shift_type,
)
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
from rota.services.solving import (
    launch,
    live_run,
    run_review,
    run_solve,
    solve_runs,
    start_solve,
)

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
    "delete_rota",
    "edit_assignment",
    "launch",
    "live_run",
    "publish_rota",
    "remove_cover",
    "remove_grade_group",
    "remove_leave",
    "remove_member",
    "remove_request",
    "remove_shift_type",
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
