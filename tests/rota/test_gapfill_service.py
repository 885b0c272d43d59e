"""The gap filler against the database: a run loads open shifts and workers with the booking
service's own eligibility, and applying it books opted-in workers through book_shift (claim,
partial unique index, audit) and offers the shift to the others. API and pages."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.db import transaction
from app.extensions import db
from app.models import AuditEvent, Notification, Role
from bank.models import Booking, BookingSource, Shift, ShiftStatus, Tier, WorkerBankSettings
from rota import gapfill_loading as loading
from rota import gapfill_service as service
from rota.models_gapfill import GapFillItem, GapFillKind, GapFillOutcome, GapFillStatus
from tests.factories import (
    NOW,
    BookingFactory,
    GapFillRunFactory,
    MembershipFactory,
    ShiftFactory,
    TrustFactory,
    WorkerFactory,
    collaborative_bank,
    member_of_own_bank,
    staff_user,
)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ics(app):
    """Two Trusts in a collaborative bank; two ST3s of the first, one opted in to assignments."""
    app.config["ROTA_SOLVE_INLINE"] = True
    home, other = TrustFactory(name="Tame Hospitals"), TrustFactory(name="Ribble Hospitals")
    bank = collaborative_bank(home, other)
    keen, offered = WorkerFactory(primary_trust=home), WorkerFactory(primary_trust=home)
    for worker in (keen, offered):
        member_of_own_bank(worker)
        MembershipFactory(bank=bank, worker=worker)
    db.session.add(WorkerBankSettings(worker_id=keen.id, accept_assignments=True))
    db.session.commit()
    return {"home": home, "other": other, "keen": keen, "offered": offered}


def collaborative_shift(trust, day: int, hour: int = 8, **fields) -> Shift:
    start = NOW.replace(hour=hour) + timedelta(days=day)
    return ShiftFactory(
        department__site__trust=trust,
        tier=Tier.COLLABORATIVE,
        start_at=start,
        end_at=start + timedelta(hours=12),
        **fields,
    )


def start_whole_bank(admin, days: int = 7, time_limit: int = 3):
    """A queued run of every Trust's open shifts over the next `days`."""
    with transaction():
        return service.start_run(
            admin,
            trust_id=None,
            date_from=NOW,
            date_to=NOW + timedelta(days=days),
            time_limit=time_limit,
            now=NOW,
        )


def run_whole_bank(admin, days: int = 7):
    return service.solve_run(start_whole_bank(admin, days).id, now=NOW)


def test_applying_a_run_books_opted_in_workers_through_book_shift_and_offers_the_rest(ics):
    admin = staff_user(Role.ICS_ADMIN, None)
    first = collaborative_shift(ics["other"], 1)
    second = collaborative_shift(ics["other"], 3)
    db.session.commit()
    run = run_whole_bank(admin)
    assert run.status == GapFillStatus.SOLVED
    assert (run.filled, run.open_shifts, run.upper_bound) == (2, 2, 2)
    kinds = {i.worker_id: i.kind for i in run.items}
    # Fairness spreads the two shifts over the two workers.
    assert kinds == {ics["keen"].id: GapFillKind.BOOK, ics["offered"].id: GapFillKind.OFFER}

    with transaction():
        service.apply_run(service.run_for(admin, run.id), admin, now=NOW)

    booking = db.session.scalar(sa.select(Booking).where(Booking.worker_id == ics["keen"].id))
    assert booking.source == BookingSource.SOLVER
    assert booking.booked_by_user_id == admin.id
    assert db.session.get(Shift, booking.shift_id).status == ShiftStatus.BOOKED
    offered_shift = ({first.id, second.id} - {booking.shift_id}).pop()
    assert db.session.get(Shift, offered_shift).status == ShiftStatus.OPEN
    titles = db.session.scalars(
        sa.select(Notification.title).where(Notification.user_id == ics["offered"].user_id)
    ).all()
    assert [t.split(":")[0] for t in titles] == ["Offered"]
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [a for a in actions if a.startswith(("gapfill", "booking"))] == [
        "gapfill.started",
        "gapfill.solved",
        "booking.created",
        "gapfill.applied",
    ]
    outcomes = {i.kind: i.outcome for i in db.session.get(type(run), run.id).items}
    assert outcomes == {
        GapFillKind.BOOK: GapFillOutcome.BOOKED,
        GapFillKind.OFFER: GapFillOutcome.OFFERED,
    }


