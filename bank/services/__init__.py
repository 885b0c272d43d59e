"""Bank operations, one module per aggregate. Services flush; the caller commits once."""

from bank.services.booking import (
    NotEligible,
    apply_for_shift,
    approve_application,
    book_shift,
    cancel_booking,
    decline_application,
    judge_shift,
    search_open_shifts,
    worker_context,
)
from bank.services.memberships import (
    banks_for_worker,
    decide_membership,
    request_membership,
    rule_set_for_worker,
)
from bank.services.shifts import (
    post_shift,
    rate_for,
    visible_shift_for_staff,
)

__all__ = [
    "NotEligible",
    "apply_for_shift",
    "approve_application",
    "banks_for_worker",
    "book_shift",
    "cancel_booking",
    "decide_membership",
    "decline_application",
    "judge_shift",
    "post_shift",
    "rate_for",
    "request_membership",
    "rule_set_for_worker",
    "search_open_shifts",
    "visible_shift_for_staff",
    "worker_context",
]
