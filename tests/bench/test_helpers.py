"""The benchmark helpers that decide what a figure or a verdict says (no timing here)."""

from __future__ import annotations

import json

from bench.flash_crowd import invariant_holds, tally
from bench.harness import percentile


def test_percentile_is_nearest_rank():
    values = [float(n) for n in range(1, 1001)]
    assert percentile(values, 0.99) == 990.0
    assert percentile(values, 0.5) == 500.0
    assert percentile([7.0], 0.95) == 7.0


def _booked(shift_id: int, worker_id: int) -> tuple[int, float, str]:
    return 201, 0.1, json.dumps({"shift_id": shift_id, "worker_id": worker_id})


def test_a_clean_crowd_holds_the_invariant():
    attempts = [(1, 10, "a"), (2, 10, "b"), (3, 11, "c"), (4, 11, "d")]
    results = [_booked(10, 1), (409, 0.2, "{}"), (422, 0.2, "This shift is no longer open"),
               _booked(11, 4)]  # fmt: skip
    statuses, winners, stray = tally(attempts, results)
    assert statuses == {"201": 2, "409": 1, "422 not open": 1}
    assert invariant_holds([10, 11], [(10, 1), (11, 4)], 2, winners, stray)


def test_a_double_booking_or_a_stray_answer_breaks_it():
    attempts = [(1, 10, "a"), (2, 10, "b")]
    statuses, winners, stray = tally(attempts, [_booked(10, 1), _booked(10, 2)])
    assert statuses == {"201": 2}
    assert not invariant_holds([10], [(10, 1), (10, 2)], 1, winners, stray)
    # A 422 for another reason (not eligible), or a server error, is not a lost race.
    _, winners, stray = tally(attempts, [_booked(10, 1), (422, 0.1, "Grade")])
    assert stray == 1 and not invariant_holds([10], [(10, 1)], 1, winners, stray)
    _, winners, stray = tally(attempts, [_booked(10, 1), (0, 0.1, "TimeoutError")])
    assert not invariant_holds([10], [(10, 1)], 1, winners, stray)
    # One shift left without a booking.
    _, winners, stray = tally(attempts, [(409, 0.1, "{}"), (409, 0.1, "{}")])
    assert not invariant_holds([10], [], 0, winners, stray)
