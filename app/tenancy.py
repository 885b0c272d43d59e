"""The one place that decides which Trusts' data a user may see.

Every look-up of a Trust-owned row goes through `scoped()` or `get_scoped()`. A row of a Trust
the user may not see is reported as not found (404), never as forbidden, so nobody learns that
it exists. Trust-owned models name their owning column in `__tenant_column__` (default
`trust_id`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

from app.errors import NotFound
from app.extensions import db
from app.models import Role, User

M = TypeVar("M")


@dataclass(frozen=True)
class Scope:
    """The Trusts a user may see in some role: `trust_ids` None means every Trust."""

    trust_ids: frozenset[int] | None

    @property
    def everything(self) -> bool:
        return self.trust_ids is None

    def allows(self, trust_id: int | None) -> bool:
        """Whether a row owned by `trust_id` is visible."""
        return self.trust_ids is None or trust_id in self.trust_ids


NOTHING = Scope(frozenset())


def scope_for(user: User | None, roles: Iterable[Role] | None = None) -> Scope:
    """The Trusts `user` may see acting in any of `roles` (all of their roles by default).

    An ICS administrator, and any role granted ICS-wide (no Trust), sees every Trust.
    """
    if user is None:
        return NOTHING
    wanted = set(roles) if roles is not None else set(Role)
    trust_ids: set[int] = set()
    for membership in user.memberships:
        if membership.role not in wanted or membership.role == Role.WORKER:
            continue
        if membership.trust_id is None:
            return Scope(None)
        trust_ids.add(membership.trust_id)
    return Scope(frozenset(trust_ids))


def tenant_column(model: type[Any]) -> sa.ColumnElement[Any]:
    """The column of `model` that names the Trust owning a row."""
    return getattr(model, getattr(model, "__tenant_column__", "trust_id"))


def tenant_filter(model: type[Any], scope: Scope) -> sa.ColumnElement[bool]:
    """The condition that keeps the rows of `model` that `scope` may see."""
    if scope.trust_ids is None:
        return sa.true()
    return tenant_column(model).in_(sorted(scope.trust_ids))


def scoped(stmt: sa.Select[Any], model: type[Any], scope: Scope) -> sa.Select[Any]:
    """`stmt` narrowed to the rows of `model` that `scope` may see."""
    return stmt.where(tenant_filter(model, scope))


def get_scoped(model: type[M], object_id: int, scope: Scope, *, what: str | None = None) -> M:
    """The row of `model` with `object_id` if `scope` may see it; else NotFound."""
    row = db.session.scalar(scoped(sa.select(model), model, scope).where(model.id == object_id))
    if row is None:
        label = what or model.__name__.lower()
        raise NotFound(f"No {label} with id {object_id} that you can see.")
    return row