def test_a_shift_booked_since_the_run_fails_alone_and_the_rest_apply(ics):
    admin = staff_user(Role.ICS_ADMIN, None)
    collaborative_shift(ics["other"], 1)
    collaborative_shift(ics["other"], 3)
    db.session.commit()
    run = run_whole_bank(admin)
    booked_item = next(i for i in run.items if i.kind == GapFillKind.BOOK)
    # Someone else books the opted-in worker's proposed shift first.
    BookingFactory(shift=db.session.get(Shift, booked_item.shift_id), worker=WorkerFactory())
    db.session.execute(
        sa.update(Shift).where(Shift.id == booked_item.shift_id).values(status=ShiftStatus.BOOKED)
    )
    db.session.commit()
    with transaction():
        service.apply_run(service.run_for(admin, run.id), admin, now=NOW)
    items = {i.kind: i for i in db.session.scalars(sa.select(GapFillItem))}
    assert items[GapFillKind.BOOK].outcome == GapFillOutcome.FAILED
    assert items[GapFillKind.OFFER].outcome == GapFillOutcome.OFFERED


def test_open_shifts_say_why_grade_and_rest_across_trusts(ics):
    admin = staff_user(Role.ICS_ADMIN, None)
    # Nobody in the bank is an ST6.
    nobody = collaborative_shift(ics["other"], 2, grade="ST6")
    # Both workers already work a night at their home Trust ending at 08:00 on day 5.
    for worker in (ics["keen"], ics["offered"]):
        BookingFactory(
            worker=worker,
            shift__department__site__trust=ics["home"],
            shift__start_at=NOW.replace(hour=20) + timedelta(days=4),
            shift__end_at=NOW.replace(hour=8) + timedelta(days=5),
        )
    tired = collaborative_shift(ics["other"], 5, hour=12)
    db.session.commit()
    run = run_whole_bank(admin)
    reasons = {i.shift_id: (i.reason_code, i.reason) for i in run.items if i.kind == "open"}
    assert reasons[nobody.id][0] == "no_eligible_worker"
    assert "grade not accepted (2 workers)" in reasons[nobody.id][1]
    assert reasons[tired.id][0] == "rules"
    assert "Every eligible worker (2)" in reasons[tired.id][1]


def test_a_workforce_team_runs_its_own_trust_only(ics, api_client):
    team = staff_user(Role.WORKFORCE, ics["other"])
    collaborative_shift(ics["other"], 1)
    collaborative_shift(ics["home"], 1)
    db.session.commit()
    client = api_client(team)
    body = {"date_from": "2026-11-02", "date_to": "2026-11-08", "time_limit": 2}
    assert client.post("/api/v1/gap-fill-runs", json=body).status_code == 422  # no Trust
    other_trust = {**body, "trust_id": ics["home"].id}
    assert client.post("/api/v1/gap-fill-runs", json=other_trust).status_code == 404
    response = client.post("/api/v1/gap-fill-runs", json={**body, "trust_id": ics["other"].id})
    assert response.status_code == 202, response.get_json()
    run = client.get(f"/api/v1/gap-fill-runs/{response.get_json()['id']}").get_json()
    assert run["status"] == "solved"
    assert run["open_shifts"] == 1 and len(run["proposals"]) == 1
    assert run["proposals"][0]["trust_id"] == ics["other"].id
    applied = client.post(f"/api/v1/gap-fill-runs/{run['id']}/apply")
    assert applied.status_code == 200
    assert applied.get_json()["status"] == "applied"
    assert client.post(f"/api/v1/gap-fill-runs/{run['id']}/apply").status_code == 409
    assert [r["id"] for r in client.get("/api/v1/gap-fill-runs").get_json()] == [run["id"]]


def test_the_solver_has_what_loading_left_of_the_time_limit_and_never_under_the_floor():
    assert service.solver_budget(30, 11.5) == 30 - 11.5 - service.WRITE_RESERVE
    assert service.solver_budget(30, 28) == service.SOLVER_FLOOR
    assert service.solver_budget(30, 0) == 30 - service.WRITE_RESERVE
    assert service.solver_budget(3, 0.5) == 3  # a limit under the floor is the solver's whole


