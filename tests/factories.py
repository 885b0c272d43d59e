"""factory-boy factories, one per model. Rows are committed, as production would see them."""

from __future__ import annotations

import factory
import sqlalchemy as sa
from argon2 import PasswordHasher

from app.db import utcnow
from app.extensions import db
from app.models import (
    AuditEvent,
    Department,
    JobRun,
    Notification,
    NotificationPreference,
    OutboxEmail,
    Role,
    RoleMembership,
    Site,
    Trust,
    User,
    Worker,
)
from app.reference import RegistrationBody, StaffGroup
from passport.models import Credential, CredentialStatus, CredentialType
from passport.services import ensure_credential_types

PASSWORD = "correct-horse-battery"
# Cheap argon2 parameters: verification reads them from the hash, so logins work as usual.
_PASSWORD_HASH = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # End the test's read transaction first, as app.db.transaction() does: on SQLite a
        # transaction that has read an older snapshot cannot become a writer.
        session = db.session()
        if session.in_transaction():
            session.commit()
        return super()._create(model_class, *args, **kwargs)


class TrustFactory(BaseFactory):
    class Meta:
        model = Trust

    name = factory.Sequence(lambda n: f"Trust {n} NHS Foundation Trust")
    ods_code = factory.Sequence(lambda n: f"T{n:03d}")


class SiteFactory(BaseFactory):
    class Meta:
        model = Site

    trust = factory.SubFactory(TrustFactory)
    name = factory.Sequence(lambda n: f"General Hospital {n}")


class DepartmentFactory(BaseFactory):
    class Meta:
        model = Department

    site = factory.SubFactory(SiteFactory)
    trust = factory.SelfAttribute("site.trust")
    name = factory.Sequence(lambda n: f"Ward {n}")
    specialty = "General medicine"
    cost_centre = factory.Sequence(lambda n: f"CC{n:04d}")


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.nhs.uk")
    full_name = factory.Sequence(lambda n: f"Test User {n}")
    password_hash = _PASSWORD_HASH
    active = True
    password_changed_at = factory.LazyFunction(utcnow)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[tuple[Role, Trust | None]] | None, **_kw):
        """`roles=[(Role.WORKFORCE, trust), (Role.ICS_ADMIN, None)]`."""
        for role, trust in extracted or []:
            self.memberships.append(
                RoleMembership(role=role, trust_id=trust.id if trust is not None else None)
            )
        if create and extracted:
            db.session.commit()


class WorkerFactory(BaseFactory):
    class Meta:
        model = Worker

    user = factory.SubFactory(UserFactory, roles=[(Role.WORKER, None)])
    staff_group = StaffGroup.MEDICAL
    grade = "ST3"
    registration_body = RegistrationBody.GMC
    registration_number = factory.Sequence(lambda n: f"{7100000 + n:07d}")
    primary_trust = factory.SubFactory(TrustFactory)


class NotificationFactory(BaseFactory):
    class Meta:
        model = Notification

    user = factory.SubFactory(UserFactory)
    kind = "general"
    title = factory.Sequence(lambda n: f"Message {n}")
    body = "Hello"


class NotificationPreferenceFactory(BaseFactory):
    class Meta:
        model = NotificationPreference

    user = factory.SubFactory(UserFactory)
    email = True


class OutboxEmailFactory(BaseFactory):
    class Meta:
        model = OutboxEmail

    to_address = factory.Sequence(lambda n: f"someone{n}@example.nhs.uk")
    subject = "Hello"
    body = "A message"


class JobRunFactory(BaseFactory):
    class Meta:
        model = JobRun

    job_id = "core.deliver_outbox"
    scheduled_for = factory.LazyFunction(utcnow)


class AuditEventFactory(BaseFactory):
    class Meta:
        model = AuditEvent

    action = "test.done"
    object_type = "Trust"
    object_id = "1"


