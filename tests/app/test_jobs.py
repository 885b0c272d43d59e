"""Jobs as data, claimed once per run; the scheduler's job store across restarts; two
schedulers on one database sending each message once."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.util import ref_to_obj

from app import scheduler as scheduler_module
from app.db import transaction, utcnow
from app.extensions import db
from app.jobs import (
    DAILY_GRACE,
    FREQUENT_GRACE,
    claim_run,
    deliver_outbox,
    housekeeping,
    registered_jobs,
)
from app.models import EmailStatus, JobRun, Notification, OutboxEmail, scheduler_jobs
from passport.jobs import credential_expiry_warnings
from tests.conftest import make_app
from tests.factories import (
    CredentialFactory,
    JobRunFactory,
    NotificationPreferenceFactory,
    OutboxEmailFactory,
    WorkerFactory,
    staff_user,
)


def runs(job_id: str | None = None) -> list[JobRun]:
    db.session.commit()
    stmt = sa.select(JobRun).order_by(JobRun.scheduled_for)
    if job_id:
        stmt = stmt.where(JobRun.job_id == job_id)
    return list(db.session.scalars(stmt))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_every_listed_job_has_a_stable_id_and_resolves_to_a_function_of_now(app):
    jobs = app.extensions["jobs"]
    assert len({job.id for job in jobs}) == len(jobs)
    assert {"core.deliver_outbox", "passport.expire_credentials"} <= {job.id for job in jobs}
    for job in jobs:
        assert callable(ref_to_obj(job.func)), job.func
        assert job.misfire_grace_time in (DAILY_GRACE, FREQUENT_GRACE)
        job.make_trigger()


def test_a_daily_job_is_due_at_the_same_uk_time_either_side_of_the_clock_change(app):
    job = registered_jobs()["passport.credential_expiry_warnings"]  # 08:00 UK time
    # Saturday 28 March 2026 is GMT; Sunday 29 March is BST from 01:00 GMT.
    assert job.scheduled_for(utc("2026-03-28T12:00Z")) == utc("2026-03-28T08:00Z")
    assert job.scheduled_for(utc("2026-03-29T06:30Z")) == utc("2026-03-28T08:00Z")
    assert job.scheduled_for(utc("2026-03-29T07:00Z")) == utc("2026-03-29T07:00Z")
    assert job.scheduled_for(utc("2026-10-25T07:59Z")) == utc("2026-10-24T07:00Z")
    assert job.scheduled_for(utc("2026-10-25T08:00Z")) == utc("2026-10-25T08:00Z")


def test_an_interval_job_claims_one_run_per_minute(app):
    now = utc("2026-01-14T12:00:20Z")
    assert deliver_outbox(now) is not None
    assert deliver_outbox(now + timedelta(seconds=30)) is None  # the same minute: claimed
    assert deliver_outbox(now + timedelta(seconds=45)) is not None  # 12:01
    assert [r.scheduled_for for r in runs()] == [
        utc("2026-01-14T12:00Z"),
        utc("2026-01-14T12:01Z"),
    ]


def test_a_job_that_fails_gives_its_claim_back_for_the_next_try(app, monkeypatch):
    def broken(**_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("app.notifications.deliver_due_emails", broken)
    with pytest.raises(RuntimeError):
        deliver_outbox(utc("2026-01-14T12:00Z"))
    assert runs() == []
    monkeypatch.undo()
    assert deliver_outbox(utc("2026-01-14T12:00Z")) is not None


def test_a_claim_already_taken_leaves_the_rest_of_the_transaction_alone(app):
    now = utc("2026-01-14T12:00Z")
    with transaction():
        assert claim_run("core.deliver_outbox", now) is not None
    user = staff_user(*_ics_admin())
    with transaction():
        assert claim_run("core.deliver_outbox", now) is None
        from app.notifications import notify

        notify(user, "test", "Still saved", now=now)
    assert db.session.scalar(sa.select(Notification.title)) == "Still saved"


def _ics_admin():
    from app.models import Role

    return Role.ICS_ADMIN, None


def test_housekeeping_forgets_old_claims_and_sent_emails_but_not_pending_ones(app):
    now = utc("2026-05-01T02:30Z")  # 03:30 BST
    old = now - timedelta(days=31)
    JobRunFactory(scheduled_for=old)
    JobRunFactory(scheduled_for=now - timedelta(days=1))
    OutboxEmailFactory(status=EmailStatus.SENT, created_at=old)
    OutboxEmailFactory(status=EmailStatus.PENDING, created_at=old)
    run = housekeeping(now)
    assert run.summary == "1 old run(s) and 1 old email(s) deleted"
    db.session.commit()
    assert db.session.scalars(sa.select(OutboxEmail.status)).all() == [EmailStatus.PENDING]


def test_flask_scheduler_run_job_runs_a_job_once_for_its_scheduled_time(app, runner):
    with time_machine.travel(utc("2026-01-14T12:00:10Z"), tick=False):
        first = runner.invoke(args=["scheduler", "run-job", "core.deliver_outbox"])
        again = runner.invoke(args=["scheduler", "run-job", "core.deliver_outbox"])
        listing = runner.invoke(args=["scheduler", "list"])
    assert first.output.strip() == "core.deliver_outbox: 0 sent, 0 to retry, 0 failed"
    assert "already claimed; nothing done" in again.output
    assert "passport.credential_expiry_warnings" in listing.output
    assert "last: Wed 14 Jan 2026 12:00 (0 sent" in listing.output
    unknown = runner.invoke(args=["scheduler", "run-job", "nope"])
    assert unknown.exit_code != 0 and "No job nope" in unknown.output


# Two schedulers by mistake ------------------------------------------------------------------


def test_two_schedulers_on_one_database_send_each_message_once(app, database_url, smtp):
    smtp.start()
    worker = WorkerFactory()
    NotificationPreferenceFactory(user=worker.user, email=True)
    CredentialFactory(
        worker=worker,
        type_code="gmc_registration",
        expires_on=date(2026, 2, 13),
        verified_by=(staff_user(*_ics_admin()), worker.primary_trust),
    )
    morning = utc("2026-01-14T08:00:05Z")  # 30 days before 13 February
    schedulers = [make_app(database_url, MAIL_URL=smtp.url) for _ in range(2)]
    start = threading.Barrier(len(schedulers))
    results: list[object] = []

    def scheduler_fires(other_app):
        with other_app.app_context():
            start.wait()
            results.append(credential_expiry_warnings(morning))
            results.append(deliver_outbox(morning + timedelta(seconds=2)))
            db.session.remove()
            db.engine.dispose()

    threads = [threading.Thread(target=scheduler_fires, args=(a,)) for a in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(r is None for r in results) == [False, False, True, True]
    assert len(runs("passport.credential_expiry_warnings")) == 1
    assert len(runs("core.deliver_outbox")) == 1
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 1
    assert len(smtp.to(worker.user.email)) == 1


# The job store across restarts ------------------------------------------------------------


def stored_jobs() -> dict[str, float]:
    db.session.commit()
    return dict(
        db.session.execute(sa.select(scheduler_jobs.c.id, scheduler_jobs.c.next_run_time)).all()
    )


@pytest.fixture
def mid_minute():
    """A still clock half-way through a minute, and between two firings of the 5-second
    rota.run_queued_solves: APScheduler's last look at due jobs as it shuts down would
    otherwise race a boundary on a slow machine."""
    with time_machine.travel(utc("2026-01-14T12:00:32.500Z"), tick=False):
        yield


def started_paused(app):
    scheduler = scheduler_module.build_scheduler(app)
    scheduler.start(paused=True)
    scheduler_module.sync_jobs(scheduler, app.extensions["jobs"])
    return scheduler


def test_a_restarted_scheduler_keeps_its_jobs_and_does_not_duplicate_them(app, mid_minute):
    first = started_paused(app)
    before = stored_jobs()
    first.shutdown()
    assert set(before) == {job.id for job in app.extensions["jobs"]}

    second = started_paused(app)
    assert stored_jobs() == before  # same rows, same next run times
    stored = second.get_job("passport.expire_credentials")
    assert (stored.coalesce, stored.max_instances) == (True, 1)
    assert stored.misfire_grace_time == DAILY_GRACE.total_seconds()
    second.shutdown()


def test_a_job_dropped_from_the_list_leaves_the_job_store(app, mid_minute):
    started_paused(app).shutdown()
    scheduler = scheduler_module.build_scheduler(app)
    scheduler.start(paused=True)
    scheduler_module.sync_jobs(scheduler, app.extensions["jobs"][:1])
    scheduler.shutdown()
    assert set(stored_jobs()) == {app.extensions["jobs"][0].id}


def test_a_job_whose_schedule_changed_gets_its_new_next_run_on_restart(app, mid_minute):
    started_paused(app).shutdown()
    before = stored_jobs()
    jobs = [
        dataclasses.replace(job, trigger_args={"hour": 9, "minute": 15})
        if job.id == "passport.credential_expiry_warnings"
        else job
        for job in app.extensions["jobs"]
    ]
    scheduler = scheduler_module.build_scheduler(app)
    scheduler.start(paused=True)
    scheduler_module.sync_jobs(scheduler, jobs)
    moved = scheduler.get_job("passport.credential_expiry_warnings").next_run_time
    scheduler.shutdown()
    assert (moved.hour, moved.minute) == (9, 15)
    after = stored_jobs()
    assert after["core.deliver_outbox"] == before["core.deliver_outbox"]
    assert (
        after["passport.credential_expiry_warnings"]
        != (before["passport.credential_expiry_warnings"])
    )


def test_runs_missed_while_stopped_are_coalesced_into_one_on_restart(app):
    # The scheduler stopped three and a half minutes ago: three outbox runs were missed.
    with time_machine.travel(utcnow() - timedelta(minutes=3, seconds=30)):
        started_paused(app).shutdown()

    second = started_paused(app)
    missed = second.get_job("core.deliver_outbox").next_run_time
    assert missed < utcnow()  # kept, so the restart knows what it missed
    done = threading.Event()
    outcomes = []

    def listener(event):
        if event.job_id == "core.deliver_outbox":
            outcomes.append(event)
            done.set()

    second.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    second.resume()
    assert done.wait(timeout=10)
    second.shutdown(wait=True)

    assert [event.exception for event in outcomes] == [None]  # one run, not three
    assert len(runs("core.deliver_outbox")) == 1
    assert stored_jobs()["core.deliver_outbox"] > utcnow().timestamp() - 1


def test_the_web_app_never_starts_the_scheduler_by_itself(database_url, _schema):
    assert "scheduler" not in make_app(database_url).extensions
    assert "scheduler" not in make_app(database_url, SCHEDULER_IN_WEB=True).extensions


# What operators see ------------------------------------------------------------------------


def test_an_ics_administrator_sees_each_job_with_its_next_and_last_run(app, api_client, mid_minute):
    started_paused(app).shutdown()
    deliver_outbox(utc("2026-01-14T12:00:10Z"))
    admin = staff_user(*_ics_admin())
    response = api_client(admin).get("/api/v1/jobs")
    assert response.status_code == 200
    jobs = {job["id"]: job for job in response.get_json()}
    assert jobs["passport.credential_expiry_warnings"]["schedule"] == "daily at 08:00 (UK time)"
    assert jobs["core.deliver_outbox"]["schedule"] == "every 1 minute"
    assert jobs["core.deliver_outbox"]["last_run"] == {
        "scheduled_for": "2026-01-14T12:00:00+00:00",
        "started_at": "2026-01-14T12:00:10+00:00",
        "summary": "0 sent, 0 to retry, 0 failed",
    }
    assert all(job["next_run_at"] for job in jobs.values())
    assert api_client(WorkerFactory().user).get("/api/v1/jobs").status_code == 403


def test_the_jobs_page_shows_failed_emails_to_the_ics_administrator(app, client, auth):
    OutboxEmailFactory(
        status=EmailStatus.FAILED, to_address="gone@example.nhs.uk", last_error="550 No such"
    )
    auth.login(staff_user(*_ics_admin()).email)
    html = client.get("/ics/jobs").get_data(as_text=True)
    assert "Warn workers 30, 14, 7 and 1 days before a credential expires" in html
    assert "Not scheduled: is the scheduler running?" in html
    assert "gone@example.nhs.uk" in html and "550 No such" in html
    assert "1 failed" in html
