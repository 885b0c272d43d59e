"""Bank tests run at a fixed time: Monday 2 November 2026, 09:00 UTC (tests.factories.NOW)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
import time_machine

from app.extensions import db
from app.models import Notification
from tests.factories import NOW


@pytest.fixture
def frozen():
    """Freeze the wall clock at NOW (entry points read it through app.db.utcnow)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def titles(user) -> list[str]:
    """The titles of the messages `user` was given, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Notification.title)
            .where(Notification.user_id == user.id)
            .order_by(Notification.id)
        )
    )