def credential_type(code: str) -> CredentialType:
    """A seeded credential type (all of them are added on first use)."""
    found = db.session.scalar(sa.select(CredentialType).where(CredentialType.code == code))
    if found is None:
        ensure_credential_types()
        db.session.commit()
        found = db.session.scalar(sa.select(CredentialType).where(CredentialType.code == code))
    return found


class CredentialFactory(BaseFactory):
    """A credential awaiting verification; pass `verified_by=(user, trust)` to verify it."""

    class Meta:
        model = Credential
        exclude = ("type_code", "verified_by")

    type_code = "identity"
    verified_by = None
    worker = factory.SubFactory(WorkerFactory)
    credential_type = factory.LazyAttribute(lambda o: credential_type(o.type_code))
    status = factory.LazyAttribute(
        lambda o: CredentialStatus.VERIFIED if o.verified_by else CredentialStatus.AWAITING
    )
    submitted_at = factory.LazyFunction(utcnow)
    verified_at = factory.LazyAttribute(lambda o: utcnow() if o.verified_by else None)
    verified_by_user_id = factory.LazyAttribute(
        lambda o: o.verified_by[0].id if o.verified_by else None
    )
    verified_by_trust_id = factory.LazyAttribute(
        lambda o: o.verified_by[1].id if o.verified_by else None
    )
    verification_method = factory.LazyAttribute(
        lambda o: "Original document seen in person" if o.verified_by else None
    )


def staff_user(role: Role, trust: Trust | None, **kwargs) -> User:
    """A user holding one role at `trust` (None: ICS-wide)."""
    return UserFactory(roles=[(role, trust)], **kwargs)


# Bank -------------------------------------------------------------------------------------

from datetime import UTC, datetime, timedelta  # noqa: E402

from bank.models import (  # noqa: E402
    Bank,
    BankKind,
    BankMembership,
    Booking,
    BookingSource,
    BookingStatus,
    InstantBookRule,
    MembershipStatus,
    RateBand,
    RateCard,
    Shift,
    ShiftStatus,
    Tier,
)

#: A fixed "now" for bank tests: Monday 2 November 2026, 09:00 UTC (GMT).
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class BankFactory(BaseFactory):
    """A Trust's own bank; `collaborative=True` with `member_trusts=[...]` for the ICS bank."""

    class Meta:
        model = Bank

    class Params:
        collaborative = factory.Trait(kind=BankKind.COLLABORATIVE, trust=None)

    name = factory.Sequence(lambda n: f"Bank {n}")
    kind = BankKind.TRUST
    trust = factory.SubFactory(TrustFactory)
    cancellation_window_hours = 48
    release_hours_before = 72


class MembershipFactory(BaseFactory):
    class Meta:
        model = BankMembership

    bank = factory.SubFactory(BankFactory)
    worker = factory.SubFactory(WorkerFactory)
    status = MembershipStatus.APPROVED
    requested_at = NOW - timedelta(days=30)


class RateCardFactory(BaseFactory):
    class Meta:
        model = RateCard

    trust = factory.SubFactory(TrustFactory)
    grade = "ST3"
    band = RateBand.CORE
    pence_per_hour = 9300


class ShiftFactory(BaseFactory):
    """An open day shift the day after NOW, for ST3s, at a department of a new Trust."""

    class Meta:
        model = Shift

    department = factory.SubFactory(DepartmentFactory)
    trust = factory.SelfAttribute("department.trust")
    staff_group = StaffGroup.MEDICAL
    grade = "ST3"
    acceptable_grades = factory.LazyAttribute(lambda o: [o.grade])
    required_credentials = factory.LazyFunction(list)
    start_at = NOW + timedelta(days=1)
    end_at = factory.LazyAttribute(lambda o: o.start_at + timedelta(hours=12))
    band = RateBand.CORE
    pence_per_hour = 9300
    status = ShiftStatus.OPEN
    tier = Tier.OWN_BANK
    posted_at = NOW - timedelta(days=3)


