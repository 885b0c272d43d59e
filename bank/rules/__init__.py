"""Safe-working rules: is this shift safe for this worker, given all their work at every Trust?

A pure package (standard library only: no Flask, no database) used alike by the booking
service, the rota solver's model and the tests. The limits are data: one ``RuleSet`` per staff
group, defaulting to the contract terms recorded in shared/rules.md (beside the repository):

- doctors in training: the 2016 Terms and Conditions of Service for NHS doctors and dentists in
  training (England), as amended in 2019 (NHS Employers working hours FAQs,
  https://www.nhsemployers.org/pay-pensions-and-reward/medical-staff/doctors-and-dentists-in-training/rostering-and-exception-reporting/working-hours-and-patterns-faqs-updated-august;
  BMA on locum work, https://www.bma.org.uk/pay-and-contracts/working-hours/work-schedule/locum-work-for-junior-doctors;
  BMA rota checker, https://bma.org.uk/pay-and-contracts/working-hours/work-schedule/bma-rota-checker);
- everyone else: the Working Time Regulations 1998
  (https://www.gov.uk/maximum-weekly-working-hours/weekly-maximum-working-hours-and-opting-out).

Use: ``WorkerSchedule(commitments, rule_set, opted_out=...)`` once per worker, then
``schedule.check(candidate)`` for each open shift: every ``Breach`` the candidate takes part in
(rule code, a message for the worker, the commitments involved in time order). For a rota or a
solver result, ``check_schedule(commitments, rule_set)`` gives every breach once.
``required_break_minutes(length, rule_set)`` gives the breaks due, for timesheets.

Rule codes: overlap, max_shift, min_rest, rolling_hours, average_hours, night_work_average,
consecutive_shifts, rest_after_consecutive_shifts, consecutive_long_shifts,
rest_after_long_shifts, consecutive_nights, rest_after_nights, consecutive_long_evenings,
rest_after_long_evenings, weekend_frequency, weekly_rest.

Bank hours count toward every limit, together with the substantive rota hours a worker holds at
another Trust (TCS schedule 3 paras 43-44), so a candidate shift is checked against *all* of the
worker's commitments. Choices where the contract text leaves room:

- Hours are real hours (absolute time); local-time ideas use Europe/London.
- Night shift: at least 3 h of real time between 23:00 and 06:00 local (TCS 2016 definition).
- Long shift: more than 10 h. Long evening: a long shift ending after 23:00 that is not a night.
- Consecutive: shifts starting on consecutive local calendar days; a run is counted in days.
  The rest after a run is measured from the end of its last shift to the start of the next
  commitment of any kind; 46 h follows *any* run of nights (2019), 48 h follows a run that
  reached the limit for shifts, long shifts and long evenings.
- Weekend: any work between Saturday 00:00 and Monday 00:00 local (TCS: 00:01 Saturday to 23:59
  Sunday). A bank cannot see a rota cycle to average over, so "1 in 3" is read strictly: at most
  1 weekend worked in any 3 consecutive weekends (``WeekendLimit`` widens the window).
- Averages and the 72 h limit are rolling windows; a candidate breaks one when any window that
  holds part of it goes over. Hours the bank does not know about count as zero.
- WTR weekly rest: weeks start Monday 00:00 local (WTR reg. 11(6)); a week with no 24 h rest is
  still fine if a fortnight around it (with either neighbouring week) holds 48 h or 2 x 24 h.
- WTR night work (reg. 6): at most 8 h per 24 h over 17 weeks, leaving out one weekly rest day
  a week (816 h), for night workers: the caller may say so, else nights making up a third of
  the worker's shifts (a "regular feature", R v A-G for NI ex p Burns) make one. The opt-out
  does not lift this limit.
- The 2016 TCS rules stand in place of the WTR's derogable rest and night-work rules for doctors
  in training (hospital derogation, WTR reg. 21), so their rule set does not repeat those.
- Times are resolved to the second; the candidate must not already be among the commitments.
"""

from bank.rules.model import Breach, Commitment
from bank.rules.ruleset import (
    DOCTOR_IN_TRAINING,
    DOCTORS_IN_TRAINING,
    RULE_SETS,
    WORKING_TIME_REGULATIONS,
    WTR,
    AverageLimit,
    BreakRule,
    Definitions,
    NightWorkLimit,
    RuleSet,
    RunLimit,
    WeekendLimit,
    WeeklyRest,
    WindowLimit,
    required_break_minutes,
    rule_set_for,
)
from bank.rules.schedule import WorkerSchedule, check_schedule

__all__ = [
    "DOCTORS_IN_TRAINING",
    "DOCTOR_IN_TRAINING",
    "RULE_SETS",
    "WORKING_TIME_REGULATIONS",
    "WTR",
    "AverageLimit",
    "Breach",
    "BreakRule",
    "Commitment",
    "Definitions",
    "NightWorkLimit",
    "RuleSet",
    "RunLimit",
    "WeekendLimit",
    "WeeklyRest",
    "WindowLimit",
    "WorkerSchedule",
    "check_schedule",
    "required_break_minutes",
    "rule_set_for",
]
