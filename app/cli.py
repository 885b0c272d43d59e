"""Flask commands of the core: `flask demo load`, `flask users ...`."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from app import services
from app.db import transaction, utcnow
from app.demo import DEMO_PASSWORD, demo_present, generate
from app.errors import DomainError
from app.extensions import db
from app.models import Role, Trust, User

demo_cli = AppGroup("demo", help="Demo and load data.")
users_cli = AppGroup("users", help="Manage user accounts.")


def print_logins(logins: list[tuple[str, str, str]]) -> None:
    click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
    width = max(len(role) for role, _, _ in logins)
    for role, email, where in logins:
        click.echo(f"  {role:<{width}}  {email:<32}  {where}")
    click.echo("")


def demo_logins() -> list[tuple[str, str, str]]:
    """The demo logins of a loaded demo, read back from the database."""
    first = db.session.scalar(sa.select(Trust).order_by(Trust.id).limit(1))
    rows = []
    for label, email in (
        (Role.WORKER.label, "worker"),
        (Role.WORKFORCE.label, f"workforce.{first.ods_code.lower()}"),
        (Role.COMPLIANCE.label, f"compliance.{first.ods_code.lower()}"),
        (Role.FINANCE.label, f"finance.{first.ods_code.lower()}"),
        (Role.ICS_ADMIN.label, "ics.admin"),
        (Role.FINANCE.label, "finance.ics"),
    ):
        address = f"{email}@demo.nhs.uk"
        if db.session.scalar(sa.select(User.id).where(User.email == address)):
            where = first.name if first.ods_code.lower() in email else "the whole ICS"
            rows.append((label, address, "any Trust in the bank" if email == "worker" else where))
    return rows


@demo_cli.command("load")
@click.option("--trusts", default=5, show_default=True, help="How many Trusts.")
@click.option("--workers", default=400, show_default=True, help="How many bank workers.")
@click.option("--seed", default=2026, show_default=True, help="Random seed (same seed, same ICS).")
def load_demo(trusts: int, workers: int, seed: int) -> None:
    """Load a demo ICS, unless data is already there (then only print the logins)."""
    if demo_present():
        click.echo("Demo data is already loaded; keeping it.")
        logins = demo_logins()
    else:
        with transaction():
            made = generate(trusts=trusts, workers=workers, seed=seed, now=utcnow())
        click.echo(f"Loaded {len(made.trusts)} Trusts and {len(made.workers)} bank workers.")
        logins = made.logins
    if logins:
        print_logins(logins)


def _role_grants(specs: tuple[str, ...]) -> list[tuple[Role, int | None]]:
    grants = []
    for spec in specs:
        role_name, _, ods = spec.partition(":")
        try:
            role = Role(role_name)
        except ValueError as error:
            raise click.BadParameter(
                f"unknown role {role_name!r}; one of {', '.join(r.value for r in Role)}"
            ) from error
        trust_id = None
        if ods:
            trust_id = db.session.scalar(sa.select(Trust.id).where(Trust.ods_code == ods.upper()))
            if trust_id is None:
                raise click.BadParameter(f"no Trust with ODS code {ods}")
        grants.append((role, trust_id))
    return grants


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, help="ROLE or ROLE:ODS, e.g. workforce:R01")
@click.password_option()
def create_user(email: str, name: str, roles: tuple[str, ...], password: str) -> None:
    """Create a user account."""
    try:
        with transaction():
            user = services.create_user(
                email, name, password, roles=_role_grants(roles), actor=None, now=utcnow()
            )
    except DomainError as error:
        raise click.ClickException(error.detail) from error
    click.echo(f"Created user {user.id} <{user.email}>.")


@users_cli.command("disable")
@click.argument("email")
def disable_user(email: str) -> None:
    """Disable an account: its sessions and tokens stop working at once."""
    user = db.session.scalar(sa.select(User).where(User.email == email.lower()))
    if user is None:
        raise click.ClickException(f"No user {email}.")
    with transaction():
        services.set_user_active(None, user, False, now=utcnow())
    click.echo(f"Disabled {email}.")


@users_cli.command("token")
@click.argument("email")
@click.option("--name", default="command line", show_default=True)
def create_token(email: str, name: str) -> None:
    """Create a personal API token for a user and print it."""
    user = db.session.scalar(sa.select(User).where(User.email == email.lower()))
    if user is None:
        raise click.ClickException(f"No user {email}.")
    with transaction():
        _token, secret = services.create_api_token(user, name, now=utcnow())
    click.echo(secret)


# The scheduler ------------------------------------------------------------------------------

scheduler_cli = AppGroup("scheduler", help="Scheduled jobs and the email outbox.")


@scheduler_cli.command("run")
def run_scheduler() -> None:
    """Run the scheduler in this process until stopped (one per deployment)."""
    from app import scheduler

    scheduler.run_forever(current_app._get_current_object())


@scheduler_cli.command("list")
def list_jobs() -> None:
    """The jobs, when each runs next (from the job store) and when each last ran."""
    from app.jobs import job_statuses
    from app.notifications import outbox_summary
    from app.templating import london_time

    for status in job_statuses():
        last = status.last_run
        click.echo(f"{status.id}: {status.description}, {status.schedule}")
        click.echo(
            "    next: "
            + (london_time(status.next_run_at) if status.next_run_at else "not scheduled yet")
            + "; last: "
            + (f"{london_time(last.scheduled_for)} ({last.summary})" if last else "never")
        )
    click.echo(f"Outbox: {outbox_summary() or 'empty'}")


@scheduler_cli.command("run-job")
@click.argument("job_id")
def run_job_now(job_id: str) -> None:
    """Run one job now, as the scheduler would (does nothing if this run is already done)."""
    from apscheduler.util import ref_to_obj

    from app.jobs import registered_jobs

    job = registered_jobs().get(job_id)
    if job is None:
        raise click.ClickException(f"No job {job_id}; see `flask scheduler list`.")
    run = ref_to_obj(job.func)(now=utcnow())
    if run is None:
        click.echo(f"{job_id}: this run was already claimed; nothing done.")
    else:
        click.echo(f"{job_id}: {run.summary or 'done'}")