class BookingFactory(BaseFactory):
    class Meta:
        model = Booking

    shift = factory.SubFactory(ShiftFactory, status=ShiftStatus.BOOKED)
    worker = factory.SubFactory(WorkerFactory)
    status = BookingStatus.ACTIVE
    source = BookingSource.APPLICATION
    booked_at = NOW - timedelta(days=1)


class InstantBookRuleFactory(BaseFactory):
    class Meta:
        model = InstantBookRule

    department_id = None
    worker_id = None


def member_of_own_bank(worker, trust=None) -> BankMembership:
    """Make `worker` an approved member of `trust`'s own bank (created if needed)."""
    trust = trust or worker.primary_trust
    bank = db.session.scalar(sa.select(Bank).where(Bank.trust_id == trust.id)) or BankFactory(
        trust=trust
    )
    return MembershipFactory(bank=bank, worker=worker)


def collaborative_bank(*trusts) -> Bank:
    return BankFactory(collaborative=True, member_trusts=list(trusts))


# Workforce: timesheets, payroll, declared rota ------------------------------------------

from bank.models import DeclaredCommitment, Timesheet, TimesheetStatus  # noqa: E402


def worked_booking(**kwargs) -> Booking:
    """A booking of a 12-hour day shift worked the day before NOW (09:00 to 21:00 on Sunday
    1 November 2026; UK time is UTC in November)."""
    start = kwargs.pop("shift__start_at", NOW - timedelta(hours=24))
    kwargs.setdefault("shift__end_at", start + timedelta(hours=12))
    return BookingFactory(shift__start_at=start, **kwargs)


