"""The independent checker catches every kind of hard violation and prices the soft rules."""

from __future__ import annotations

import json

from rota.ssb.checker import check_files, check_roster, main
from rota.ssb.instance import (
    SsbCover,
    SsbInstance,
    SsbRequest,
    SsbShift,
    SsbStaff,
    format_instance,
    format_roster,
)


def one_nurse(
    horizon: int = 14,
    *,
    max_shifts: tuple[tuple[str, int], ...] = (("D", 14), ("N", 14)),
    minutes: tuple[int, int] = (10_000, 0),
    consecutive: tuple[int, int] = (5, 1),
    min_days_off: int = 1,
    max_weekends: int = 2,
    days_off: tuple[int, ...] = (),
) -> SsbInstance:
    """One employee, a day shift D and a night N that D may not follow."""
    return SsbInstance(
        name="one-nurse",
        horizon=horizon,
        shifts=(SsbShift("D", 480, ()), SsbShift("N", 600, ("D",))),
        staff=(SsbStaff("A", max_shifts, *minutes, *consecutive, min_days_off, max_weekends),),
        days_off={"A": days_off},
        on_requests=(SsbRequest("A", 1, "D", 3),),
        off_requests=(SsbRequest("A", 2, "N", 5),),
        cover=(SsbCover(0, "D", 1, 100, 1), SsbCover(3, "N", 0, 100, 1)),
    )


def rules(instance: SsbInstance, row: str) -> list[str]:
    """Broken rule names for a one-employee roster written as e.g. ``"DD.N..."``."""
    grid = [["" if c == "." else c for c in row]]
    return [v.rule for v in check_roster(instance, grid).violations]


def test_a_roster_keeping_every_rule_is_feasible() -> None:
    assert rules(one_nurse(), "DD...DD...DD..") == []


def test_objective_adds_cover_and_request_costs() -> None:
    # Day 0 covered and the on-request for D on day 1 granted; N on day 2 breaks the
    # off-request (5); N on day 3 is one over a requirement of 0 (1).
    report = check_roster(one_nurse(), [["D", "D", "N", "N"] + [""] * 10])
    assert report.on_requests == 0
    assert report.off_requests == 5
    assert report.cover_over == 1
    assert report.objective == 6


def test_work_on_a_day_off_is_reported() -> None:
    assert rules(one_nurse(days_off=(3,)), "...DD.........") == ["day_off"]


def test_forbidden_successor_is_reported() -> None:
    assert rules(one_nurse(), "ND............") == ["forbidden_successor"]


def test_too_many_shifts_of_a_type_is_reported() -> None:
    assert rules(one_nurse(max_shifts=(("D", 2), ("N", 14))), "DDD...........") == ["max_shifts"]


def test_minutes_outside_the_contract_are_reported() -> None:
    assert rules(one_nurse(minutes=(900, 0)), "DD............") == ["max_minutes"]
    assert rules(one_nurse(minutes=(9000, 1000)), "DD............") == ["min_minutes"]


def test_run_longer_than_max_consecutive_is_reported() -> None:
    assert rules(one_nurse(consecutive=(3, 1)), "DDDD..........") == ["max_consecutive"]


def test_run_shorter_than_min_consecutive_is_reported() -> None:
    assert rules(one_nurse(consecutive=(5, 2)), "..D...........") == ["min_consecutive"]


def test_rest_shorter_than_min_days_off_is_reported() -> None:
    assert rules(one_nurse(min_days_off=2), "DD.DD.........") == ["min_days_off"]


def test_short_runs_touching_either_end_of_the_horizon_are_exempt() -> None:
    instance = one_nurse(consecutive=(5, 3), min_days_off=3)
    assert rules(instance, "D...DDD...DDDD") == []
    assert rules(instance, "..DDD...DDD..D") == ["min_days_off"]  # only the inner ".." is short
    assert rules(instance, "D.DDD.........") == ["min_days_off"]


def test_too_many_weekends_are_reported() -> None:
    # Weekend 0 is days 5-6, weekend 1 days 12-13: one day of each counts as worked.
    assert rules(one_nurse(max_weekends=1), ".....D......D.") == ["max_weekends"]


def test_unknown_shift_and_wrong_shape_are_reported() -> None:
    assert rules(one_nurse(), "X.............") == ["unknown_shift"]
    assert "shape" in rules(one_nurse(), "D.")


def test_command_line_prints_json_and_fails_on_violations(tmp_path, capsys) -> None:
    instance_file = tmp_path / "tiny.txt"
    instance_file.write_text(format_instance(one_nurse()), encoding="utf-8")
    roster_file = tmp_path / "roster.txt"
    roster_file.write_text(format_roster([["N", "D"] + [None] * 12]), encoding="utf-8")
    assert main([str(instance_file), str(roster_file)]) == 1
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [v["rule"] for v in report["violations"]] == ["forbidden_successor"]
    assert report["feasible"] is False


def test_roster_file_with_windows_line_endings_reads_the_same(tmp_path) -> None:
    instance_file = tmp_path / "tiny.txt"
    instance_file.write_text(format_instance(one_nurse()), encoding="utf-8")
    unix, windows = tmp_path / "unix.txt", tmp_path / "windows.txt"
    text = format_roster([["D", "D"] + [None] * 12])
    unix.write_text(text, encoding="utf-8")
    windows.write_bytes(text.replace("\n", "\r\n").encode())
    assert check_files(instance_file, unix) == check_files(instance_file, windows)