def test_a_run_gives_the_solver_the_time_limit_less_what_loading_took(ics, monkeypatch):
    """The run's time limit is the whole run: loading counts against it (a fake clock, moved
    12 seconds on by loading, stands for the wall clock)."""
    seconds = [1000.0]
    real_load, real_solve = service.load_problem, service.solve_gaps
    given = []

    def slow_load(run, now):
        seconds[0] += 12
        return real_load(run, now)

    def solve(problem, params):
        given.append(params.time_limit)
        return real_solve(problem, dataclasses.replace(params, time_limit=2))

    monkeypatch.setattr(service, "load_problem", slow_load)
    monkeypatch.setattr(service, "solve_gaps", solve)
    collaborative_shift(ics["other"], 1)
    run = start_whole_bank(staff_user(Role.ICS_ADMIN, None), time_limit=30)
    run = service.solve_run(run.id, now=NOW, clock=lambda: seconds[0])
    assert run.status == GapFillStatus.SOLVED and run.filled == 1
    assert given == [30 - 12 - service.WRITE_RESERVE]


def test_the_run_page_and_api_give_the_whole_runs_time_and_the_solvers_share(ics, auth, api_client):
    team = staff_user(Role.WORKFORCE, ics["other"])
    run = GapFillRunFactory(
        trust=ics["other"],
        status=GapFillStatus.SOLVED,
        started_at=NOW,
        finished_at=NOW + timedelta(seconds=23.4),
        seconds=17.9,
    )
    db.session.commit()
    body = api_client(team).get(f"/api/v1/gap-fill-runs/{run.id}").get_json()
    assert (body["run_seconds"], body["seconds"]) == (23.4, 17.9)
    auth.login(team.email)
    page = auth.client.get(f"/workforce/gap-fill/{run.id}").text
    assert "23.4 s in all, the solver 17.9 s of it" in page


def test_the_gap_filler_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/gap-fill-runs" in paths
    assert "/api/v1/gap-fill-runs/{run_id}/apply" in paths


def test_the_page_starts_a_run_shows_proposals_and_reasons_and_applies_it(ics, auth):
    team = staff_user(Role.WORKFORCE, ics["other"])
    collaborative_shift(ics["other"], 1)
    collaborative_shift(ics["other"], 2, grade="ST6")
    db.session.commit()
    auth.login(team.email)
    assert "Fill open shifts from the bank" in auth.client.get("/workforce/gap-fill").text
    response = auth.post(
        "/workforce/gap-fill",
        {
            "trust_id": str(ics["other"].id),
            "date_from": "2026-11-02",
            "date_to": "2026-11-08",
            "time_limit": "2",
        },
    )
    assert response.status_code == 302, response.text
    page = auth.client.get(response.headers["Location"]).text
    assert "Ready to review" in page
    assert "grade not accepted" in page
    assert 'data-testid="apply"' in page
    applied = auth.post(
        response.headers["Location"] + "/apply", form_page=response.headers["Location"]
    )
    assert applied.status_code == 302
    assert "Applied" in auth.client.get(response.headers["Location"]).text


def test_loading_judges_eligibility_exactly_as_the_booking_service(ics):
    from bank.services.eligibility import judge_shift, worker_context
    from tests.factories import credential_type

    credential_type("dbs_enhanced")
    outsider = WorkerFactory(primary_trust=ics["home"])  # in no bank
    fy1 = WorkerFactory(primary_trust=ics["home"], grade="FY1")
    member_of_own_bank(fy1)
    shifts = [
        collaborative_shift(ics["other"], 1),
        collaborative_shift(ics["other"], 2, grade="ST6"),
        collaborative_shift(ics["other"], 3, required_credentials=["dbs_enhanced"]),
        ShiftFactory(department__site__trust=ics["other"], tier=Tier.OWN_BANK),
        collaborative_shift(ics["home"], -1),  # already started
    ]
    db.session.commit()
    workers = [ics["keen"], ics["offered"], outsider, fy1]
    for worker, ctx, _, _ in loading._contexts(workers, NOW):
        real = worker_context(worker, NOW)
        for shift in shifts:
            refusals = [r for r in judge_shift(real, shift).refusals if r.code in loading.NOT_RULES]
            expected = loading._label(refusals[0]) if refusals else None
            assert loading.blocking(ctx, shift) == expected, (worker.id, shift.id)


