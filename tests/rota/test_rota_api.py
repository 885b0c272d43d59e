"""The rota API: define, solve, read, edit (hard rules re-checked) and publish.

Time is frozen at Monday 2 November 2026, 09:00 UTC; rotas start the Monday after.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.db import transaction, utcnow
from app.errors import ValidationFailed
from app.extensions import db
from app.models import AuditEvent, Notification, Role
from bank.models import DeclaredCommitment, RateBand, Shift, ShiftStatus
from rota import services
from rota.models import (
    Rota,
    RotaGradeGroup,
    RotaMember,
    RotaShiftType,
    RotaSolveRun,
    RotaStatus,
    SolveRunStatus,
)
from rota.schemas_rotas import RotaCreateSchema
from tests.factories import (
    NOW,
    DeclaredCommitmentFactory,
    DepartmentFactory,
    RateCardFactory,
    RotaCoverFactory,
    RotaFactory,
    RotaMemberFactory,
    RotaSolveRunFactory,
    TrustFactory,
    WorkerFactory,
    staff_user,
)

MONDAY = "2026-11-09"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def ward(app):
    """A Trust with a ward, its workforce team, two registrars and two FY1s."""
    trust = TrustFactory(name="Ribble Hospitals")
    department = DepartmentFactory(site__trust=trust, name="Acute Medical Unit")
    team = staff_user(Role.WORKFORCE, trust)
    regs = [WorkerFactory(primary_trust=trust, grade="ST4") for _ in range(2)]
    fy1s = [WorkerFactory(primary_trust=trust, grade="FY1") for _ in range(2)]
    return trust, department, team, regs, fy1s


def definition(department, regs, fy1s, **overrides):
    body = {
        "department_id": department.id,
        "name": "AMU November",
        "starts_on": MONDAY,
        "weeks": 1,
        "shift_types": [
            {"code": "D", "name": "Day", "starts_at": "08:00", "minutes": 510},
            {"code": "N", "name": "Night", "starts_at": "20:00", "minutes": 750},
        ],
        "grade_groups": [
            {"name": "Registrar", "grades": ["ST3", "ST4", "ST5"]},
            {"name": "FY1", "grades": ["FY1"], "supervised_by": "Registrar"},
        ],
        "covers": [
            {"shift_type": "D", "grade_group": "Registrar", "required": 1},
            {"shift_type": "D", "grade_group": "FY1", "required": 1},
            {"shift_type": "N", "grade_group": "Registrar", "required": 1},
            {"shift_type": "N", "grade_group": "FY1", "required": 2},
        ],
        "members": [
            {"worker_id": w.id, "grade_group": "Registrar", "contracted_hours": 40} for w in regs
        ]
        + [
            {
                "worker_id": w.id,
                "grade_group": "FY1",
                "contracted_hours": 40,
                "leave": [{"first_day": "2026-11-11", "last_day": "2026-11-12"}] if i == 0 else [],
                "requests": [{"on": MONDAY, "shift_type": "N", "wants": False, "weight": 20}],
            }
            for i, w in enumerate(fy1s)
        ],
    }
    return {**body, **overrides}


def define(api, trust, department, regs, fy1s, **overrides):
    response = api.post(
        f"/api/v1/trusts/{trust.id}/rotas", json=definition(department, regs, fy1s, **overrides)
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_workforce_team_defines_a_rota_with_cover_by_grade(ward, api_client):
    trust, department, team, regs, fy1s = ward
    api = api_client(team)
    rota = define(api, trust, department, regs, fy1s)
    assert [st["code"] for st in rota["shift_types"]] == ["D", "N"]
    fy1 = next(g for g in rota["grade_groups"] if g["name"] == "FY1")
    registrar = next(g for g in rota["grade_groups"] if g["name"] == "Registrar")
    assert fy1["supervised_by_id"] == registrar["id"]
    assert rota["members"][2]["leave"] == ["2026-11-11", "2026-11-12"]
    assert rota["members"][0]["rule_set"] == "doctor_in_training"

    listed = api.get(f"/api/v1/trusts/{trust.id}/rotas").get_json()
    assert [(r["id"], r["department_name"]) for r in listed] == [(rota["id"], "Acute Medical Unit")]
    review = api.get(f"/api/v1/rotas/{rota['id']}").get_json()
    assert review["publishable"] is True
    # Nobody rostered yet: every line short, 5 people a day.
    assert sum(s["short"] for s in review["shortfalls"]) == 7 * 5


def test_bad_definitions_are_422_naming_the_fields(ward, api_client):
    trust, department, team, regs, fy1s = ward
    api = api_client(team)
    response = api.post(
        f"/api/v1/trusts/{trust.id}/rotas",
        json=definition(department, regs, fy1s, starts_on="2026-11-10", weeks=0),
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"starts_on", "weeks"}

    body = definition(department, regs, fy1s)
    body["members"][0]["grade_group"] = "FY1"  # an ST4 is not an FY1
    response = api.post(f"/api/v1/trusts/{trust.id}/rotas", json=body)
    assert response.status_code == 422
    assert "ST4" in response.get_json()["errors"]["members.0.grade_group_id"][0]

    response = api.post(f"/api/v1/trusts/{trust.id}/rotas", json={"name": "x"})
    assert response.status_code == 422
    assert {"department_id", "starts_on", "weeks"} <= set(response.get_json()["errors"])
    assert db.session.scalar(sa.select(sa.func.count(Rota.id))) == 0


def test_another_trusts_rota_is_not_found(ward, api_client):
    trust, department, team, regs, fy1s = ward
    rota = define(api_client(team), trust, department, regs, fy1s)
    stranger = api_client(staff_user(Role.WORKFORCE, TrustFactory()))
    assert stranger.get(f"/api/v1/rotas/{rota['id']}").status_code == 404
    assert stranger.get(f"/api/v1/trusts/{trust.id}/rotas").status_code == 404
    assert stranger.post(f"/api/v1/rotas/{rota['id']}/publish").status_code == 404
    assert stranger.post(f"/api/v1/rotas/{rota['id']}/solve", json={}).status_code == 404
    assert stranger.post(f"/api/v1/trusts/{trust.id}/rotas", json={}).status_code in (404, 422)


def test_solving_builds_a_rota_that_keeps_every_rule(app, ward, api_client):
    app.config.update(ROTA_SOLVE_INLINE=True, ROTA_SOLVER_WORKERS=1)
    trust, department, team, regs, fy1s = ward
    api = api_client(team)
    rota = define(api, trust, department, regs, fy1s)
    response = api.post(f"/api/v1/rotas/{rota['id']}/solve", json={"time_limit": 4, "seed": 1})
    assert response.status_code == 202
    run = response.get_json()
    assert run["status"] == "done", run
    assert run["roster"] and run["progress"]
    assert api.get(f"/api/v1/rota-solve-runs/{run['id']}").get_json()["id"] == run["id"]

    review = api.get(f"/api/v1/rotas/{rota['id']}").get_json()
    assert review["breaches"] == []
    assigned = review["rota"]["assignments"]
    assert assigned
    on_leave = review["rota"]["members"][2]
    assert not [
        a for a in assigned if a["member_id"] == on_leave["id"] and a["on"] in on_leave["leave"]
    ]
    # Four doctors cannot cover five posts a day: the shortfall is listed with its cost.
    assert review["shortfalls"]
    assert any(p["kind"] == "cover_under" and p["cost"] > 0 for p in review["penalties"])


def test_an_edit_that_breaks_a_rule_is_refused_with_the_reason(ward, api_client):
    trust, department, team, regs, fy1s = ward
    api = api_client(team)
    rota = define(api, trust, department, regs, fy1s)
    reg = rota["members"][0]["id"]
    day, night = (st["id"] for st in rota["shift_types"])
    edits = f"/api/v1/rotas/{rota['id']}/edits"
    ok = api.post(edits, json={"member_id": reg, "on": MONDAY, "shift_type_id": night})
    assert ok.status_code == 200, ok.get_json()

    refused = api.post(edits, json={"member_id": reg, "on": "2026-11-10", "shift_type_id": day})
    assert refused.status_code == 422
    reasons = refused.get_json()["errors"]["shift_type_id"]
    assert any("rest" in r for r in reasons), reasons

    fy1 = rota["members"][3]["id"]
    alone = api.post(edits, json={"member_id": fy1, "on": "2026-11-11", "shift_type_id": day})
    assert alone.status_code == 422
    assert "FY1 working with no Registrar" in alone.get_json()["errors"]["shift_type_id"][0]

    on_leave = rota["members"][2]["id"]
    leave = api.post(
        edits, json={"member_id": on_leave, "on": "2026-11-11", "shift_type_id": night}
    )
    assert leave.status_code == 422

    # Moving the night to Tuesday is fine, and clears Monday.
    moved = api.post(
        edits,
        json={"member_id": reg, "on": "2026-11-10", "from_member_id": reg, "from_on": MONDAY},
    )
    assert moved.status_code == 200, moved.get_json()
    assert moved.get_json()["rota"]["assignments"] == [
        {"member_id": reg, "on": "2026-11-10", "shift_type_id": night}
    ]
    unassign = api.post(edits, json={"member_id": reg, "on": "2026-11-10"})
    assert unassign.get_json()["rota"]["assignments"] == []


def test_publishing_notifies_staff_and_posts_the_gaps_as_bank_shifts(ward, api_client):
    trust, department, team, regs, fy1s = ward
    for grade in ("ST3", "FY1"):
        for band in RateBand:
            RateCardFactory(trust=trust, grade=grade, band=band, pence_per_hour=8000)
    api = api_client(team)
    rota = define(
        api,
        trust,
        department,
        regs,
        fy1s,
        covers=[
            {"shift_type": "N", "grade_group": "Registrar", "required": 1},
            {"shift_type": "N", "grade_group": "FY1", "required": 1, "weekday": 0},
        ],
    )
    reg = rota["members"][0]["id"]
    night = rota["shift_types"][1]["id"]
    api.post(
        f"/api/v1/rotas/{rota['id']}/edits",
        json={"member_id": reg, "on": MONDAY, "shift_type_id": night},
    )

    response = api.post(f"/api/v1/rotas/{rota['id']}/publish")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["rota"]["status"] == "published"
    # Six registrar nights and Monday's FY1 are unfilled.
    shifts = body["bank_shifts"]
    assert len(shifts) == 7
    assert {s["grade"] for s in shifts} == {"ST3", "FY1"}
    assert all(s["status"] == "open" and s["pence_per_hour"] == 8000 for s in shifts)
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Shift.id)).where(Shift.status == ShiftStatus.OPEN)
        )
        == 7
    )
    told = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "rota_published")
    ).all()
    assert len(told) == 4
    assert {n.link for n in told} == {"/my-rota"}
    # The rota's shifts now count in the bank's own checks of each member's bookings.
    declared = db.session.scalars(sa.select(DeclaredCommitment)).all()
    assert [(d.worker_id, d.description) for d in declared] == [
        (regs[0].id, f"Rota #{rota['id']}: AMU November (Night)")
    ]
    assert db.session.get(Rota, rota["id"]).status.value == "published"
    assert api.get(f"/api/v1/rotas/{rota['id']}").get_json()["breaches"] == []
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "rota.published"))
    again = api.post(f"/api/v1/rotas/{rota['id']}/publish")
    assert again.status_code == 409


def test_work_at_another_trust_counts_when_editing(ward, api_client):
    trust, department, team, regs, fy1s = ward
    api = api_client(team)
    rota = define(api, trust, department, regs, fy1s, covers=[])
    # A night at another Trust ending at 07:00 on the rota's first Monday.
    DeclaredCommitmentFactory(
        worker=regs[0],
        trust_id=TrustFactory(name="Tame Hospitals").id,
        start_at=NOW.replace(day=8, hour=19),
        end_at=NOW.replace(day=9, hour=7),
    )
    day = rota["shift_types"][0]["id"]
    refused = api.post(
        f"/api/v1/rotas/{rota['id']}/edits",
        json={"member_id": rota["members"][0]["id"], "on": MONDAY, "shift_type_id": day},
    )
    assert refused.status_code == 422
    assert any("rest" in r for r in refused.get_json()["errors"]["shift_type_id"])


def test_publishing_without_a_rate_for_a_grade_says_so_and_posts_nothing(ward, api_client):
    trust, department, team, regs, fy1s = ward
    api = api_client(team)
    rota = define(api, trust, department, regs, fy1s)
    gaps = api.get(f"/api/v1/rotas/{rota['id']}").get_json()["shortfalls"]
    assert {(g["grade"], g["pence_per_hour"]) for g in gaps} == {("ST3", None), ("FY1", None)}
    response = api.post(f"/api/v1/rotas/{rota['id']}/publish")
    assert response.status_code == 422
    assert "rate card has no" in response.get_json()["errors"]["rate_card"][0]
    assert db.session.scalar(sa.select(sa.func.count(Shift.id))) == 0
    assert db.session.get(Rota, rota["id"]).status.value == "draft"


def test_a_rota_breaking_a_hard_rule_cannot_be_published(ward, api_client):
    trust, department, team, regs, fy1s = ward
    api = api_client(team)
    rota = define(api, trust, department, regs, fy1s, covers=[])
    reg = rota["members"][0]["id"]
    night = rota["shift_types"][1]["id"]
    api.post(
        f"/api/v1/rotas/{rota['id']}/edits",
        json={"member_id": reg, "on": MONDAY, "shift_type_id": night},
    )
    # Leave added after the shift was rostered: now the rota breaks a rule.
    with transaction():
        services.add_leave(
            db.session.get(Rota, rota["id"]),
            team,
            member_id=reg,
            now=utcnow(),
            first_day=NOW.date().replace(day=9),
            last_day=NOW.date().replace(day=9),
        )
    response = api.post(f"/api/v1/rotas/{rota['id']}/publish")
    assert response.status_code == 409
    assert "on leave" in response.get_json()["errors"]["rota"][0]


def test_a_rota_with_no_staff_cannot_be_solved(app, ward):
    trust, department, team, _regs, _fy1s = ward
    with transaction():
        rota = services.create_rota(
            trust,
            team,
            department_id=department.id,
            name="Empty",
            weeks=1,
            starts_on=NOW.date().replace(day=9),
            now=utcnow(),
        )
    with pytest.raises(ValidationFailed) as refused, transaction():
        services.start_solve(rota, team, time_limit=3, now=utcnow())
    assert "time_limit" in refused.value.errors
    assert db.session.scalar(sa.select(sa.func.count(RotaSolveRun.id))) == 0


def test_one_solve_at_a_time_until_a_lost_run_goes_stale(app, ward, api_client, frozen):
    app.config.update(ROTA_SOLVE_INLINE=True, ROTA_SOLVER_WORKERS=1)
    trust, department, team, regs, fy1s = ward
    api = api_client(team)
    rota = define(api, trust, department, regs, fy1s)
    with transaction():
        services.start_solve(db.session.get(Rota, rota["id"]), team, time_limit=5, now=utcnow())
    busy = api.post(f"/api/v1/rotas/{rota['id']}/solve", json={"time_limit": 2})
    assert busy.status_code == 409
    frozen.shift(10 * 60)  # the first run's process died: it never finished
    again = api.post(f"/api/v1/rotas/{rota['id']}/solve", json={"time_limit": 2})
    assert again.status_code == 202
    assert again.get_json()["status"] == "done"


def test_the_rota_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "delete" in paths["/api/v1/rotas/{rota_id}"]
    for path in (
        "/api/v1/trusts/{trust_id}/rotas",
        "/api/v1/rotas/{rota_id}",
        "/api/v1/rotas/{rota_id}/solve",
        "/api/v1/rota-solve-runs/{run_id}",
        "/api/v1/rotas/{rota_id}/solve-runs",
        "/api/v1/rotas/{rota_id}/shift-types/{shift_type_id}",
        "/api/v1/rotas/{rota_id}/grade-groups/{grade_group_id}",
        "/api/v1/rotas/{rota_id}/members/{member_id}/leave",
        "/api/v1/rotas/{rota_id}/requests/{request_id}",
        "/api/v1/rotas/{rota_id}/edits",
        "/api/v1/rotas/{rota_id}/publish",
    ):
        assert path in paths, path


def test_a_published_rota_cannot_be_changed_or_solved_again(api_client):
    cover = RotaCoverFactory(shift_type__rota__status=RotaStatus.PUBLISHED)
    member = RotaMemberFactory(grade_group=cover.grade_group)
    rota = cover.rota
    api = api_client(staff_user(Role.WORKFORCE, member.worker.primary_trust))
    edit = api.post(
        f"/api/v1/rotas/{rota.id}/edits",
        json={"member_id": member.id, "on": MONDAY, "shift_type_id": cover.shift_type_id},
    )
    assert edit.status_code == 409
    assert api.post(f"/api/v1/rotas/{rota.id}/solve", json={}).status_code == 409
    # An ICS administrator reads any Trust's rota.
    admin = api_client(staff_user(Role.ICS_ADMIN, None))
    assert admin.get(f"/api/v1/rotas/{rota.id}").get_json()["rota"]["status"] == "published"


def test_a_draft_rota_is_added_to_part_by_part(ward, api_client):
    trust, department, team, regs, fy1s = ward
    api = api_client(team)
    rota = define(api, trust, department, [], [], covers=[], grade_groups=[], shift_types=[])
    base = f"/api/v1/rotas/{rota['id']}"
    st = api.post(
        f"{base}/shift-types",
        json={"code": "LD", "name": "Long day", "starts_at": "08:00", "minutes": 750},
    )
    assert st.status_code == 201, st.get_json()
    long_day = st.get_json()["shift_types"][0]["id"]
    group = api.post(f"{base}/grade-groups", json={"name": "Registrar", "grades": ["ST4"]})
    group_id = group.get_json()["grade_groups"][0]["id"]
    assert (
        api.post(
            f"{base}/covers",
            json={"shift_type_id": long_day, "grade_group_id": group_id, "required": 1},
        ).status_code
        == 201
    )
    member = api.post(
        f"{base}/members",
        json={"worker_id": regs[0].id, "grade_group_id": group_id, "contracted_hours": 40},
    )
    member_id = member.get_json()["members"][0]["id"]
    leave = api.post(
        f"{base}/leave",
        json={"member_id": member_id, "first_day": "2026-11-10", "last_day": "2026-11-11"},
    )
    assert leave.get_json()["members"][0]["leave"] == ["2026-11-10", "2026-11-11"]
    wish = api.post(
        f"{base}/requests",
        json={"member_id": member_id, "on": MONDAY, "shift_type_id": long_day, "wants": True},
    )
    assert wish.status_code == 201
    bad = api.post(
        f"{base}/members",
        json={"worker_id": fy1s[0].id, "grade_group_id": group_id, "contracted_hours": 80},
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"grade_group_id", "contracted_hours"}


def test_cover_and_members_can_be_taken_off_a_draft_rota(ward, api_client):
    trust, department, team, regs, fy1s = ward
    api = api_client(team)
    rota = define(api, trust, department, regs, fy1s)
    member = rota["members"][0]["id"]
    night = rota["shift_types"][1]["id"]
    api.post(
        f"/api/v1/rotas/{rota['id']}/edits",
        json={"member_id": member, "on": MONDAY, "shift_type_id": night},
    )
    gone = api.delete(f"/api/v1/rotas/{rota['id']}/members/{member}")
    assert gone.status_code == 200
    assert len(gone.get_json()["members"]) == 3 and gone.get_json()["assignments"] == []
    cover = rota["covers"][0]["id"]
    left = api.delete(f"/api/v1/rotas/{rota['id']}/covers/{cover}").get_json()["covers"]
    assert cover not in [c["id"] for c in left]
    assert api.delete(f"/api/v1/rotas/{rota['id']}/covers/{cover}").status_code == 422


def test_a_solve_runs_in_a_background_thread_with_its_own_app_context(app, ward):
    app.config["ROTA_SOLVER_WORKERS"] = 1
    trust, department, team, regs, fy1s = ward
    body = RotaCreateSchema().load(definition(department, regs, fy1s))
    with transaction():
        rota = services.define_rota(trust, team, body, now=utcnow())
        run = services.start_solve(rota, team, time_limit=2, now=utcnow())
    services.launch(app, run.id).join(timeout=60)
    db.session.commit()  # end the test's read transaction: see what the thread committed
    finished = db.session.get(RotaSolveRun, run.id)
    assert finished.status.value == "done", finished.error
    assert finished.started_at is not None and finished.progress
    assert db.session.get(Rota, rota.id).assignments


def test_a_rotas_solve_runs_are_listed_newest_first_for_its_trust_only(api_client):
    earlier = RotaSolveRunFactory(
        status=SolveRunStatus.DONE,
        created_at=NOW - timedelta(hours=1),
        started_at=NOW - timedelta(hours=1),
        finished_at=NOW - timedelta(hours=1) + timedelta(seconds=12.5),
        solver_status="FEASIBLE",
        best_objective=340,
        bound=300,
    )
    rota = earlier.rota
    latest = RotaSolveRunFactory(rota=rota)
    RotaSolveRunFactory()  # another rota's run
    api = api_client(staff_user(Role.WORKFORCE, rota.department.trust))

    runs = api.get(f"/api/v1/rotas/{rota.id}/solve-runs").get_json()
    assert [r["id"] for r in runs] == [latest.id, earlier.id]
    assert runs[0]["status"] == "queued" and runs[0]["seconds"] is None
    assert {k: runs[1][k] for k in ("status", "objective", "bound", "seconds")} == {
        "status": "done",
        "objective": 340,
        "bound": 300,
        "seconds": 12.5,
    }
    assert runs[1]["created_at"] == "2026-11-02T08:00:00+00:00"
    stranger = api_client(staff_user(Role.WORKFORCE, TrustFactory()))
    assert stranger.get(f"/api/v1/rotas/{rota.id}/solve-runs").status_code == 404


def test_a_draft_rota_is_deleted_with_its_parts_and_runs_and_the_deletion_audited(ward, api_client):
    trust, department, team, regs, fy1s = ward
    api = api_client(team)
    rota = define(api, trust, department, regs, fy1s)
    RotaSolveRunFactory(
        rota=db.session.get(Rota, rota["id"]),
        status=SolveRunStatus.DONE,
        finished_at=NOW,
    )
    stranger = api_client(staff_user(Role.WORKFORCE, TrustFactory()))
    assert stranger.delete(f"/api/v1/rotas/{rota['id']}").status_code == 404

    response = api.delete(f"/api/v1/rotas/{rota['id']}")
    assert response.status_code == 204 and response.get_data() == b""
    assert api.get(f"/api/v1/rotas/{rota['id']}").status_code == 404
    for model in (Rota, RotaSolveRun, RotaMember, RotaShiftType, RotaGradeGroup):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "rota.deleted"))
    assert audit.object_id == str(rota["id"]) and audit.actor_user_id == team.id
    assert audit.trust_id == trust.id and audit.after["name"] == "AMU November"


def test_a_published_rota_cannot_be_deleted(api_client):
    rota = RotaFactory(status=RotaStatus.PUBLISHED)
    api = api_client(staff_user(Role.WORKFORCE, rota.department.trust))
    response = api.delete(f"/api/v1/rotas/{rota.id}")
    assert response.status_code == 409
    problem = response.get_json()
    assert problem["status"] == 409 and "published" in problem["detail"]
    assert response.content_type == "application/problem+json"
    assert db.session.get(Rota, rota.id) is not None


def test_a_rota_the_solver_is_building_cannot_be_deleted(api_client):
    run = RotaSolveRunFactory(status=SolveRunStatus.RUNNING, started_at=NOW)
    api = api_client(staff_user(Role.WORKFORCE, run.rota.department.trust))
    response = api.delete(f"/api/v1/rotas/{run.rota_id}")
    assert response.status_code == 409
    assert "solver is building" in response.get_json()["detail"]


def test_shift_types_grade_groups_leave_and_requests_come_off_a_draft_rota(ward, api_client):
    trust, department, team, regs, fy1s = ward
    api = api_client(team)
    rota = define(api, trust, department, regs, fy1s)
    base = f"/api/v1/rotas/{rota['id']}"
    day, night = (st["id"] for st in rota["shift_types"])
    registrar, fy1 = (g["id"] for g in rota["grade_groups"])
    reg = rota["members"][0]["id"]
    api.post(f"{base}/edits", json={"member_id": reg, "on": MONDAY, "shift_type_id": night})

    # The night goes with its cover, the FY1s' requests against it and the rostered night.
    after = api.delete(f"{base}/shift-types/{night}").get_json()
    assert [st["id"] for st in after["shift_types"]] == [day]
    assert {c["shift_type_id"] for c in after["covers"]} == {day}
    assert after["assignments"] == [] and all(m["requests"] == [] for m in after["members"])
    assert api.delete(f"{base}/shift-types/{night}").status_code == 422

    refused = api.delete(f"{base}/grade-groups/{registrar}")
    assert refused.status_code == 422
    assert (
        "Take the 2 members of Registrar off" in refused.get_json()["errors"]["grade_group_id"][0]
    )
    for member in rota["members"][2:]:
        api.delete(f"{base}/members/{member['id']}")
    gone = api.delete(f"{base}/grade-groups/{fy1}").get_json()
    assert [g["id"] for g in gone["grade_groups"]] == [registrar]
    assert {c["grade_group_id"] for c in gone["covers"]} == {registrar}

    wish = api.post(
        f"{base}/requests",
        json={"member_id": reg, "on": MONDAY, "shift_type_id": day, "wants": True},
    ).get_json()["members"][0]["requests"][0]
    assert api.delete(f"{base}/requests/{wish['id']}").get_json()["members"][0]["requests"] == []

    api.post(
        f"{base}/leave",
        json={"member_id": reg, "first_day": "2026-11-10", "last_day": "2026-11-13"},
    )
    left = api.delete(
        f"{base}/members/{reg}/leave?first_day=2026-11-11&last_day=2026-11-12"
    ).get_json()
    assert left["members"][0]["leave"] == ["2026-11-10", "2026-11-13"]
    one = api.delete(f"{base}/members/{reg}/leave?first_day=2026-11-13").get_json()
    assert one["members"][0]["leave"] == ["2026-11-10"]
    none = api.delete(f"{base}/members/{reg}/leave?first_day=2026-11-14")
    assert none.status_code == 422 and "no leave" in none.get_json()["errors"]["first_day"][0]
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {
        "rota.shift_type_removed",
        "rota.grade_group_removed",
        "rota.request_removed",
        "rota.leave_removed",
    } <= actions
