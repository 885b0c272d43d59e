"""Flash crowd: 1,000 workers try to book 50 newly released shifts at the same moment.

A throw-away PostgreSQL (SQLite if none is installed) with the demo ICS (5 Trusts, 400
workers, as the API-read baseline), plus, bulk-inserted in a setup step, 1,000 eligible doctors
(users, worker profiles, approved collaborative-bank memberships, complete verified passports
and API tokens) and 50 shifts just released to the collaborative bank in departments that take
instant bookings. Gunicorn (2 workers) serves it on loopback. Every worker opens a connection
first; then all 1,000 send `POST /api/v1/shifts/<id>/bookings` at once, about 20 to each shift,
from one asyncio client.

Afterwards the database must hold exactly one active booking on each of the 50 shifts, 50
answers must be 201 (the same worker and shift as the booking), and every other answer a 409
(or a 422 "no longer open"). The row says whether that held, and counts the answers by status.
Run alone: ``python -m bench.flash_crowd``.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import time
from datetime import datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from bench.harness import (
    app_on,
    database,
    flask,
    flask_env,
    free_port,
    gunicorn,
    median,
    percentile,
)

LONDON = ZoneInfo("Europe/London")
SHIFTS, ATTEMPTS = 50, 1000
FLASH_TITLE = (
    f"== Flash crowd: {ATTEMPTS:,} concurrent instant bookings of {SHIFTS} newly released "
    "shifts, gunicorn 2 workers"
)
GRADE, ACCEPTABLE = "ST4", ["ST3", "ST4", "ST5"]


def _bulk_ids(model, rows: list[dict]) -> list[int]:
    import sqlalchemy as sa

    from app.extensions import db

    return list(
        db.session.scalars(sa.insert(model).returning(model.id, sort_by_parameter_order=True), rows)
    )


def prepare(now: datetime, seed: int = 50) -> tuple[list[int], list[tuple[int, int, str]]]:
    """Bulk-insert the crowd and the shifts; returns the shift ids and, per attempt,
    (worker id, shift id, API token), in the order they will be sent."""
    import sqlalchemy as sa

    from app.auth import TOKEN_PREFIX, digest, new_secret
    from app.db import transaction
    from app.extensions import db
    from app.models import ApiToken, Department, Role, RoleMembership, User, Worker
    from app.reference import RegistrationBody, StaffGroup
    from bank.models import (
        Bank,
        BankKind,
        BankMembership,
        InstantBookRule,
        MembershipStatus,
        RateCard,
        Shift,
        ShiftStatus,
        Tier,
    )
    from bank.services.shifts import band_for
    from passport.models import Credential, TrustRequirement

    rng = random.Random(seed)
    with transaction():
        collaborative = db.session.scalar(
            sa.select(Bank).where(Bank.kind == BankKind.COLLABORATIVE)
        )
        trust_ids = sorted(t.id for t in collaborative.member_trusts)
        # The demo worker's passport is complete: every new worker gets the same credentials.
        model = db.session.scalar(sa.select(Worker).join(User).where(User.email.like("worker@%")))
        template = list(
            db.session.scalars(sa.select(Credential).where(Credential.worker_id == model.id))
        )
        password_hash = model.user.password_hash
        user_ids = _bulk_ids(
            User,
            [
                {
                    "email": f"flash.{i}@bench.nhs.uk",
                    "full_name": f"Flash Crowd {i}",
                    "password_hash": password_hash,
                    "active": True,
                    "password_changed_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(ATTEMPTS)
            ],
        )
        db.session.execute(
            sa.insert(RoleMembership),
            [{"user_id": u, "role": Role.WORKER, "created_at": now} for u in user_ids],
        )
        worker_ids = _bulk_ids(
            Worker,
            [
                {
                    "user_id": u,
                    "staff_group": StaffGroup.MEDICAL,
                    "grade": GRADE,
                    "registration_body": RegistrationBody.GMC,
                    "registration_number": f"{7_500_000 + i:07d}",
                    "primary_trust_id": trust_ids[i % len(trust_ids)],
                    "created_at": now,
                    "updated_at": now,
                }
                for i, u in enumerate(user_ids)
            ],
        )
        db.session.execute(
            sa.insert(BankMembership),
            [
                {
                    "bank_id": collaborative.id,
                    "worker_id": w,
                    "status": MembershipStatus.APPROVED,
                    "requested_at": now - timedelta(days=30),
                    "decided_at": now - timedelta(days=29),
                }
                for w in worker_ids
            ],
        )
        columns = [c.key for c in Credential.__table__.columns if c.key not in ("id", "worker_id")]
        db.session.execute(
            sa.insert(Credential),
            [
                {
                    **{c: getattr(credential, c) for c in columns},
                    "worker_id": w,
                    "reference": f"{7_500_000 + i:07d}"
                    if credential.reference == model.registration_number
                    else credential.reference,
                }
                for i, w in enumerate(worker_ids)
                for credential in template
            ],
        )
        secrets = [new_secret(TOKEN_PREFIX) for _ in user_ids]
        db.session.execute(
            sa.insert(ApiToken),
            [
                {
                    "user_id": u,
                    "name": "flash crowd",
                    "token_hash": digest(s),
                    "prefix": s[:10],
                    "created_at": now,
                }
                for u, s in zip(user_ids, secrets, strict=True)
            ],
        )
        # Shifts just released to the collaborative bank, in departments open to instant
        # booking, at Trusts that ask for nothing beyond the passport (not a local induction).
        held = {c.credential_type_id for c in template}
        extra = sa.select(TrustRequirement.trust_id).where(
            TrustRequirement.credential_type_id.not_in(held),
            sa.or_(
                TrustRequirement.staff_group.is_(None),
                TrustRequirement.staff_group == StaffGroup.MEDICAL,
            ),
            sa.or_(TrustRequirement.grade.is_(None), TrustRequirement.grade == GRADE),
        )
        departments = list(
            db.session.execute(
                sa.select(InstantBookRule.department_id, Department.trust_id)
                .join(Department, Department.id == InstantBookRule.department_id)
                .where(InstantBookRule.worker_id.is_(None), Department.trust_id.not_in(extra))
                .distinct()
                .order_by(InstantBookRule.department_id)
            )
        )
        rates = {
            (r.trust_id, r.band): r.pence_per_hour
            for r in db.session.scalars(sa.select(RateCard).where(RateCard.grade == GRADE))
        }
        today = now.astimezone(LONDON).date()
        shift_rows = []
        for number in range(SHIFTS):
            department_id, trust_id = departments[number % len(departments)]
            day = today + timedelta(days=5 + number % 10)
            start = datetime.combine(day, clock(8 if number % 3 else 20), LONDON)
            end = start + timedelta(hours=12.5)
            band = band_for(start, end)
            shift_rows.append(
                {
                    "trust_id": trust_id,
                    "department_id": department_id,
                    "staff_group": StaffGroup.MEDICAL,
                    "grade": GRADE,
                    "acceptable_grades": ACCEPTABLE,
                    "required_credentials": [],
                    "start_at": start,
                    "end_at": end,
                    "band": band,
                    "pence_per_hour": rates.get((trust_id, band), 9300),
                    "status": ShiftStatus.OPEN,
                    "tier": Tier.COLLABORATIVE,
                    "released_at": now,
                    "urgent": False,
                    "posted_at": now - timedelta(days=3),
                }
            )
        shift_ids = _bulk_ids(Shift, shift_rows)
    attempts = [
        (w, shift_ids[i % SHIFTS], s)
        for i, (w, s) in enumerate(zip(worker_ids, secrets, strict=True))
    ]
    rng.shuffle(attempts)
    return shift_ids, attempts


def check_eligible(attempts: list[tuple[int, int, str]], now: datetime, sample: int = 60) -> None:
    """Before the crowd: a sample of the attempts would each be an eligible instant booking
    (so the 409s afterwards mean "taken", never "not allowed")."""
    from app.extensions import db
    from app.models import Worker
    from bank.models import Shift
    from bank.services.eligibility import judge_shift, worker_context

    for worker_id, shift_id, _ in attempts[:sample]:
        verdict = judge_shift(
            worker_context(db.session.get(Worker, worker_id), now), db.session.get(Shift, shift_id)
        )
        if not verdict.eligible or not verdict.instant:
            reasons = "; ".join(r.message for r in verdict.refusals) or "not instant"
            raise RuntimeError(f"worker {worker_id} cannot book shift {shift_id}: {reasons}")
    db.session.remove()


async def _attempt(port: int, shift_id: int, token: str, go: asyncio.Event, timeout: float):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (
        f"POST /api/v1/shifts/{shift_id}/bookings HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    ).encode()
    await go.wait()
    start = time.perf_counter()
    try:
        writer.write(request)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), timeout)
    except (TimeoutError, OSError) as error:
        return 0, time.perf_counter() - start, type(error).__name__
    finally:
        writer.close()
    elapsed = time.perf_counter() - start
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return status, elapsed, body.decode(errors="replace")


async def _crowd(port: int, attempts: list[tuple[int, int, str]], timeout: float):
    go = asyncio.Event()
    tasks = [
        asyncio.create_task(_attempt(port, shift_id, token, go, timeout))
        for _, shift_id, token in attempts
    ]
    await asyncio.sleep(0.5)  # every connection open (the kernel queues what gunicorn has not
    start = time.perf_counter()  # accepted yet), then all 1,000 requests go at once
    go.set()
    results = await asyncio.gather(*tasks)
    return results, time.perf_counter() - start


def fire(port: int, attempts: list[tuple[int, int, str]], timeout: float = 120.0):
    """All the attempts at once; [(status, seconds, body)] in attempt order, and the wall time."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < len(attempts) + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, len(attempts) + 1024), hard))
    return asyncio.run(_crowd(port, attempts, timeout))