class TimesheetFactory(BaseFactory):
    """A submitted timesheet of a worked shift, as booked, with a 30-minute break."""

    class Meta:
        model = Timesheet

    booking = factory.LazyFunction(worked_booking)
    worker = factory.SelfAttribute("booking.worker")
    trust_id = factory.SelfAttribute("booking.shift.trust_id")
    paying_trust_id = factory.SelfAttribute("booking.shift.trust_id")
    actual_start = factory.SelfAttribute("booking.shift.start_at")
    actual_end = factory.SelfAttribute("booking.shift.end_at")
    break_minutes = 30
    worked_minutes = factory.LazyAttribute(
        lambda o: int((o.actual_end - o.actual_start).total_seconds() // 60) - o.break_minutes
    )
    amount_pence = factory.LazyAttribute(
        lambda o: round(o.worked_minutes * o.booking.shift.pence_per_hour / 60)
    )
    status = TimesheetStatus.SUBMITTED
    submitted_at = NOW


class DeclaredCommitmentFactory(BaseFactory):
    class Meta:
        model = DeclaredCommitment
        exclude = ("worker",)

    worker = factory.SubFactory(WorkerFactory)
    worker_id = factory.SelfAttribute("worker.id")
    start_at = NOW + timedelta(days=2)
    end_at = factory.LazyAttribute(lambda o: o.start_at + timedelta(hours=10))
    description = "Substantive rota"


# Rota -------------------------------------------------------------------------------------

from datetime import time  # noqa: E402

from rota.models import (  # noqa: E402
    Rota,
    RotaCover,
    RotaGradeGroup,
    RotaMember,
    RotaShiftType,
    RotaSolveRun,
    RotaStatus,
    RuleSetCode,
)


class RotaFactory(BaseFactory):
    """A one-week draft rota from the Monday after NOW, at a department of a new Trust."""

    class Meta:
        model = Rota

    department = factory.SubFactory(DepartmentFactory)
    trust_id = factory.SelfAttribute("department.trust_id")
    name = factory.Sequence(lambda n: f"Rota {n}")
    starts_on = (NOW + timedelta(days=7)).date()
    weeks = 1
    status = RotaStatus.DRAFT
    posted_shift_ids = factory.LazyFunction(list)


class RotaShiftTypeFactory(BaseFactory):
    """A 12.5-hour night from 20:00."""

    class Meta:
        model = RotaShiftType

    rota = factory.SubFactory(RotaFactory)
    code = factory.Sequence(lambda n: f"N{n}")
    name = "Night"
    starts_at = time(20, 0)
    minutes = 750


class RotaGradeGroupFactory(BaseFactory):
    class Meta:
        model = RotaGradeGroup

    rota = factory.SubFactory(RotaFactory)
    name = factory.Sequence(lambda n: f"Registrar {n}")
    staff_group = StaffGroup.MEDICAL
    grades = factory.LazyFunction(lambda: ["ST3", "ST4"])


class RotaCoverFactory(BaseFactory):
    class Meta:
        model = RotaCover

    shift_type = factory.SubFactory(RotaShiftTypeFactory)
    rota = factory.SelfAttribute("shift_type.rota")
    grade_group = factory.SubFactory(RotaGradeGroupFactory, rota=factory.SelfAttribute("..rota"))
    required = 1


class RotaMemberFactory(BaseFactory):
    """An ST3 of the rota's Trust, 40 hours a week."""

    class Meta:
        model = RotaMember

    grade_group = factory.SubFactory(RotaGradeGroupFactory)
    rota = factory.SelfAttribute("grade_group.rota")
    worker = factory.SubFactory(
        WorkerFactory, grade="ST3", primary_trust=factory.SelfAttribute("..rota.department.trust")
    )
    contracted_minutes_per_week = 40 * 60
    rule_set = RuleSetCode.DOCTOR_IN_TRAINING
    leave = factory.LazyFunction(list)


class RotaSolveRunFactory(BaseFactory):
    """A queued solve run of a rota, asked for at NOW with a 10-second limit."""

    class Meta:
        model = RotaSolveRun

    rota = factory.SubFactory(RotaFactory)
    trust_id = factory.SelfAttribute("rota.trust_id")
    time_limit = 10
    created_at = NOW
    progress = factory.LazyFunction(list)


from rota.models_gapfill import GapFillRun  # noqa: E402


class GapFillRunFactory(BaseFactory):
    """A queued gap-filling run of a Trust's open shifts over the week from NOW, 30 seconds."""

    class Meta:
        model = GapFillRun

    trust = factory.SubFactory(TrustFactory)
    date_from = NOW
    date_to = NOW + timedelta(days=7)
    time_limit = 30
    created_at = NOW
    penalties = factory.LazyFunction(dict)


# Offers -----------------------------------------------------------------------------------

from bank.models_offers import OfferSource, OfferStatus, ShiftOffer  # noqa: E402
from bank.services.offers import expiry_for  # noqa: E402


class ShiftOfferFactory(BaseFactory):
    """A pending offer, made at NOW, of an open shift the day after to a new worker."""

    class Meta:
        model = ShiftOffer

    shift = factory.SubFactory(ShiftFactory)
    worker = factory.SubFactory(WorkerFactory)
    trust_id = factory.SelfAttribute("shift.trust_id")
    source = OfferSource.WORKFORCE
    status = OfferStatus.PENDING
    created_at = NOW
    expires_at = factory.LazyAttribute(lambda o: expiry_for(o.shift, NOW))


def offer_to_member(**fields) -> ShiftOffer:
    """A pending offer to a member of the shift's Trust's own bank (no instant-book rule), so
    accepting it books unless something else blocks the worker."""
    offer = ShiftOfferFactory(**fields)
    member_of_own_bank(offer.worker, offer.shift.trust)
    return offer


def clashing_booking(offer: ShiftOffer) -> Booking:
    """A booking of the offered worker's, at another Trust, overlapping the offered shift."""
    start = offer.shift.start_at + timedelta(hours=1)
    return BookingFactory(
        worker=offer.worker, shift__start_at=start, shift__end_at=start + timedelta(hours=8)
    )
