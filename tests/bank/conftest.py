"""Bank tests run at a fixed time: Monday 2 November 2026, 09:00 UTC (tests.factories.NOW)."""

from __future__ import annotations

import pytest
import time_machine

from tests.factories import NOW


@pytest.fixture
def frozen():
    """Freeze the wall clock at NOW (entry points read it through app.db.utcnow)."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
