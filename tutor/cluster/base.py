"""The `Cluster` protocol every backend implements (simulator, kind, named context).

Objects cross this boundary as plain Kubernetes-shaped dicts (what `kubectl get -o json`
prints), so checks, diagnosers and the data-plane model read them the same way whatever the
backend. Kinds are named as in manifests (`Service`, `EndpointSlice`, `HTTPRoute`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Obj = dict[str, Any]
"""A Kubernetes object as a plain dict."""

LAB_LABEL = "kube-tutor.dev/lab"
"""Label on every namespace kube-tutor creates for a lab; `cluster clean` finds them by it."""
MANAGED_LABEL = "app.kubernetes.io/managed-by"
MANAGED_VALUE = "kube-tutor"
FIELD_MANAGER = "kube-tutor"


# -- errors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldProblem:
    """One invalid field of an object, as the API server reports it (422)."""

    path: str
    """Typed path of the field, e.g. `spec.ports[0].nodePort`."""
    message: str
    """What is wrong, in the API server's words or plainer ones."""


class ClusterError(Exception):
    """A request the cluster refused or could not answer, with a learner-facing message."""

    reason: str = "error"

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        """What the learner can do about it."""

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class InvalidObjectError(ClusterError):
    """422: the object fails validation; nothing was changed."""

    reason = "invalid"

    def __init__(
        self,
        message: str,
        problems: Sequence[FieldProblem] = (),
        *,
        hint: str = "",
        kind: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = list(problems)
        self.kind = kind
        """Kind of the object that was refused (when known), so the caller can point at
        the right document in the learner's files."""
        self.name = name
        """Name of the object that was refused (when known)."""


class ConflictError(ClusterError):
    """409: the object conflicts with another (a taken nodePort or clusterIP, a field owner)."""

    reason = "conflict"


class ForbiddenError(ClusterError):
    """403: the credentials may not do this."""

    reason = "forbidden"


class NotFoundError(ClusterError):
    """404: the object (or its namespace, or its kind) does not exist."""

    reason = "notfound"


class UnreachableError(ClusterError):
    """The API server did not answer (cluster down, wrong address, network)."""

    reason = "unreachable"


class RefusedContextError(ClusterError):
    """The safety guard refused to touch this cluster context; no request was sent."""

    reason = "refused"


# -- apply --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApplyResult:
    """What happened to one object on apply."""

    kind: str
    name: str
    namespace: str | None
    action: Literal["created", "configured", "unchanged"]


# -- traffic probes -----------------------------------------------------------------------

ProbeProtocol = Literal["http", "tcp", "dns"]


@dataclass(frozen=True)
class ProbeRequest:
    """One kind of request to send, `count` times, from a vantage point.

    `source` is `probe` (a probe Pod inside the lab namespace), `host` (the learner's machine,
    outside the cluster), `pod:NAME` (an existing Pod in the namespace) or `node:NAME`
    (a process on that node, host network).
    """

    protocol: ProbeProtocol
    target: str
    """http: a URL; tcp: `host:port`; dns: a name."""
    namespace: str
    source: str = "probe"
    headers: Mapping[str, str] = field(default_factory=dict)
    """HTTP headers, e.g. `Host`."""
    record_type: Literal["A", "AAAA", "SRV", "CNAME", "PTR"] = "A"
    """For DNS probes."""
    count: int = 1
    """How many times to send it (to see load balancing and affinity)."""
    timeout: float = 3.0
    """Seconds for each attempt."""
    resolve: str | None = None
    """http: connect to this address instead of resolving the URL's host, which is still sent
    as SNI (https) and Host, as `curl --resolve HOST:PORT:ADDRESS` does. Probes never verify
    an https certificate (`curl -k`): labs use self-signed ones."""


@dataclass(frozen=True)
class ProbeAttempt:
    """The outcome of one request."""

    ok: bool
    """HTTP: any response; TCP: connected; DNS: an answer (NOERROR with records)."""
    error: str | None = None
    """`refused`, `timeout`, `reset`, `nxdomain`, `unresolvable`, `no-route`, or free text."""
    status: int | None = None
    """HTTP status code."""
    body: str = ""
    """HTTP body (trimmed)."""
    backend: str | None = None
    """Name of the Pod that answered, when the workload tells (agnhost does)."""
    client_ip: str | None = None
    """Source address the backend saw (agnhost netexec `/clientip`)."""
    records: tuple[str, ...] = ()
    """DNS answers: addresses, or `priority weight port target` for SRV, or CNAME targets."""
    detail: str = ""
    """Anything else worth showing (the command run, the resolved address)."""
    source_ip: str | None = None
    """The address the request left from (the probe Pod's IP, the host's address), so a
    check can tell whether the backend saw the original client."""
    location: str | None = None
    """HTTP: the `Location` header of a redirect."""
    certificate: str | None = None
    """https: which certificate the server presented (`Secret ns/name`), when known."""


@dataclass(frozen=True)
class ProbeResult:
    """All attempts of one probe request."""

    request: ProbeRequest
    attempts: tuple[ProbeAttempt, ...]

    @property
    def ok_count(self) -> int:
        """Attempts that succeeded."""
        return sum(1 for a in self.attempts if a.ok)

    @property
    def backends(self) -> list[str]:
        """Distinct backends that answered, in first-seen order."""
        seen: dict[str, None] = {}
        for attempt in self.attempts:
            if attempt.backend:
                seen.setdefault(attempt.backend, None)
        return list(seen)

    @property
    def errors(self) -> list[str]:
        """Distinct errors, in first-seen order."""
        seen: dict[str, None] = {}
        for attempt in self.attempts:
            if attempt.error:
                seen.setdefault(attempt.error, None)
        return list(seen)


# -- the protocol -------------------------------------------------------------------------


@runtime_checkable
class ObjectSource(Protocol):
    """Read access to cluster objects: enough for checks, diagnosers and the traffic model."""

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        """One object, or None when it does not exist."""
        ...

    def list(
        self,
        kind: str,
        namespace: str | None = None,
        selector: Mapping[str, str] | None = None,
    ) -> list[Obj]:
        """Objects of a kind (in a namespace, or all namespaces when None), optionally
        only those whose labels contain every pair of `selector`."""
        ...


@runtime_checkable
class Cluster(ObjectSource, Protocol):
    """A practice cluster kube-tutor may change."""

    backend: str
    """`sim`, `kind` or `context`."""

    def capabilities(self) -> set[str]:
        """Lab capabilities that work here (`nodeport-host`, `loadbalancer`, `ingress`,
        `gateway`, `zones`, `dns`)."""
        ...

    def ensure_namespace(self, name: str, labels: Mapping[str, str]) -> None:
        """Create the namespace if needed, with these labels."""
        ...

    def delete_namespace(self, name: str, *, wait: bool = True) -> None:
        """Delete a namespace and everything in it (waits until it is gone by default)."""
        ...

    def apply(self, objects: Sequence[Obj], namespace: str) -> list[ApplyResult]:
        """Server-side apply (field manager `kube-tutor`) of objects into `namespace`
        (objects that name their own namespace keep it). Every object is validated before
        any is changed: on an `InvalidObjectError` nothing was applied."""
        ...

    def delete(self, kind: str, name: str, namespace: str | None = None) -> bool:
        """Delete one object; False when it did not exist."""
        ...

    def wait_for_change(self, namespace: str, timeout: float) -> bool:
        """Block until something in the namespace changes or `timeout` passes (watch-based
        on a real cluster; the simulator converges at once and returns False)."""
        ...

    def probe(self, request: ProbeRequest) -> ProbeResult:
        """Send real (or, on the simulator, modelled) traffic and report each attempt."""
        ...

    def events(self, namespace: str) -> list[Obj]:
        """Recent events in the namespace, oldest first."""
        ...


def matches_selector(labels: Mapping[str, str] | None, selector: Mapping[str, str] | None) -> bool:
    """True when every key/value of `selector` is in `labels` (an empty selector matches all)."""
    if not selector:
        return True
    labels = labels or {}
    return all(labels.get(key) == value for key, value in selector.items())
