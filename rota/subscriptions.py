"""What the rota does when other modules send signals (imported by the application factory).

Not in the package `__init__`, which stays free of Flask and the database so that the pure
solver (`rota.solver`) imports alone.
"""

from __future__ import annotations

from app.signals import demo_core_loaded


def _load_demo(sender, **kwargs) -> None:  # noqa: ANN001
    from rota.demo import load_demo

    load_demo(sender, **kwargs)


demo_core_loaded.connect(_load_demo)
