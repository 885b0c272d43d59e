"""Bank operations, one module per aggregate. Services flush; the caller commits once."""

from bank.services.applications import (
    apply_for_shift,
    approve_application,
    decline_application,
)
from bank.services.booking import book_shift, cancel_booking
from bank.services.eligibility import (
    NotEligible,
    judge_shift,
    search_open_shifts,
    worker_context,
)
from bank.services.memberships import (
    banks_for_worker,
    decide_membership,
    request_membership,
    rule_set_for_worker,
    settings_of,
)
from bank.services.payroll import export_payroll
from bank.services.posting import import_shifts_csv, post_block
from bank.services.release import cancel_shift, escalate_rate, release_due_shifts, release_shift
from bank.services.settings import (
    declare_commitment,
    delete_commitment,
    set_instant_book,
    update_bank_settings,
)
from bank.services.shifts import (
    post_shift,
    rate_for,
    visible_shift_for_staff,
)
from bank.services.timesheets import (
    approve_payment,
    query_timesheet,
    sign_off,
    submit_timesheet,
)

__all__ = [
    "NotEligible",
    "apply_for_shift",
    "approve_application",
    "approve_payment",
    "banks_for_worker",
    "book_shift",
    "cancel_booking",
    "cancel_shift",
    "decide_membership",
    "declare_commitment",
    "decline_application",
    "delete_commitment",
    "escalate_rate",
    "export_payroll",
    "import_shifts_csv",
    "judge_shift",
    "post_block",
    "post_shift",
    "query_timesheet",
    "rate_for",
    "release_due_shifts",
    "release_shift",
    "request_membership",
    "rule_set_for_worker",
    "search_open_shifts",
    "settings_of",
    "set_instant_book",
    "sign_off",
    "submit_timesheet",
    "update_bank_settings",
    "visible_shift_for_staff",
    "worker_context",
]
