"""What the bank does when other modules send signals (imported by the application factory)."""

from __future__ import annotations

from app.signals import demo_core_loaded


def _load_demo(sender, **kwargs) -> None:  # noqa: ANN001
    from bank.demo import load_demo
    from bank.demo_pay import load_pay_demo

    load_demo(sender, **kwargs)
    load_pay_demo(sender, **kwargs)


demo_core_loaded.connect(_load_demo)
