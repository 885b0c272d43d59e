"""Signing in and out, sessions that really end, CSRF and the login rate limit."""

from __future__ import annotations

import pytest

from app.db import transaction, utcnow
from app.models import Role
from app.services import set_user_active
from tests.conftest import PASSWORD, AuthActions, csrf_token, make_app
from tests.factories import TrustFactory, UserFactory, WorkerFactory, staff_user

HOMES = [
    (Role.WORKFORCE, "/workforce", "Workforce team"),
    (Role.COMPLIANCE, "/compliance", "Compliance"),
    (Role.FINANCE, "/finance", "Finance"),
    (Role.ICS_ADMIN, "/ics", "Trusts in the collaborative bank"),
]


@pytest.mark.parametrize(("role", "home", "heading"), HOMES)
def test_each_staff_role_lands_on_its_home_page(app, client, auth, role, home, heading):
    trust = TrustFactory()
    user = staff_user(role, None if role == Role.ICS_ADMIN else trust)
    response = auth.login(user.email)
    assert response.status_code == 302
    landing = client.get(response.headers["Location"])
    assert landing.status_code == 302 and landing.headers["Location"] == home
    page = client.get(home).get_data(as_text=True)
    assert heading in page


def test_worker_lands_on_their_profile(client, auth):
    worker = WorkerFactory(grade="CT2")
    auth.login(worker.user.email)
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Your bank profile" in page and "CT2" in page and worker.primary_trust.name in page


def test_wrong_password_shows_the_error_summary_and_signs_nobody_in(client, auth):
    user = UserFactory(roles=[(Role.ICS_ADMIN, None)])
    response = auth.login(user.email, "not-the-password")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "nhsuk-error-summary" in page and "Enter a correct email address and password" in page
    assert client.get("/ics").status_code == 302  # still signed out


def test_blank_login_form_names_both_fields(client, auth):
    response = client.post("/login", data={"csrf_token": csrf_token(client)})
    page = response.get_data(as_text=True)
    assert "Enter your email address" in page and "Enter your password" in page


def test_disabled_account_cannot_sign_in(app, auth):
    user = UserFactory(roles=[(Role.ICS_ADMIN, None)])
    with transaction():
        set_user_active(None, user, False, now=utcnow())
    assert auth.login(user.email).status_code == 422


def test_logout_revokes_the_session_even_for_a_copied_cookie(app, client, auth):
    user = staff_user(Role.ICS_ADMIN, None)
    auth.login(user.email)
    stolen = client.get_cookie("session").value
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/ics").status_code == 302


def test_password_change_signs_out_other_browsers_but_not_this_one(app, client, auth):
    user = staff_user(Role.ICS_ADMIN, None)
    other = app.test_client()
    AuthActions(other).login(user.email)
    auth.login(user.email)
    response = auth.post(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "a-new-long-password",
            "confirm_password": "a-new-long-password",
        },
        form_page="/account",
    )
    assert response.status_code == 302
    assert client.get("/ics").status_code == 200
    assert other.get("/ics").status_code == 302
    assert (
        AuthActions(app.test_client()).login(user.email, "a-new-long-password").status_code == 302
    )


def test_password_change_with_wrong_current_password_changes_nothing(client, auth):
    user = staff_user(Role.ICS_ADMIN, None)
    auth.login(user.email)
    response = auth.post(
        "/account/password",
        {
            "current_password": "wrong-password",
            "new_password": "a-new-long-password",
            "confirm_password": "a-new-long-password",
        },
        form_page="/account",
    )
    assert response.status_code == 422
    assert "Your current password is not right" in response.get_data(as_text=True)
    auth.logout()
    assert auth.login(user.email, PASSWORD).status_code == 302


def test_disabling_an_account_ends_its_open_sessions(app, client, auth):
    user = staff_user(Role.ICS_ADMIN, None)
    auth.login(user.email)
    with transaction():
        set_user_active(None, user, False, now=utcnow())
    assert client.get("/ics").status_code == 302


def test_forms_without_a_csrf_token_are_refused(client):
    user = staff_user(Role.ICS_ADMIN, None)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_sign_in_follows_a_local_next_but_never_another_site(client, auth):
    user = staff_user(Role.ICS_ADMIN, None)
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/x",
        },
    )
    assert response.headers["Location"] == "/"
    auth.logout()
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token, "next": "/account"},
    )
    assert response.headers["Location"] == "/account"


def test_login_attempts_are_rate_limited(database_url, _schema):
    app = make_app(database_url, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        client = app.test_client()
        token = csrf_token(client)
        codes = [
            client.post(
                "/login",
                data={"email": "x@example.nhs.uk", "password": "wrong", "csrf_token": token},
            ).status_code
            for _ in range(4)
        ]
        assert codes == [422, 422, 422, 429]
        assert "Too many sign-in attempts" in client.post(
            "/login", data={"csrf_token": token}
        ).get_data(as_text=True)


def test_signed_out_visitor_is_sent_to_sign_in_and_back(client, auth):
    user = staff_user(Role.ICS_ADMIN, None)
    response = client.get("/account")
    assert response.status_code == 302 and "/login?next=/account" in response.headers["Location"]
    token = csrf_token(client, "/login?next=/account")
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token, "next": "/account"},
    )
    assert response.headers["Location"] == "/account"


def test_a_role_page_the_user_does_not_hold_is_not_found(client, auth):
    worker = WorkerFactory()
    auth.login(worker.user.email)
    assert client.get("/ics").status_code == 404
