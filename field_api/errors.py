"""Domain errors and the one place where they, and every other failure, become JSON HTTP errors."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import flask_smorest
import flask_smorest.error_handler
import marshmallow as ma
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain refused an operation; `status` says how HTTP reports it."""

    status = HTTPStatus.CONFLICT

    def __init__(self, message: str, *, errors: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None, payload: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.headers = headers or {}
        self.payload = payload or {}


class NotFound(DomainError):
    """The record does not exist, or the caller may not know that it does."""

    status = HTTPStatus.NOT_FOUND


class Forbidden(DomainError):
    """The caller's role may not do this."""

    status = HTTPStatus.FORBIDDEN


class Unauthorized(DomainError):
    """No valid credentials."""

    status = HTTPStatus.UNAUTHORIZED


class Conflict(DomainError):
    """The operation contradicts the record's current state."""

    status = HTTPStatus.CONFLICT


class PreconditionFailed(DomainError):
    """The caller's version of the record is stale."""

    status = HTTPStatus.PRECONDITION_FAILED


class Invalid(DomainError):
    """The input is well-formed but breaks a rule; `errors` names the fields at fault."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY

    def __init__(self, message: str, *, field: str | None = None, errors: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        if field is not None:
            errors = {field: [message]}
        super().__init__(message, errors=errors, **kwargs)


class PreconditionRequired(DomainError):
    """Changing this record needs the caller's version (If-Match)."""

    status = HTTPStatus.PRECONDITION_REQUIRED


class PayloadTooLarge(DomainError):
    """The uploaded content is over its size limit."""

    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class UnsupportedMediaType(DomainError):
    """The uploaded content is not of a type this endpoint accepts."""

    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


def error_body(status: int, message: str, errors: Any = None, **extra: Any) -> dict[str, Any]:
    """The one error shape: code, status, message and, for 422, the fields at fault."""
    body: dict[str, Any] = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return body


class ErrorSchema(flask_smorest.error_handler.ErrorSchema):
    """The one error shape, as documented: refusals of a stale or unversioned change also carry the record."""

    current = ma.fields.Dict(metadata={"description": "The record as stored now (409, 412 and 428 on "
                                                      "versioned records); its ETag is in the header"})


class Api(flask_smorest.Api):
    """flask-smorest's Api with every error, including unknown routes and crashes, in one JSON shape."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        data = getattr(error, "data", None) or {}
        errors = data.get("errors", data.get("messages"))
        message = data.get("message") or error.description or HTTPStatus(error.code).phrase
        if errors is not None and error.code in (400, 422) and "message" not in data:
            message = "The request does not match the schema; see errors."
        headers = dict(data.get("headers") or {})
        response = error.get_response()
        for name in ("Retry-After", "Allow"):
            if name in response.headers:
                headers[name] = response.headers[name]
        return error_body(error.code, message, errors), error.code, headers

    def _register_error_handlers(self):
        super()._register_error_handlers()
        app = self._app

        @app.errorhandler(DomainError)
        def _domain_error(error: DomainError):
            body = error_body(int(error.status), error.message, error.errors, **error.payload)
            return body, int(error.status), error.headers

        @app.errorhandler(IntegrityError)
        def _integrity_error(error: IntegrityError):
            # Services check their rules first; this is the race they cannot see.
            log.warning("integrity error: %s", error.orig)
            return error_body(409, "The change conflicts with a record saved at the same time; retry."), 409

        @app.errorhandler(Exception)
        def _unexpected(error: Exception):
            if isinstance(error, HTTPException):
                return self.handle_http_exception(error)
            log.exception("unhandled error")
            return self.handle_http_exception(InternalServerError())
