"""flask-smorest wired to our error format, and the API's authentication decorator."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import marshmallow as ma
from flask import g
from flask_smorest import Api


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, as every API error is answered."""

    type = ma.fields.String(metadata={"description": "A URI reference naming the problem type"})
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        metadata={"description": "Field name to its error messages (validation problems)"},
    )


class ProblemApi(Api):
    """An `Api` whose errors are problem details, documented as such in the OpenAPI spec."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self) -> None:
        # app.errors.register_errorhandlers installs one handler for pages and API alike.
        pass


def token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse an API call with no valid bearer token (401 problem)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        from app.errors import Unauthorised

        if g.get("user") is None or g.get("api_token") is None:
            raise Unauthorised(
                "Send a personal API token as 'Authorization: Bearer <token>'. "
                "Create one on your account page."
            )
        return view(*args, **kwargs)

    return wrapped
