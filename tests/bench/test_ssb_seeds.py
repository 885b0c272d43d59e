"""The benchmark's runs over several seeds and the per-instance line that sums them up."""

from __future__ import annotations

from bench.ssb import main, median_rows


def _run(instance: str, seed: int, objective: int | None, checked: bool = True) -> dict:
    return {
        "instance": instance,
        "seed": seed,
        "bks": 100,
        "objective": objective,
        "checker_ok": checked,
    }


def test_each_instance_gets_the_median_best_and_worst_of_its_runs():
    rows = [_run("A", 0, 104), _run("A", 1, 101), _run("A", 2, 130), _run("B", 0, 100),
            _run("B", 1, 103)]  # fmt: skip

    summary = median_rows(rows)

    assert [line["instance"] for line in summary] == ["A", "B"]
    first, second = summary
    assert first["seeds"] == "0,1,2"
    assert (first["median"], first["best"], first["worst"]) == (104, 101, 130)
    assert first["median_gap_pct"] == 4.0
    # An even count of runs: the median lies halfway between the two middle runs.
    assert (second["median"], second["median_gap_pct"]) == (101.5, 1.5)
    assert first["checker_ok"] and second["checker_ok"]


def test_a_run_without_a_roster_or_failing_the_checker_shows_in_the_summary():
    rows = [_run("A", 0, 104), _run("A", 1, None, checked=False), _run("A", 2, 101)]

    (line,) = median_rows(rows)

    # No roster is worse than any roster: no median or worst is claimed from the others.
    assert line["median"] is None and line["median_gap_pct"] is None
    assert line["worst"] is None and line["best"] == 101
    assert line["checker_ok"] is False


def test_the_command_runs_every_seed_and_prints_the_summary(capsys):
    assert main(["1", "--seeds", "2", "--seed", "3", "--time-limit", "10"]) == 0

    out = capsys.readouterr().out
    runs, summary = out.strip().split("\n\n")
    header, *lines = runs.splitlines()
    assert header.split()[:2] == ["instance", "seed"]
    assert [line.split()[:2] for line in lines] == [["Instance1", "3"], ["Instance1", "4"]]
    # Instance1 is proven optimal within seconds on every seed: median 607, gap 0.
    fields = summary.splitlines()[1].split()
    assert fields[:6] == ["Instance1", "3,4", "607", "607", "0.0", "607"]
    assert fields[-1] == "True"
