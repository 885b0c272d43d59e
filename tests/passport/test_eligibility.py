"""The eligibility rules, without a database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from passport.eligibility import (
    CredentialFacts,
    Reason,
    Requirements,
    TrustPolicy,
    add_months,
    evaluate,
)

TRUST_A, TRUST_B = 1, 2
POLICY = TrustPolicy(frozenset({"dbs_enhanced", "gmc_registration"}), {"cstf_resuscitation": 12})
SHIFT = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


def verified(
    code: str,
    *,
    by: int = TRUST_A,
    expires: date | None = None,
    issued: date | None = None,
    accepted: frozenset[int] = frozenset(),
):
    return CredentialFacts(code, True, False, issued, expires, by, accepted)


def needs(*codes: str, trust: int = TRUST_B) -> Requirements:
    return Requirements(trust, codes)


def reasons(result) -> dict[str, Reason]:
    return {s.type_code: s.reason for s in result.shortfalls}


def test_a_passported_credential_verified_by_another_trust_qualifies():
    result = evaluate(
        [verified("dbs_enhanced"), verified("gmc_registration")],
        needs("dbs_enhanced", "gmc_registration"),
        POLICY,
        SHIFT,
    )
    assert result.eligible


def test_every_missing_item_is_listed_not_just_the_first():
    result = evaluate([], needs("dbs_enhanced", "gmc_registration"), POLICY, SHIFT)
    assert reasons(result) == {"dbs_enhanced": Reason.MISSING, "gmc_registration": Reason.MISSING}


def test_unverified_and_rejected_items_do_not_qualify():
    awaiting = CredentialFacts("dbs_enhanced", False, False, None, None, None)
    rejected = CredentialFacts("gmc_registration", False, True, None, None, None)
    result = evaluate(
        [awaiting, rejected], needs("dbs_enhanced", "gmc_registration"), POLICY, SHIFT
    )
    assert reasons(result) == {"dbs_enhanced": Reason.AWAITING, "gmc_registration": Reason.REJECTED}


def test_a_type_the_ics_does_not_passport_needs_the_trusts_own_check_or_acceptance():
    induction = verified("local_induction", by=TRUST_A)
    assert reasons(evaluate([induction], needs("local_induction"), POLICY, SHIFT)) == {
        "local_induction": Reason.NOT_ACCEPTED
    }
    accepted = verified("local_induction", by=TRUST_A, accepted=frozenset({TRUST_B}))
    assert evaluate([accepted], needs("local_induction"), POLICY, SHIFT).eligible
    own = verified("local_induction", by=TRUST_B)
    assert evaluate([own], needs("local_induction"), POLICY, SHIFT).eligible


def test_valid_today_but_expired_by_the_shift_does_not_qualify():
    gmc = verified("gmc_registration", expires=date(2026, 11, 30))
    now = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    result = evaluate([gmc], needs("gmc_registration"), POLICY, SHIFT, now=now)
    assert reasons(result) == {"gmc_registration": Reason.EXPIRES_BEFORE_SHIFT}
    later = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    assert reasons(evaluate([gmc], needs("gmc_registration"), POLICY, SHIFT, now=later)) == {
        "gmc_registration": Reason.EXPIRED
    }


def test_expiry_is_the_last_valid_day_in_uk_time_across_the_spring_clock_change():
    # Clocks go forward at 01:00 GMT on Sunday 29 March 2026.
    gmc = verified("gmc_registration", expires=date(2026, 3, 29))
    late_on_the_last_day = datetime(2026, 3, 29, 22, 30, tzinfo=UTC)  # 23:30 BST on the 29th
    after_midnight = datetime(2026, 3, 29, 23, 30, tzinfo=UTC)  # 00:30 BST on the 30th
    assert evaluate([gmc], needs("gmc_registration"), POLICY, late_on_the_last_day).eligible
    assert not evaluate([gmc], needs("gmc_registration"), POLICY, after_midnight).eligible


def test_expiry_boundary_in_winter_time_is_midnight_utc():
    gmc = verified("gmc_registration", expires=date(2026, 1, 10))
    assert evaluate(
        [gmc], needs("gmc_registration"), POLICY, datetime(2026, 1, 10, 23, 59, tzinfo=UTC)
    ).eligible
    assert not evaluate(
        [gmc], needs("gmc_registration"), POLICY, datetime(2026, 1, 11, 0, 0, tzinfo=UTC)
    ).eligible


def test_training_lasts_the_trusts_own_refresher_interval():
    resus = verified("cstf_resuscitation", issued=date(2025, 11, 15))
    requirement = needs("cstf_resuscitation")
    yearly = TrustPolicy(frozenset({"cstf_resuscitation"}), {"cstf_resuscitation": 12})
    two_yearly = TrustPolicy(frozenset({"cstf_resuscitation"}), {"cstf_resuscitation": 24})
    assert reasons(evaluate([resus], requirement, yearly, SHIFT)) == {
        "cstf_resuscitation": Reason.EXPIRES_BEFORE_SHIFT
    }
    assert evaluate([resus], requirement, two_yearly, SHIFT).eligible


def test_one_good_record_of_a_type_is_enough_among_old_ones():
    old = verified("gmc_registration", expires=date(2025, 1, 1))
    renewed = verified("gmc_registration", expires=date(2027, 1, 1))
    assert evaluate([old, renewed], needs("gmc_registration"), POLICY, SHIFT).eligible


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        evaluate([], needs("identity"), POLICY, datetime(2026, 1, 1, 9, 0))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2026, 11, 15), 14, date(2028, 1, 15)),
    ],
)
def test_add_months_clamps_to_the_end_of_short_months(start, months, end):
    assert add_months(start, months) == end
