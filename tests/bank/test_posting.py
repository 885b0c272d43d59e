"""Posting shifts in bulk through the API: a repeating block (all or nothing) and a CSV upload
(every bad row with its line and reason; a dry run saves nothing)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEvent, Role
from bank.models import Shift
from tests.factories import DepartmentFactory, RateCardFactory, TrustFactory, staff_user

pytestmark = pytest.mark.usefixtures("frozen")


def shift_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Shift.id)))


def block(department, **overrides):
    return {
        "department_id": department.id,
        "staff_group": "medical",
        "grade": "ST3",
        "date_from": "2026-11-09",
        "date_to": "2026-11-22",
        "weekdays": [0, 2, 5],  # Mondays, Wednesdays and Saturdays
        "start": "20:00",
        "end": "08:30",
        "pence_per_hour": 11000,
        **overrides,
    }


def test_a_repeating_block_posts_the_shift_on_each_chosen_weekday(api_client):
    ward = DepartmentFactory()
    team = api_client(staff_user(Role.WORKFORCE, ward.trust))
    response = team.post(f"/api/v1/trusts/{ward.trust_id}/shift-blocks", json=block(ward))
    assert response.status_code == 201, response.get_json()
    starts = [s["start_at"] for s in response.get_json()]
    assert starts == [
        "2026-11-09T20:00:00+00:00",
        "2026-11-11T20:00:00+00:00",
        "2026-11-14T20:00:00+00:00",
        "2026-11-16T20:00:00+00:00",
        "2026-11-18T20:00:00+00:00",
        "2026-11-21T20:00:00+00:00",
    ]
    # Nights end the next morning.
    assert response.get_json()[0]["end_at"] == "2026-11-10T08:30:00+00:00"
    assert shift_count() == 6
    assert db.session.scalar(
        sa.select(AuditEvent.id).where(AuditEvent.action == "shift.block_posted")
    )


def test_a_block_across_the_clock_change_keeps_uk_wall_clock_times(api_client):
    ward = DepartmentFactory()
    team = api_client(staff_user(Role.WORKFORCE, ward.trust))
    # 2027-03-28: clocks go forward; the Saturday night is an hour shorter in real time.
    response = team.post(
        f"/api/v1/trusts/{ward.trust_id}/shift-blocks",
        json=block(ward, date_from="2027-03-27", date_to="2027-03-28", weekdays=[5, 6]),
    )
    hours = [s["hours"] for s in response.get_json()]
    assert hours == [11.5, 12.5]


def test_a_block_with_one_bad_date_posts_nothing_and_names_the_field(api_client):
    ward = DepartmentFactory()
    team = api_client(staff_user(Role.WORKFORCE, ward.trust))
    # No rate given and no rate card: every date fails, reported on the first.
    response = team.post(
        f"/api/v1/trusts/{ward.trust_id}/shift-blocks",
        json=block(ward, pence_per_hour=None),
    )
    assert response.status_code == 422
    assert response.get_json()["errors"]["pence_per_hour"][0].startswith("Monday 09 November")
    # Starting in the past (today's 08:00 has gone): nothing saved either.
    response = team.post(
        f"/api/v1/trusts/{ward.trust_id}/shift-blocks",
        json=block(ward, date_from="2026-11-02", start="08:00", end="20:00"),
    )
    assert response.status_code == 422 and "start_at" in response.get_json()["errors"]
    assert shift_count() == 0


def test_a_block_with_no_matching_days_or_backwards_dates_is_refused(api_client):
    ward = DepartmentFactory()
    team = api_client(staff_user(Role.WORKFORCE, ward.trust))
    url = f"/api/v1/trusts/{ward.trust_id}/shift-blocks"
    assert "weekdays" in team.post(url, json=block(ward, weekdays=[])).get_json()["errors"]
    backwards = team.post(url, json=block(ward, date_to="2026-11-01"))
    assert backwards.status_code == 422 and "date_to" in backwards.get_json()["errors"]


def test_another_trusts_block_answers_404(api_client):
    ward = DepartmentFactory()
    stranger = api_client(staff_user(Role.WORKFORCE, TrustFactory()))
    response = stranger.post(f"/api/v1/trusts/{ward.trust_id}/shift-blocks", json=block(ward))
    assert response.status_code == 404
    assert shift_count() == 0


CSV = """department,date,start,end,grade,staff_group,rate
{cc},2026-11-10,08:00,20:00,ST3,medical,
{cc},10/11/2026,20:00,08:00,ST3,medical,105.50
NOPE,2026-11-11,08:00,20:00,ST3,medical,
{cc},2026-11-31,08:00,20:00,ST3,medical,
{cc},2026-11-12,08:00,20:00,ST9,medical,
{cc},2026-11-12,8:00,17:00,Band 5,nursing,
"""


def upload(client, trust_id, text, dry_run):
    query = "?dry_run=true" if dry_run else ""
    return client.post(
        f"/api/v1/trusts/{trust_id}/shift-imports{query}",
        data={"file": (io.BytesIO(text.encode()), "shifts.csv")},
        content_type="multipart/form-data",
    )


def test_a_csv_dry_run_reports_every_bad_row_by_line_and_saves_nothing(api_client):
    ward = DepartmentFactory(cost_centre="CC700")
    RateCardFactory(trust=ward.trust, grade="ST3", pence_per_hour=9300)
    team = api_client(staff_user(Role.WORKFORCE, ward.trust))
    response = upload(team, ward.trust_id, CSV.format(cc="CC700"), dry_run=True)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["dry_run"], body["good_rows"], body["bad_rows"], body["posted"]) == (
        True,
        2,
        4,
        0,
    )
    bad = {row["line"]: row["errors"] for row in body["rows"] if not row["ok"]}
    assert bad[4] == [f"no department 'NOPE' at {ward.trust.name}"]
    assert "not a date" in bad[5][0]
    assert "Choose one of the medical and dental grades" in bad[6][0]
    assert "rate card" in bad[7][0]  # no Band 5 rate and none given
    good = [row for row in body["rows"] if row["ok"]]
    assert [(r["line"], r["preview"]["pence_per_hour"]) for r in good] == [(2, 9300), (3, 10550)]
    assert shift_count() == 0
    assert not db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action.like("shift.%"))
    )


def test_confirming_a_csv_posts_only_the_good_rows(api_client):
    ward = DepartmentFactory(cost_centre="CC700")
    RateCardFactory(trust=ward.trust, grade="ST3", pence_per_hour=9300)
    team = api_client(staff_user(Role.WORKFORCE, ward.trust))
    response = upload(team, ward.trust_id, CSV.format(cc="cc700"), dry_run=False)
    assert response.status_code == 201
    assert response.get_json()["posted"] == 2
    starts = sorted(s.start_at for s in db.session.scalars(sa.select(Shift)))
    assert starts == [
        datetime(2026, 11, 10, 8, 0, tzinfo=UTC),
        datetime(2026, 11, 10, 20, 0, tzinfo=UTC),
    ]


def test_a_csv_without_the_needed_columns_or_rows_names_the_file(api_client):
    ward = DepartmentFactory()
    team = api_client(staff_user(Role.WORKFORCE, ward.trust))
    missing = upload(team, ward.trust_id, "department,date\nX,2026-11-10\n", dry_run=True)
    assert missing.status_code == 422
    assert "start, end, grade" in missing.get_json()["errors"]["file"][0]
    empty = upload(team, ward.trust_id, "department,date,start,end,grade\n", dry_run=False)
    assert empty.status_code == 422 and "file" in empty.get_json()["errors"]
    all_bad = upload(
        team, ward.trust_id, "department,date,start,end,grade\nX,2026-11-10,8:00,9:00,ST3\n", False
    )
    assert all_bad.status_code == 422
    assert all_bad.get_json()["errors"]["file"][0].startswith("Line 2:")
    assert shift_count() == 0


def test_the_openapi_document_lists_the_workforce_endpoints(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/trusts/{trust_id}/shift-blocks",
        "/api/v1/trusts/{trust_id}/shift-imports",
        "/api/v1/shifts/{shift_id}/release",
        "/api/v1/shifts/{shift_id}/rate-escalations",
        "/api/v1/shifts/{shift_id}/cancel",
        "/api/v1/departments/{department_id}/instant-book",
        "/api/v1/trusts/{trust_id}/bank-settings",
        "/api/v1/timesheets",
        "/api/v1/timesheets/{timesheet_id}/sign-off",
        "/api/v1/trusts/{trust_id}/payroll-batches",
        "/api/v1/me/commitments",
    ):
        assert path in spec["paths"], path
    upload = spec["paths"]["/api/v1/trusts/{trust_id}/shift-imports"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
