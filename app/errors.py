"""Domain errors, and how entry points turn them (and HTTP errors) into answers.

The API answers RFC 9457 problem details (`application/problem+json`); pages answer an HTML
page with the message. Nothing ever shows a stack trace.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

PROBLEM_MIMETYPE = "application/problem+json"
# webargs reports errors per request location; clients want the field names.
_LOCATIONS = {"json", "query", "querystring", "form", "files", "headers", "view_args", "path"}


class DomainError(Exception):
    """A domain rule said no. Subclasses set the HTTP status and a stable problem type."""

    status = 400
    title = "Bad request"
    type = "about:blank"

    def __init__(self, detail: str, *, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}


class ValidationFailed(DomainError):
    status = 422
    title = "Some fields are not valid"
    type = "/problems/validation"

    @classmethod
    def on(cls, field: str, message: str) -> ValidationFailed:
        """A validation failure of one field."""
        return cls(message, errors={field: [message]})


class NotFound(DomainError):
    status = 404
    title = "Not found"
    type = "/problems/not-found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"
    type = "/problems/conflict"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"
    type = "/problems/forbidden"


class Unauthorised(DomainError):
    status = 401
    title = "Sign in needed"
    type = "/problems/unauthorised"


def problem(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    type_: str = "about:blank",
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A problem-details JSON response."""
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_MIMETYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_field_errors(messages: Any) -> dict[str, Any]:
    """webargs nests errors under their location (`{"json": {"name": [...]}}`); drop that level."""
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    flat: dict[str, Any] = {}
    for key, value in messages.items():
        if key in _LOCATIONS and isinstance(value, dict):
            flat.update(value)
        else:
            flat[key] = value
    return flat


def wants_json() -> bool:
    """Whether the current request is an API request (answered with problem JSON)."""
    return request.path.startswith("/api/")


def handle_http_exception(error: HTTPException) -> Response | tuple[str, int]:
    """Answer an HTTP error as problem JSON for the API, or as a page for people."""
    status = error.code or 500
    if wants_json():
        data = getattr(error, "data", None) or {}
        errors = None
        if "errors" in data:
            errors = data["errors"]
        elif "messages" in data:
            errors = flatten_field_errors(data["messages"])
        detail = data.get("message") or error.description
        if status == 422:
            detail = "The request has fields that are not valid: see errors."
            type_ = ValidationFailed.type
        else:
            type_ = "about:blank"
        return problem(
            status, error.name, detail, type_=type_, errors=errors, headers=data.get("headers")
        )
    return render_template(
        "error.html", status=status, title=error.name, detail=error.description
    ), status


def handle_domain_error(error: DomainError) -> Response | tuple[str, int]:
    """A domain error that reached the top: problem JSON or an error page."""
    if wants_json():
        return problem(
            error.status, error.title, error.detail, type_=error.type, errors=error.errors or None
        )
    return render_template(
        "error.html", status=error.status, title=error.title, detail=error.detail
    ), error.status


def handle_unexpected(error: Exception) -> Response | tuple[str, int]:
    """Log the trace for us; show the user a plain 500 with no internals."""
    from flask import current_app

    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    detail = "Something went wrong on our side. Nothing was saved; please try again."
    if wants_json():
        return problem(500, "Internal Server Error", detail)
    return render_template(
        "error.html", status=500, title="Sorry, there is a problem", detail=detail
    ), 500


def register_errorhandlers(app: Flask) -> None:
    """Install the handlers above on the app."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    if not app.testing or app.config.get("HANDLE_UNEXPECTED_IN_TESTS", True):
        app.register_error_handler(Exception, handle_unexpected)
