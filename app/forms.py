"""Loading web forms with marshmallow schemas, so pages and the API validate alike."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import request

from app.errors import DomainError


def load_form(schema: ma.Schema) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The posted form loaded by `schema`: (data, errors by field).

    Blank fields count as missing, so the schema's "required" message is the one shown.
    """
    raw = {
        key: value
        for key, value in request.form.items()
        if key != "csrf_token" and value.strip() != ""
    }
    try:
        return schema.load(raw, unknown=ma.EXCLUDE), {}
    except ma.ValidationError as error:
        messages = (
            error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
        )
        return {}, {k: v if isinstance(v, list) else [str(v)] for k, v in messages.items()}


def domain_errors(error: DomainError, default_field: str) -> dict[str, list[str]]:
    """A domain error's field messages, or its detail under `default_field`."""
    return error.errors or {default_field: [error.detail]}