def tally(attempts, results) -> tuple[dict[str, int], set[tuple[int, int]], int]:
    """The answers by status, the (shift, worker) pairs answered 201, and how many answers
    break the rule (neither a booking of the shift asked for, nor a 409 or 422 "not open")."""
    statuses: dict[str, int] = {}
    winners, stray = set(), 0
    for (worker_id, shift_id, _), (status, _, body) in zip(attempts, results, strict=True):
        key = str(status) if status else "error"
        if status == 422 and "no longer open" in body:
            key = "422 not open"
        statuses[key] = statuses.get(key, 0) + 1
        if status == 201:
            winners.add((shift_id, worker_id))
            answer = json.loads(body)
            stray += (answer.get("shift_id"), answer.get("worker_id")) != (shift_id, worker_id)
        elif key not in ("409", "422 not open"):
            stray += 1
    return statuses, winners, stray


def invariant_holds(
    shift_ids: list[int], active: list[tuple[int, int]], booked: int, winners, stray: int
) -> bool:
    """Exactly one active booking per shift, each the one answered 201, and nothing else."""
    one_each = len(active) == len(shift_ids) and {s for s, _ in active} == set(shift_ids)
    return one_each and booked == len(shift_ids) and set(active) == winners and stray == 0


def verify(shift_ids: list[int], attempts, results) -> dict:
    """What the database holds afterwards, checked against the answers."""
    import sqlalchemy as sa

    from app.extensions import db
    from bank.models import Booking, BookingStatus, Shift, ShiftStatus

    active = [
        (shift_id, worker_id)
        for shift_id, worker_id in db.session.execute(
            sa.select(Booking.shift_id, Booking.worker_id).where(
                Booking.shift_id.in_(shift_ids), Booking.status == BookingStatus.ACTIVE
            )
        )
    ]
    booked = db.session.scalar(
        sa.select(sa.func.count(Shift.id)).where(
            Shift.id.in_(shift_ids), Shift.status == ShiftStatus.BOOKED
        )
    )
    db.session.remove()
    statuses, winners, stray = tally(attempts, results)
    return {
        "active_bookings": len(active),
        "shifts_booked": booked,
        "statuses": statuses,
        "invariant": invariant_holds(shift_ids, active, booked, winners, stray),
    }


