"""API errors as the Kubernetes API server returns them: `Status` objects with code and reason.

Reasons and messages follow `k8s.io/apimachinery/pkg/api/errors/errors.go` (`NewNotFound`:
`services "web" not found`; `NewAlreadyExists`: `services "web" already exists`; `NewConflict`;
`NewInvalid`: `Service "web" is invalid: spec.ports[0].port: ...` with `details.causes`).
"""

from __future__ import annotations

from typing import Any

from tutor.cluster.base import (
    ClusterError,
    ConflictError,
    ForbiddenError,
    InvalidObjectError,
    NotFoundError,
)

Obj = dict[str, Any]

_CAUSE_REASONS = (
    ("Required value", "FieldValueRequired"),
    ("Unsupported value", "FieldValueNotSupported"),
    ("Duplicate value", "FieldValueDuplicate"),
    ("Forbidden", "FieldValueForbidden"),
    ("Too long", "FieldValueTooLong"),
    ("Not found", "FieldValueNotFound"),
)


class ApiError(Exception):
    """An answer other than success, ready to be sent as a `Status`."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: Obj | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def status(self) -> Obj:
        """The `Status` body."""
        body: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            body["details"] = self.details
        return body


def details(plural: str, name: str, group: str = "", **extra: Any) -> Obj:
    """`Status.details` for one object: name, group (when not core) and kind (the plural)."""
    return {"name": name, **({"group": group} if group else {}), "kind": plural, **extra}


def _about(code: int, reason: str, text: str, plural: str, name: str, group: str) -> ApiError:
    resource = f"{plural}.{group}" if group else plural
    return ApiError(
        code,
        reason,
        text.format(resource=resource, name=name),
        details=details(plural, name, group),
    )


def not_found(plural: str, name: str, group: str = "") -> ApiError:
    """404 for one object."""
    return _about(404, "NotFound", '{resource} "{name}" not found', plural, name, group)


def already_exists(plural: str, name: str, group: str = "") -> ApiError:
    """409 AlreadyExists on create."""
    return _about(409, "AlreadyExists", '{resource} "{name}" already exists', plural, name, group)


def conflict(plural: str, name: str, group: str = "") -> ApiError:
    """409 Conflict on a stale resourceVersion."""
    text = (
        'Operation cannot be fulfilled on {resource} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    return _about(409, "Conflict", text, plural, name, group)


def name_mismatch(body_name: object, name: str) -> ApiError:
    """400 when the object's name is not the one on the URL."""
    return bad_request(
        f"the name of the object ({body_name}) does not match the name on the URL ({name})"
    )


def bad_request(message: str) -> ApiError:
    """400 BadRequest."""
    return ApiError(400, "BadRequest", message)


def method_not_allowed(
    message: str = "the server does not allow this method on the requested resource",
) -> ApiError:
    """405 MethodNotAllowed."""
    return ApiError(405, "MethodNotAllowed", message)


def _cause(path: str, message: str) -> Obj:
    reason = next(
        (r for prefix, r in _CAUSE_REASONS if message.startswith(prefix)), "FieldValueInvalid"
    )
    return {"reason": reason, "message": message, "field": path}


def from_cluster_error(
    error: ClusterError, *, kind: str, plural: str, name: str, group: str
) -> ApiError:
    """The `Status` a real API server sends for what the simulator's admission refused."""
    if isinstance(error, InvalidObjectError):
        causes = [_cause(p.path, p.message) for p in error.problems]
        text = error.message
        if group and text.startswith(f'{kind} "'):
            text = f"{kind}.{group}{text[len(kind) :]}"
        return ApiError(
            422,
            "Invalid",
            text,
            details=details(kind, name, group, causes=causes),
        )
    if isinstance(error, NotFoundError):
        return ApiError(404, "NotFound", error.message)
    if isinstance(error, ConflictError):
        return ApiError(409, "Conflict", error.message, details=details(plural, name, group))
    if isinstance(error, ForbiddenError):
        return ApiError(403, "Forbidden", error.message)
    return ApiError(500, "InternalError", error.message)
