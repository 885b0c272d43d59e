"""Template filters: times shown in UK local time."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

LONDON = ZoneInfo("Europe/London")


def london_time(value: datetime | None, fmt: str = "%a %d %b %Y %H:%M") -> str:
    """A UTC timestamp as UK local time (GMT or BST)."""
    if value is None:
        return ""
    return value.astimezone(LONDON).strftime(fmt)


#: How messages and tables name a moment: "Mon 02 Nov 09:00" (UK time).
SHORT = "%a %d %b %H:%M"


def short_time(value: datetime) -> str:
    """A moment as messages name it, in UK local time: "Mon 02 Nov 09:00"."""
    return london_time(value, SHORT)


def register_filters(app: Flask) -> None:
    app.add_template_filter(london_time, "london")
