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


def not_found(plural: str, name: str, group: str = "") -> ApiError:
    """404 for one object."""
    resource = f"{plural}.{group}" if group else plural
    return ApiError(
        404,
        "NotFound",
        f'{resource} "{name}" not found',
        details={"name": name, **({"group": group} if group else {}), "kind": plural},
    )


def already_exists(plural: str, name: str, group: str = "") -> ApiError:
    """409 AlreadyExists on create."""
    resource = f"{plural}.{group}" if group else plural
    return ApiError(
        409,
        "AlreadyExists",
        f'{resource} "{name}" already exists',
        details={"name": name, **({"group": group} if group else {}), "kind": plural},
    )


def conflict(plural: str, name: str, group: str = "") -> ApiError:
    """409 Conflict on a stale resourceVersion."""
    resource = f"{plural}.{group}" if group else plural
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {resource} "{name}": the object has been '
        "modified; please apply your changes to the latest version and try again",
        details={"name": name, **({"group": group} if group else {}), "kind": plural},
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
            details={
                "name": name,
                **({"group": group} if group else {}),
                "kind": kind,
                "causes": causes,
            },
        )
    if isinstance(error, NotFoundError):
        return ApiError(404, "NotFound", error.message)
    if isinstance(error, ConflictError):
        return ApiError(
            409,
            "Conflict",
            error.message,
            details={"name": name, **({"group": group} if group else {}), "kind": plural},
        )
    if isinstance(error, ForbiddenError):
        return ApiError(403, "Forbidden", error.message)
    return ApiError(500, "InternalError", error.message)
