"""The private iCalendar feed of a worker's shifts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from icalendar import Calendar

from app.models import Role
from tests.factories import NOW, BookingFactory, WorkerFactory, staff_user

pytestmark = pytest.mark.usefixtures("frozen")


def feed_url(client, auth, worker) -> str:
    auth.login(worker.user.email)
    page = client.get("/shifts/mine").get_data(as_text=True)
    address = re.search(r'id="feed-url"[^>]*value="([^"]+)"', page).group(1)
    return address.replace("http://localhost", "")


def test_the_feed_is_valid_icalendar_with_stable_uids_and_cancellations(client, auth, app):
    booking = BookingFactory(shift__start_at=NOW + timedelta(days=2))
    cancelled = BookingFactory(
        worker=booking.worker,
        status="cancelled",
        shift__start_at=NOW + timedelta(days=4),
        cancelled_at=NOW - timedelta(hours=1),
    )
    BookingFactory()  # someone else's shift is not in this feed
    url = feed_url(client, auth, booking.worker)
    response = app.test_client().get(url)  # no sign-in: the address is the key
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"booking-{booking.id}@staffbank", f"booking-{cancelled.id}@staffbank"}
    first = events[f"booking-{booking.id}@staffbank"]
    assert first.decoded("dtstart") == booking.shift.start_at
    assert str(first["status"]) == "CONFIRMED"
    assert str(events[f"booking-{cancelled.id}@staffbank"]["status"]) == "CANCELLED"
    again = Calendar.from_ical(app.test_client().get(url).data)
    assert {str(e["uid"]) for e in again.walk("VEVENT")} == set(events)


def test_resetting_the_address_ends_the_old_one(client, auth, app):
    worker = WorkerFactory()
    old = feed_url(client, auth, worker)
    auth.post("/shifts/mine/calendar/reset", form_page="/shifts/mine")
    new = feed_url(client, auth, worker)
    assert new != old
    assert app.test_client().get(old).status_code == 404
    assert app.test_client().get(new).status_code == 200


def test_an_unknown_address_is_not_found(client):
    assert client.get("/calendar/not-a-token.ics").status_code == 404


def test_staff_without_a_worker_profile_have_no_calendar_page(client, auth):
    auth.login(staff_user(Role.ICS_ADMIN, None).email)
    assert client.get("/shifts/mine").status_code == 404
