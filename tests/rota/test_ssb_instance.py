"""The SSB parser: sections, Windows line endings, conversion to the solver's problem."""

from __future__ import annotations

import pytest

from rota.solver import roster_cost
from rota.ssb.checker import check_roster, parse_roster
from rota.ssb.instance import (
    format_instance,
    format_roster,
    instance_path,
    load_instance,
    parse_instance,
    to_problem,
)

TEXT = "\r\n".join(
    [
        "# made by hand",
        "SECTION_HORIZON",
        "# days",
        "7",
        "",
        "SECTION_SHIFTS",
        "E,480,",
        "L,600,E|N",
        "N,720,",
        "",
        "SECTION_STAFF",
        "A,E=7|L=2|N=0,2400,960,4,2,2,1",
        "B,E=7|L=7|N=7,3000,0,5,1,1,2",
        "",
        "SECTION_DAYS_OFF",
        "A,0,6",
        "B,3",
        "",
        "SECTION_SHIFT_ON_REQUESTS",
        "A,2,E,3",
        "",
        "SECTION_SHIFT_OFF_REQUESTS",
        "B,4,L,2",
        "",
        "SECTION_COVER",
        "0,E,1,100,1",
        "1,L,2,100,1",
        "",
    ]
)


def test_sections_are_read_through_windows_line_endings() -> None:
    instance = parse_instance(TEXT, name="tiny")
    assert instance.horizon == 7
    assert [s.id for s in instance.shifts] == ["E", "L", "N"]
    assert instance.shifts[1].cannot_follow == ("E", "N")
    assert instance.shifts[0].cannot_follow == ()
    a = instance.staff[0]
    assert a.max_shifts == (("E", 7), ("L", 2), ("N", 0))
    assert (a.max_total_minutes, a.min_total_minutes) == (2400, 960)
    assert (a.max_consecutive_shifts, a.min_consecutive_shifts) == (4, 2)
    assert (a.min_consecutive_days_off, a.max_weekends) == (2, 1)
    assert instance.days_off == {"A": (0, 6), "B": (3,)}
    assert instance.on_requests[0].weight == 3
    assert instance.off_requests[0].shift == "L"
    assert instance.cover[1].requirement == 2


def test_written_instance_reads_back_equal() -> None:
    instance = parse_instance(TEXT, name="tiny")
    text = format_instance(instance)
    assert "\r\n" in text
    assert parse_instance(text, name="tiny") == instance


def test_conversion_keeps_every_rule_for_the_solver() -> None:
    problem = to_problem(parse_instance(TEXT))
    a, b = problem.employees
    assert a.limit_for("N", problem.days) == 0
    assert a.days_off == frozenset({0, 6})
    assert b.min_days_off == 1
    assert problem.shifts[1].forbidden_next == frozenset({"E", "N"})
    assert len(problem.covers) == 2


def test_roster_file_has_one_tab_separated_cell_per_day() -> None:
    text = format_roster((("E", None, "L"), (None, None, None)))
    assert text == "E\t\tL\n\t\t\n"
    assert parse_roster(text) == [["E", "", "L"], ["", "", ""]]


def test_a_number_names_a_file_in_the_benchmark_folder() -> None:
    assert instance_path(5).name == "Instance5.txt"


@pytest.mark.parametrize(("number", "expected"), [(1, 7137), (3, 15474)])
def test_all_off_roster_scores_the_published_self_check(number: int, expected: int) -> None:
    instance = load_instance(instance_path(number))
    all_off = [[""] * instance.horizon for _ in instance.staff]
    assert check_roster(instance, all_off).objective == expected
    problem = to_problem(instance)
    assert roster_cost(problem, problem.all_off()) == expected
