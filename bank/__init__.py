"""Shifts, banks, bookings, timesheets and the safe-working rules.

This package's `__init__` stays free of Flask and the database so that `bank.rules` (pure) can
be imported by the solver's worker process on its own; the bank's signal subscriptions are in
`bank.subscriptions`, which the application factory imports.
"""

import logging

logger = logging.getLogger(__name__)