def test_loading_groups_alike_shifts_yet_keeps_each_day_where_a_credential_lapses(ics):
    """Loading judges alike shifts once per worker; every pair still gets `blocking`'s verdict,
    including the days after a credential lapses in the middle of the run."""
    from tests.factories import CredentialFactory, DepartmentFactory

    checker = staff_user(Role.COMPLIANCE, ics["other"])
    CredentialFactory(
        worker=ics["keen"],
        type_code="dbs_enhanced",
        verified_by=(checker, ics["other"]),
        expires_on=(NOW + timedelta(days=2)).date(),
    )
    ward = DepartmentFactory(site__trust=ics["other"])

    def on(day: int, **fields) -> Shift:
        start = NOW.replace(hour=8) + timedelta(days=day)
        return ShiftFactory(
            department=ward,
            tier=Tier.COLLABORATIVE,
            start_at=start,
            end_at=start + timedelta(hours=12),
            **fields,
        )

    needing = [on(day, required_credentials=["dbs_enhanced"]) for day in (1, 2, 3, 4)]
    others = [on(day) for day in (1, 4)]
    db.session.commit()
    run = start_whole_bank(staff_user(Role.ICS_ADMIN, None))
    problem, _ = loading.load_problem(run, NOW)
    keen = ics["keen"].id
    assert [keen in problem.eligible.get(s.id, ()) for s in needing] == [True, True, False, False]
    for worker, ctx, _, _ in loading._contexts([ics["keen"], ics["offered"]], NOW):
        for shift in needing + others:
            assert (worker.id in problem.eligible.get(shift.id, ())) == (
                loading.blocking(ctx, shift) is None
            ), (worker.id, shift.id)


def applied_run(ics, team):
    """A run of two shifts of the second Trust, applied: one booked, one offered."""
    collaborative_shift(ics["other"], 1)
    collaborative_shift(ics["other"], 3)
    db.session.commit()
    run = run_whole_bank(team)
    with transaction():
        return service.apply_run(service.run_for(team, run.id), team, now=NOW)


def test_the_run_page_says_an_offer_past_its_expiry_expired_before_the_job_has_run(
    ics, auth, frozen
):
    from bank.models_offers import OfferStatus, ShiftOffer

    team = staff_user(Role.ICS_ADMIN, None)
    run = applied_run(ics, team)
    offer = db.session.scalar(sa.select(ShiftOffer))
    frozen.move_to(offer.expires_at)  # the 15-minute job has not run since
    auth.login(team.email)
    page = auth.client.get(f"/workforce/gap-fill/{run.id}").text
    assert "Not answered in time" in page and "Waiting for an answer" not in page
    db.session.expire_all()
    assert db.session.get(ShiftOffer, offer.id).status == OfferStatus.EXPIRED


def test_the_run_api_says_an_offer_past_its_expiry_expired(ics, api_client, frozen):
    from bank.models_offers import ShiftOffer

    team = staff_user(Role.ICS_ADMIN, None)
    run = applied_run(ics, team)
    frozen.move_to(db.session.scalar(sa.select(ShiftOffer.expires_at)))
    proposals = api_client(team).get(f"/api/v1/gap-fill-runs/{run.id}").get_json()["proposals"]
    assert {p["kind"]: p["offer_status"] for p in proposals} == {"book": None, "offer": "expired"}


def test_applying_a_run_makes_offers_the_worker_accepts_and_the_run_page_says_so(
    ics, auth, api_client
):
    from bank.models_offers import OfferSource, OfferStatus, ShiftOffer
    from bank.services.offers import accept_offer

    team = staff_user(Role.ICS_ADMIN, None)
    run = applied_run(ics, team)
    item = db.session.scalar(sa.select(GapFillItem).where(GapFillItem.kind == GapFillKind.OFFER))
    offer = db.session.scalar(sa.select(ShiftOffer))
    assert (offer.source, offer.gap_fill_item_id, offer.worker_id, offer.shift_id) == (
        OfferSource.GAP_FILL,
        item.id,
        ics["offered"].id,
        item.shift_id,
    )
    assert offer.offered_by_user_id == team.id and item.outcome == GapFillOutcome.OFFERED
    auth.login(team.email)
    page = auth.client.get(f"/workforce/gap-fill/{run.id}").text
    assert "Waiting for an answer" in page
    with transaction():
        accept_offer(offer.id, ics["offered"], actor=ics["offered"].user, now=NOW)
    db.session.expire_all()
    assert db.session.get(GapFillItem, item.id).offer.status == OfferStatus.ACCEPTED
    assert "Accepted" in auth.client.get(f"/workforce/gap-fill/{run.id}").text
    proposals = api_client(team).get(f"/api/v1/gap-fill-runs/{run.id}").get_json()["proposals"]
    assert {p["kind"]: p["offer_status"] for p in proposals} == {"book": None, "offer": "accepted"}
