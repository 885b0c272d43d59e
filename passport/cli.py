"""Flask commands of the passport: `flask passport expire`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.db import transaction, utcnow
from passport.services import expire_credentials

passport_cli = AppGroup("passport", help="The credential passport.")


@passport_cli.command("expire")
def expire() -> None:
    """Announce credentials that have passed their expiry date (safe to run any time)."""
    with transaction():
        expired = expire_credentials(utcnow())
    click.echo(f"{len(expired)} credential(s) newly expired.")
