"""What a real API server's answers mean for a learner: HTTP errors, exec outcomes, and why
a namespace is stuck in Terminating. Pure functions over the server's own words."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from tutor.cluster.base import (
    ClusterError,
    ConflictError,
    FieldProblem,
    ForbiddenError,
    InvalidObjectError,
    NotFoundError,
    Obj,
    UnreachableError,
)
from tutor.cluster.guard import Target
from tutor.cluster.kind_config import NODE_PORT_RANGE
from tutor.cluster.kube_resources import node_port_refusal, status_bytes


class NamespaceTerminatingError(ClusterError):
    """The namespace is being deleted, so nothing new can be made in it yet."""

    reason = "terminating"


def _decode(raw: Any) -> tuple[str, dict[str, Any]]:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        data = {}
    return text, data if isinstance(data, dict) else {}


_TYPED_PATCH_RE = re.compile(r"failed to create typed patch object(?: \(([^)]*)\))?:")
_SMD_FIELD_RE = re.compile(r"(\.[A-Za-z0-9_\-\.\[\]=\"']+): ([^\n]+)")


def typed_patch_problems(message: str) -> list[FieldProblem] | None:
    """The fields of a server-side apply the API server could not type (HTTP 500 with
    `failed to create typed patch object (NS/NAME; /v1, Kind=Service): .spec.selectr: field
    not declared in schema`, kubernetes issue #139253), or None for any other message.
    structured-merge-diff names each field with a leading dot."""
    match = _TYPED_PATCH_RE.search(message)
    if match is None:
        return None
    rest = message[match.end() :]
    problems = [
        FieldProblem(path.lstrip("."), text.strip()) for path, text in _SMD_FIELD_RE.findall(rest)
    ]
    return problems or [FieldProblem("(object)", rest.strip() or message)]


_UNDECODABLE_RE = re.compile(
    r"(?:cannot be handled as an? \w+|error decoding from json): (?P<detail>.+)$", re.S
)
_BYTES_FIELD = {"Secret": "data", "ConfigMap": "binaryData"}
_GO_FIELD_RE = re.compile(r"into Go struct field \w+\.(?P<path>[\w.]+) of type")


def undecodable_error(kind: str | None, name: str | None, detail: str) -> InvalidObjectError:
    """The learner-facing refusal of an object the API server could not decode into its Go
    type: a value of the wrong JSON type, or a Secret `data` / ConfigMap `binaryData` value
    that is not base64 (`illegal base64 data at input byte 14`)."""
    shown = f"{kind or ''} {name or ''}".strip() or "the object"
    field = "(object)"
    hint = "Fix the value named above and apply again."
    typed = _GO_FIELD_RE.search(detail)
    if typed is not None:
        field = typed.group("path")  # the struct's name first, then the field stack
    elif detail.startswith("illegal base64"):
        field = _BYTES_FIELD.get(kind or "", "(object)")
        hint = (
            f"Every value under {field} must be base64 (`base64 -w0 file`); "
            + ("put plain text under stringData instead." if kind == "Secret" else "")
        ).strip()
    return InvalidObjectError(
        f"{shown} could not be read, so nothing was applied: {detail}",
        [FieldProblem(field, detail)],
        hint=hint,
        kind=kind,
        name=name,
    )


def _undecodable(status: int, message: str) -> str | None:
    """The decoder's own words when the API server refused a body it could not decode: 400
    `Secret in version "v1" cannot be handled as a Secret: ...` for create and update, 500
    `failed to convert new object (...) to proper version: unable to convert unstructured
    object to /v1, Kind=Secret: error decoding from json: ...` for server-side apply (both
    recorded from kube-apiserver 1.37 in tests/controlplane)."""
    if status not in (400, 500):
        return None
    if status == 500 and "unable to convert unstructured object" not in message:
        return None
    match = _UNDECODABLE_RE.search(message)
    if match is None or "strict decoding error" in match.group("detail"):
        return None
    return match.group("detail").strip()


def is_terminating_refusal(status: int, data: dict[str, Any], message: str) -> bool:
    """The namespace lifecycle admission's 403 (kubernetes plugin/pkg/admission/namespace/
    lifecycle/admission.go: "unable to create new content in namespace X because it is
    being terminated", with a cause of type `NamespaceTerminating`)."""
    if status != 403:
        return False
    causes = (data.get("details") or {}).get("causes") or []
    if any(isinstance(c, dict) and c.get("reason") == "NamespaceTerminating" for c in causes):
        return True
    return "because it is being terminated" in message


def error_from_status(
    status: int,
    raw: Any,
    what: str,
    target: Target,
    *,
    kind: str | None = None,
    name: str | None = None,
) -> ClusterError:
    """The learner-facing error for an API answer that is not 2xx (`kind`/`name`: the object
    that was sent, named in an `InvalidObjectError`)."""
    text, data = _decode(raw)
    message = str(data.get("message") or text.strip() or f"HTTP {status}")
    details = data.get("details") or {}
    typed = typed_patch_problems(message) if status == 500 else None
    if status == 422 or (status == 400 and details.get("causes")) or typed is not None:
        problems = typed or [
            FieldProblem(
                str(cause.get("field") or "(object)"),
                str(cause.get("message") or cause.get("reason") or "invalid"),
            )
            for cause in details.get("causes") or []
            if isinstance(cause, dict)
        ]
        kind = kind or details.get("kind") or None
        name = name or details.get("name") or None
        shown = f"{kind or ''} {name or ''}".strip() or what
        if typed is not None:
            fields = ", ".join(p.path for p in typed)
            message = f"unknown field(s) {fields} (a misspelt or misplaced key)"
        return InvalidObjectError(
            f"{shown} is invalid, so nothing was applied: {message}",
            problems,
            hint="Fix the fields named above and apply again.",
            kind=kind,
            name=name,
        )
    undecodable = _undecodable(status, message)
    if undecodable is not None:
        return undecodable_error(kind or details.get("kind"), name or details.get("name"), undecodable)
    if is_terminating_refusal(status, data, message):
        namespace = str(details.get("name") or "") or _namespace_in(message)
        return NamespaceTerminatingError(
            f"Namespace {namespace or '(the lab namespace)'} is still being deleted, so "
            f"kube-tutor cannot {what} in it yet.",
            hint="Wait a moment and try again; `kube-tutor cluster status` shows what holds "
            "it, and `kube-tutor cluster clean --force` unblocks kube-tutor's namespaces.",
        )
    if status == 409:
        return ConflictError(
            f"Could not {what}: it conflicts with what is in the cluster ({message}).",
            hint="Another object already uses that name, port or address; pick another one.",
        )
    if status == 401:
        return ForbiddenError(
            f"The cluster did not accept your credentials for context `{target.context}`.",
            hint=f"Log in again, then check `kubectl --context {target.context} get ns`.",
        )
    if status == 403:
        hint = "Your credentials lack the rights for this."
        if target.namespace_prefix:
            hint += (
                f" In a classroom cluster, ask for rights on namespaces starting with "
                f"`{target.namespace_prefix}-`."
            )
        return ForbiddenError(
            f"The cluster did not allow kube-tutor to {what}: {message}", hint=hint
        )
    if status == 404:
        return NotFoundError(f"Not found while trying to {what}: {message}")
    if status in (408, 429, 500, 502, 503, 504):
        return UnreachableError(
            f"The API server could not {what} right now ({message}).",
            hint="Wait a moment and try again; `kube-tutor cluster status` shows its health.",
        )
    return ClusterError(f"Could not {what}: {message} (HTTP {status}).")


def _namespace_in(message: str) -> str:
    match = re.search(r"in namespace (\S+) because", message)
    return match.group(1) if match else ""


def combined_invalid(problems: list[tuple[Obj, InvalidObjectError]]) -> InvalidObjectError:
    """One `InvalidObjectError` for several refused objects."""
    if len(problems) == 1:
        return problems[0][1]
    names = ", ".join(f"{b['kind']} {b['metadata']['name']}" for b, _ in problems)
    fields = [p for _, exc in problems for p in exc.problems]
    first = problems[0][1]
    return InvalidObjectError(
        f"{len(problems)} objects are invalid ({names}), so nothing was applied.",
        fields,
        hint="Fix the fields named above and apply again.",
        kind=first.kind,
        name=first.name,
    )


def node_port_error(body: Obj, target: Target) -> InvalidObjectError | None:
    """The 422 the API server will answer at the write of a Service whose nodePort is out of
    kind's (and the simulator's) range, which its dry run does not check; None if in range."""
    refusal = node_port_refusal(body, NODE_PORT_RANGE)
    if refusal is None:
        return None
    name = str(body["metadata"]["name"])
    raw = status_bytes(refusal)
    error = error_from_status(422, raw, name, target, kind="Service", name=name)
    return error if isinstance(error, InvalidObjectError) else None


def rolled_back(
    refused: InvalidObjectError, removed: list[str], kept: list[str]
) -> InvalidObjectError:
    """`refused`, saying what kube-tutor deleted again (`removed`, created by the same apply)
    and what the apply had changed before the refusal and stays so (`kept`)."""
    note = ""
    if removed:
        note += f" kube-tutor deleted what this apply had created ({', '.join(removed)})."
    if kept:
        note += f" These were changed before the refusal and stay so: {', '.join(kept)}."
    return InvalidObjectError(
        refused.message + note,
        refused.problems,
        hint=refused.hint,
        kind=refused.kind,
        name=refused.name,
    )


# -- exec -------------------------------------------------------------------------------------

_HANDSHAKE_RE = re.compile(r"Handshake status (\d{3})")


def exec_handshake_error(
    exc: BaseException, pod: str, namespace: str, target: Target
) -> ClusterError | None:
    """The error for an exec whose WebSocket upgrade the API server refused. The official
    client turns every handshake failure into `ApiException(status=0, reason=str(e))`
    (kubernetes/stream/ws_client.py, websocket_call), where websocket-client's message
    starts `Handshake status 403 Forbidden`; None when it was no HTTP answer at all."""
    match = _HANDSHAKE_RE.search(str(getattr(exc, "reason", "") or exc))
    if match is None:
        return None
    status = int(match.group(1))
    if status == 403:
        return ForbiddenError(
            f"The cluster does not let your credentials run commands in Pods (exec into "
            f"{pod} in {namespace}), and traffic probes from inside the cluster need it.",
            hint=f"Ask for the `create` verb on `pods/exec` in {namespace} (check with "
            f"`kubectl --context {target.context} auth can-i create pods/exec -n {namespace}`).",
        )
    if status == 404:
        return NotFoundError(f"Pod {pod} is not in namespace {namespace} (exec found nothing).")
    if status == 401:
        return ForbiddenError(
            f"The cluster did not accept your credentials for context `{target.context}`.",
            hint=f"Log in again, then check `kubectl --context {target.context} get ns`.",
        )
    return UnreachableError(
        f"The API server refused to open an exec session in {pod} (HTTP {status}).",
        hint="Wait a moment and try again.",
    )


MISSING_TOOL_CODE = 127
"""The shell's code for a command that is not there, used when the image lacks the tool."""


def exec_outcome(error_channel: str) -> tuple[int, str]:
    """Exit code and problem from the exec error channel (channel 3).

    The kubelet writes a `Status` there when the command ends (kubernetes pkg/kubelet/cri/
    streaming/remotecommand/httpstream.go, v4WriteStatusFunc): `Success`; or `Failure` with
    reason `NonZeroExitCode` and the code as the message of a cause of reason `ExitCode`;
    or `Failure` with reason `InternalError` when the command could not start (e.g.
    `exec: "dig": executable file not found in $PATH`), with no exit code at all."""
    if not error_channel.strip():
        return 0, ""
    try:
        status = yaml.safe_load(error_channel)
    except yaml.YAMLError:
        return 1, error_channel.strip()
    if not isinstance(status, dict) or status.get("status") == "Success":
        return 0, ""
    causes = (status.get("details") or {}).get("causes") or []
    for cause in causes:
        if isinstance(cause, dict) and cause.get("reason") == "ExitCode":
            text = str(cause.get("message", ""))
            if text.strip().isdigit():
                return int(text), ""
    message = str(status.get("message") or "the command could not run")
    if "executable file not found" in message or "no such file or directory" in message:
        tool = re.search(r'exec: "([^"]+)"', message)
        name = tool.group(1) if tool else "the command"
        return MISSING_TOOL_CODE, (
            f"{name} is not in this container's image; run the probe from a Pod whose image "
            "has it (the probe Pod's agnhost image has curl, dig and nc)"
        )
    return 1, message


# -- namespaces stuck in Terminating ------------------------------------------------------------

LB_FINALIZER = "service.kubernetes.io/load-balancer-cleanup"
"""The finalizer the service controller puts on LoadBalancer Services; only the cloud
provider (here cloud-provider-kind) removes it."""


def terminating_reason(namespace: Obj) -> str:
    """Why a namespace is still Terminating, in plain words, from its status conditions
    (NamespaceContentRemaining, NamespaceFinalizersRemaining, ...)."""
    messages = [
        str(c.get("message", ""))
        for c in namespace.get("status", {}).get("conditions") or []
        if isinstance(c, dict) and c.get("status") == "True" and c.get("message")
    ]
    text = "; ".join(messages)
    if LB_FINALIZER in text:
        return (
            f"a LoadBalancer Service waits for cloud-provider-kind to release its address "
            f"(finalizer {LB_FINALIZER}); is cloud-provider-kind running?"
        )
    if "pods" in text.lower() or "Pod" in text:
        return (
            "Pods are still stopping; some images (agnhost serve-hostname) ignore SIGTERM "
            "and take their whole grace period"
        )
    return text or "the cluster is still removing what was in it"