def run_flash_crowd(baseline: dict | None = None) -> dict:
    """The whole measurement; one table row. `baseline`: the API-read row of the same run."""
    from app.db import utcnow

    with database() as (url, kind):
        env = flask_env(url)
        flask(env, "db", "upgrade")
        flask(env, "demo", "load", "--trusts", "5", "--workers", "400")
        with app_on(url):
            now = utcnow()
            shift_ids, attempts = prepare(now)
            check_eligible(attempts, now)
        port = free_port()
        with gunicorn(env, port):
            # Warm both workers (imports, connection pools) with reads that change nothing.
            asyncio.run(_warm(port, attempts[:8]))
            results, elapsed = fire(port, attempts)
        with app_on(url):
            checked = verify(shift_ids, attempts, results)
    latencies = sorted(seconds * 1000 for _, seconds, _ in results)
    per_second = len(results) / elapsed
    row = {
        "benchmark": f"Flash crowd, gunicorn 2 workers, {kind}",
        "attempts": len(results),
        "shifts": len(shift_ids),
        "bookings": checked["active_bookings"],
        "answers": ", ".join(f"{k}: {v}" for k, v in sorted(checked["statuses"].items())),
        "invariant": "held" if checked["invariant"] else "BROKEN",
        "per_second": f"{per_second:.0f}",
        "p50_ms": f"{median(latencies):.0f}",
        "p99_ms": f"{percentile(latencies, 0.99):.0f}",
        "vs_api_read": "-",
        "load": f"{os.getloadavg()[0]:.1f}",
    }
    if baseline:
        # Throughput only: a flash crowd's latency is mostly its own queue, not comparable.
        row["vs_api_read"] = f"{per_second / baseline['per_second']:.2f}x per s"
    return row


async def _warm(port: int, attempts: list[tuple[int, int, str]]) -> None:
    for _, _, token in attempts:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"GET /api/v1/me/bookings HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        await reader.read()
        writer.close()


def main() -> int:
    from bench.ssb import format_table

    print(FLASH_TITLE)
    print(format_table([run_flash_crowd()]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
