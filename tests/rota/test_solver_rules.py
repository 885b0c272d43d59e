"""Every hard rule holds in the solver's rosters, as judged by the independent checker.

Each instance is hand-made so that cover pulls the solver towards breaking one rule; the rule
must win. Tiny models are proved optimal in well under a second, so the time limits below are
never what ends a test.
"""

from __future__ import annotations

from rota.solver import SolveResult, SolveStatus, solve
from rota.ssb.checker import CheckReport, check_roster
from rota.ssb.instance import SsbCover, SsbInstance, SsbRequest, SsbShift, SsbStaff, to_problem


def nurses(
    horizon: int = 14,
    *,
    count: int = 1,
    max_shifts: tuple[tuple[str, int], ...] = (("D", 14), ("N", 14)),
    minutes: tuple[int, int] = (100_000, 0),
    consecutive: tuple[int, int] = (14, 1),
    min_days_off: int = 1,
    max_weekends: int = 2,
    days_off: tuple[int, ...] = (),
    cover: tuple[tuple[int, str, int], ...] = (),
    on_requests: tuple[tuple[int, str, int], ...] = (),
) -> SsbInstance:
    """``count`` identical employees, shifts D (8 h) and N (10 h, D may not follow it)."""
    ids = [chr(ord("A") + i) for i in range(count)]
    return SsbInstance(
        name="hand-made",
        horizon=horizon,
        shifts=(SsbShift("D", 480, ()), SsbShift("N", 600, ("D",))),
        staff=tuple(
            SsbStaff(i, max_shifts, *minutes, *consecutive, min_days_off, max_weekends) for i in ids
        ),
        days_off={i: days_off for i in ids},
        on_requests=tuple(SsbRequest(ids[0], d, s, w) for d, s, w in on_requests),
        off_requests=(),
        cover=tuple(SsbCover(d, s, n, 100, 1) for d, s, n in cover),
    )


def every_day(horizon: int, shift: str = "D", need: int = 1) -> tuple[tuple[int, str, int], ...]:
    return tuple((d, shift, need) for d in range(horizon))


def solve_and_check(instance: SsbInstance) -> tuple[SolveResult, CheckReport, list[str]]:
    """Solve, then judge the roster with the checker; also return it as a string per employee."""
    result = solve(to_problem(instance), time_limit=20, workers=2, seed=0)
    assert result.roster is not None
    grid = [[cell or "" for cell in row] for row in result.roster]
    report = check_roster(instance, grid)
    assert report.violations == ()
    assert report.objective == result.objective
    return result, report, ["".join(cell or "." for cell in row) for row in result.roster]


def test_no_run_exceeds_max_consecutive_even_when_cover_wants_every_day() -> None:
    result, _, (row,) = solve_and_check(nurses(consecutive=(3, 1), cover=every_day(14)))
    assert "DDDD" not in row
    assert result.status is SolveStatus.OPTIMAL


def test_short_work_runs_are_stretched_to_min_consecutive() -> None:
    # Only day 6 needs cover: working it means a run of at least 3 (or one touching an end).
    _, _, (row,) = solve_and_check(nurses(consecutive=(14, 3), cover=((6, "D", 1),)))
    assert row[6] == "D"
    assert "DDD" in row or row.startswith("D")


def test_short_rests_are_stretched_to_min_days_off() -> None:
    # Cover wants every day but day 6; one day off alone would be too short a rest.
    cover = tuple(c for c in every_day(14) if c[0] != 6)
    _, _, (row,) = solve_and_check(nurses(consecutive=(10, 1), min_days_off=2, cover=cover))
    assert ".D." not in row and "D.D" not in row


def test_day_shift_never_follows_a_night() -> None:
    _, report, (row,) = solve_and_check(nurses(cover=((2, "N", 1), (3, "D", 1))))
    assert row[2:4] != "ND"
    assert report.cover_under == 100


def test_shift_type_limit_caps_cover() -> None:
    _, report, (row,) = solve_and_check(
        nurses(max_shifts=(("D", 3), ("N", 0)), cover=every_day(14))
    )
    assert row.count("D") == 3
    assert "N" not in row
    assert report.cover_under == 11 * 100


def test_minimum_minutes_are_worked_even_at_a_cost() -> None:
    result, report, (row,) = solve_and_check(nurses(minutes=(100_000, 4 * 480)))
    assert sum(480 if c == "D" else 600 if c == "N" else 0 for c in row) >= 4 * 480
    assert report.objective == 0  # no cover lines, so extra shifts cost nothing


def test_maximum_minutes_cap_cover() -> None:
    _, report, (row,) = solve_and_check(nurses(minutes=(5 * 480, 0), cover=every_day(14)))
    assert row.count("D") + row.count("N") <= 5


def test_weekends_worked_stay_within_the_limit() -> None:
    weekend_cover = tuple((d, "D", 1) for d in (5, 6, 12, 13))
    _, report, (row,) = solve_and_check(nurses(max_weekends=1, cover=weekend_cover))
    assert (row[5:7] == "..") or (row[12:14] == "..")
    assert report.cover_under == 200


def test_days_off_are_never_worked() -> None:
    _, _, (row,) = solve_and_check(nurses(days_off=(3, 4), cover=every_day(14)))
    assert row[3:5] == ".."


def test_requests_and_cover_are_listed_as_named_penalties() -> None:
    instance = nurses(count=2, days_off=(1,), cover=((1, "D", 1),), on_requests=((1, "N", 7),))
    result, report, _ = solve_and_check(instance)
    kinds = sorted(p.kind for p in result.penalties)
    assert kinds == ["cover_under", "shift_on_request"]
    assert sum(p.cost for p in result.penalties) == result.objective == report.objective == 107


def test_impossible_contract_is_reported_infeasible() -> None:
    # 15 shifts of 8 h cannot fit in 14 days.
    instance = nurses(max_shifts=(("D", 14), ("N", 0)), minutes=(100_000, 15 * 480))
    result = solve(to_problem(instance), time_limit=20, seed=0)
    assert result.status is SolveStatus.INFEASIBLE
    assert result.roster is None
