"""Credentials, verification and the passport shared across Trusts."""

from __future__ import annotations

import logging

from app.models import Role
from app.signals import demo_core_loaded

logger = logging.getLogger(__name__)


def _load_demo(sender, **kwargs) -> None:  # noqa: ANN001
    from passport.demo import load_demo

    load_demo(sender, **kwargs)


demo_core_loaded.connect(_load_demo)

#: Menu entries the passport adds, per role: (role, label, endpoint).
NAVIGATION = [
    (Role.WORKER, "My passport", "passport.my_passport"),
    (Role.COMPLIANCE, "Verification queue", "passport.queue"),
    (Role.COMPLIANCE, "Requirements", "passport.requirements"),
    (Role.ICS_ADMIN, "Passport policy", "passport.policy"),
]
