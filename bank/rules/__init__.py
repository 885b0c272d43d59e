"""Safe-working rules: is this shift safe for this worker, given all their work at every Trust?

A pure package (standard library only: no Flask, no database) used alike by the booking
service, the rota solver's model and the tests. The limits are data: one ``RuleSet`` per staff
group, defaulting to the contract terms recorded in /work/shared/rules.md:

- doctors in training: the 2016 Terms and Conditions of Service for NHS doctors and dentists in
  training (England), as amended in 2019 (NHS Employers working hours FAQs,
  https://www.nhsemployers.org/pay-pensions-and-reward/medical-staff/doctors-and-dentists-in-training/rostering-and-exception-reporting/working-hours-and-patterns-faqs-updated-august;
  BMA on locum work, https://www.bma.org.uk/pay-and-contracts/working-hours/work-schedule/locum-work-for-junior-doctors;
  BMA rota checker, https://bma.org.uk/pay-and-contracts/working-hours/work-schedule/bma-rota-checker);
- everyone else: the Working Time Regulations 1998
  (https://www.gov.uk/maximum-weekly-working-hours/weekly-maximum-working-hours-and-opting-out).

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
