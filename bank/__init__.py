"""Shifts, banks, bookings, timesheets and the safe-working rules."""
