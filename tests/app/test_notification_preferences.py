"""Notification preferences: the API (`/api/v1/me/notification-preferences`) and the page."""

from __future__ import annotations

from datetime import time

import sqlalchemy as sa

from app.extensions import db
from app.models import NotificationPreference, ShiftNudgeFrequency
from tests.conftest import csrf_token
from tests.factories import WorkerFactory

PATH = "/api/v1/me/notification-preferences"
DEFAULTS = {
    "in_app": True,
    "email": False,
    "new_shifts": "instant",
    "quiet_hours_start": None,
    "quiet_hours_end": None,
}


def saved() -> list[NotificationPreference]:
    db.session.commit()
    return list(db.session.scalars(sa.select(NotificationPreference)))


def test_a_user_who_never_chose_gets_the_defaults(api_client):
    response = api_client(WorkerFactory().user).get(PATH)
    assert response.status_code == 200
    assert response.get_json() == DEFAULTS


def test_a_worker_chooses_email_a_daily_digest_and_quiet_hours(api_client):
    client = api_client(WorkerFactory().user)
    wanted = {
        "email": True,
        "new_shifts": "daily_digest",
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:00",
    }
    response = client.put(PATH, json=wanted)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {**wanted, "in_app": True}
    assert client.get(PATH).get_json() == {**wanted, "in_app": True}
    [row] = saved()
    assert row.new_shifts == ShiftNudgeFrequency.DAILY_DIGEST
    assert (row.quiet_hours_start, row.quiet_hours_end) == (time(22), time(7))


def test_bad_preferences_answer_422_naming_each_field_and_save_nothing(api_client):
    client = api_client(WorkerFactory().user)
    response = client.put(
        PATH,
        json={
            "in_app": False,
            "email": "sometimes",
            "new_shifts": "weekly",
            "quiet_hours_start": "25:00",
            "colour": "blue",
        },
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert set(problem["errors"]) == {
        "in_app",
        "email",
        "new_shifts",
        "quiet_hours_start",
        "colour",
    }
    assert problem["errors"]["quiet_hours_start"] == ["Enter a time in 24-hour format, like 22:00"]
    assert saved() == []


def test_quiet_hours_need_both_ends(api_client):
    client = api_client(WorkerFactory().user)
    response = client.put(
        PATH, json={"email": True, "new_shifts": "instant", "quiet_hours_start": "22:00"}
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "quiet_hours_end": ["Enter both times of your quiet hours, or neither"]
    }
    same = client.put(
        PATH,
        json={
            "email": True,
            "new_shifts": "instant",
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "22:00",
        },
    )
    assert same.status_code == 422 and set(same.get_json()["errors"]) == {"quiet_hours_end"}
    assert saved() == []


def test_the_preferences_need_a_token_and_are_in_the_openapi_document(client):
    assert client.get(PATH).status_code == 401
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = spec["paths"][PATH]
    assert set(operations) >= {"get", "put"}
    assert "422" in operations["put"]["responses"]


# The page ---------------------------------------------------------------------------------

PAGE = "/account/notifications"


def test_a_worker_saves_their_preferences_on_the_page(client, auth):
    auth.login(WorkerFactory().user.email)
    page = client.get(PAGE)
    assert page.status_code == 200 and "How we tell you" in page.get_data(as_text=True)
    response = auth.post(
        PAGE,
        {
            "email": "yes",
            "new_shifts": "daily_digest",
            "quiet_hours_start": "21:30",
            "quiet_hours_end": "06:45",
        },
    )
    assert response.status_code == 302
    [row] = saved()
    assert row.email and row.new_shifts == ShiftNudgeFrequency.DAILY_DIGEST
    assert (row.quiet_hours_start, row.quiet_hours_end) == (time(21, 30), time(6, 45))
    assert 'value="21:30"' in client.get(PAGE).get_data(as_text=True)


def test_a_half_filled_quiet_hours_shows_the_error_summary_and_saves_nothing(client, auth):
    auth.login(WorkerFactory().user.email)
    response = auth.post(PAGE, {"email": "yes", "new_shifts": "instant", "quiet_hours_start": "22"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "There is a problem" in html and "<title>Error:" in html
    assert 'href="#quiet_hours_start"' in html
    assert "Enter a time in 24-hour format, like 22:00" in html
    assert 'name="email" type="checkbox" value="yes" checked' in html  # the answer is kept
    assert saved() == []


def test_the_preferences_form_refuses_a_post_without_its_csrf_token(client, auth):
    auth.login(WorkerFactory().user.email)
    csrf_token(client, PAGE)
    response = client.post(PAGE, data={"email": "yes", "new_shifts": "instant"})
    assert response.status_code == 400
    assert saved() == []


def test_the_page_needs_a_signed_in_user(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
