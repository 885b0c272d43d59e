"""Reference data of the NHS workforce: staff groups, grades and registration bodies.

Grades follow the national pay structures (the 2016 doctors' terms; Agenda for Change bands).
Registration number formats, from each regulator's public register:
GMC: seven digits; NMC PIN: two digits, a letter, four digits and a check letter (`12A3456E`);
HCPC: a two-letter profession prefix and digits (`PH123456`).
"""

from __future__ import annotations

import enum
import re


class StaffGroup(enum.StrEnum):
    MEDICAL = "medical"
    NURSING = "nursing"
    AHP = "ahp"
    SUPPORT = "support"

    @property
    def label(self) -> str:
        return STAFF_GROUP_LABELS[self]


STAFF_GROUP_LABELS = {
    StaffGroup.MEDICAL: "Medical and dental",
    StaffGroup.NURSING: "Nursing and midwifery",
    StaffGroup.AHP: "Allied health professional",
    StaffGroup.SUPPORT: "Healthcare support",
}

GRADES: dict[StaffGroup, tuple[str, ...]] = {
    StaffGroup.MEDICAL: (
        "FY1",
        "FY2",
        "CT1",
        "CT2",
        "ST3",
        "ST4",
        "ST5",
        "ST6",
        "ST7",
        "ST8",
        "SAS",
        "Consultant",
    ),
    StaffGroup.NURSING: ("Band 5", "Band 6", "Band 7", "Band 8a"),
    StaffGroup.AHP: ("Band 5", "Band 6", "Band 7", "Band 8a"),
    StaffGroup.SUPPORT: ("Band 2", "Band 3", "Band 4"),
}


class RegistrationBody(enum.StrEnum):
    GMC = "GMC"
    NMC = "NMC"
    HCPC = "HCPC"


REGISTRATION_BODY_FOR_GROUP: dict[StaffGroup, RegistrationBody | None] = {
    StaffGroup.MEDICAL: RegistrationBody.GMC,
    StaffGroup.NURSING: RegistrationBody.NMC,
    StaffGroup.AHP: RegistrationBody.HCPC,
    StaffGroup.SUPPORT: None,
}

REGISTRATION_FORMATS: dict[RegistrationBody, tuple[re.Pattern[str], str]] = {
    RegistrationBody.GMC: (re.compile(r"\d{7}"), "a GMC number is seven digits, like 7012345"),
    RegistrationBody.NMC: (
        re.compile(r"\d{2}[A-Z]\d{4}[A-Z]"),
        "an NMC PIN is two digits, a letter, four digits and a letter, like 12A3456E",
    ),
    RegistrationBody.HCPC: (
        re.compile(r"[A-Z]{2}\d{4,6}"),
        "an HCPC number is two letters and four to six digits, like PH123456",
    ),
}


def registration_number_problem(body: RegistrationBody, number: str) -> str | None:
    """Why `number` is not a valid registration number for `body`, or None if it is."""
    pattern, explanation = REGISTRATION_FORMATS[body]
    if pattern.fullmatch(number):
        return None
    return f"Enter a valid {body.value} number: {explanation}"


def grade_problem(staff_group: StaffGroup, grade: str) -> str | None:
    """Why `grade` is not a grade of `staff_group`, or None if it is."""
    if grade in GRADES[staff_group]:
        return None
    return f"Choose one of the {staff_group.label.lower()} grades: {', '.join(GRADES[staff_group])}"


ODS_CODE = re.compile(r"[A-Z0-9]{3,5}")
