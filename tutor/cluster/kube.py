"""`KubeCluster`: the `Cluster` protocol on a real API server, through the official client.

The `kubernetes` package is imported only when a `KubeCluster` is built (never at import
time), and the client is always built for the context the guard allowed, never for the
kubeconfig's current context. Every request goes through `_request`, which turns API errors
into the learner-facing errors of `tutor.cluster.base`.
"""

from __future__ import annotations

import builtins
import json
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tutor.cluster.base import (
    FIELD_MANAGER,
    LAB_LABEL,
    MANAGED_LABEL,
    MANAGED_VALUE,
    ApplyResult,
    ClusterError,
    ConflictError,
    FieldProblem,
    ForbiddenError,
    InvalidObjectError,
    NotFoundError,
    Obj,
    ProbeRequest,
    ProbeResult,
    UnreachableError,
    matches_selector,
)
from tutor.cluster.guard import Target

Objs = list[Obj]
"""A list of objects (named so that `KubeCluster.list` does not hide the builtin)."""

LEARNER_LABEL = "kube-tutor.dev/learner"
"""On lab namespaces made in context mode: whose they are (the learner's prefix)."""
APPLY_CONTENT_TYPE = "application/apply-patch+yaml"

WATCHED_KINDS = ("Pod", "Service", "EndpointSlice", "Deployment", "Ingress", "Gateway", "HTTPRoute")
"""Kinds whose changes wake `wait_for_change` (what lab checks read)."""


@dataclass(frozen=True)
class Resource:
    """Where a kind lives in the API."""

    kind: str
    group: str
    version: str
    plural: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        """`v1` or `group/version`."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The REST path of the collection or of one object."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name else base


def _r(kind: str, group: str, version: str, plural: str, namespaced: bool = True) -> Resource:
    return Resource(kind, group, version, plural, namespaced)


RESOURCES: dict[str, Resource] = {
    r.kind: r
    for r in (
        _r("Namespace", "", "v1", "namespaces", False),
        _r("Node", "", "v1", "nodes", False),
        _r("Pod", "", "v1", "pods"),
        _r("Service", "", "v1", "services"),
        _r("Endpoints", "", "v1", "endpoints"),
        _r("ConfigMap", "", "v1", "configmaps"),
        _r("Secret", "", "v1", "secrets"),
        _r("Event", "", "v1", "events"),
        _r("EndpointSlice", "discovery.k8s.io", "v1", "endpointslices"),
        _r("Deployment", "apps", "v1", "deployments"),
        _r("ReplicaSet", "apps", "v1", "replicasets"),
        _r("StatefulSet", "apps", "v1", "statefulsets"),
        _r("DaemonSet", "apps", "v1", "daemonsets"),
        _r("Ingress", "networking.k8s.io", "v1", "ingresses"),
        _r("IngressClass", "networking.k8s.io", "v1", "ingressclasses", False),
        _r("GatewayClass", "gateway.networking.k8s.io", "v1", "gatewayclasses", False),
        _r("Gateway", "gateway.networking.k8s.io", "v1", "gateways"),
        _r("HTTPRoute", "gateway.networking.k8s.io", "v1", "httproutes"),
        _r("ReferenceGrant", "gateway.networking.k8s.io", "v1beta1", "referencegrants"),
    )
}
"""Kinds labs use -> API group, version (the one read by get/list) and plural."""


def resource_for(kind: str, api_version: str | None = None) -> Resource:
    """The resource of a kind; an object's own `apiVersion` wins over the default version."""
    known = RESOURCES.get(kind)
    if known is None:
        raise NotFoundError(
            f"kube-tutor does not know the kind `{kind}`.",
            hint="Check the spelling of `kind:` (it is case-sensitive, e.g. `Service`).",
        )
    if api_version and api_version != known.api_version:
        group, _, version = api_version.rpartition("/")
        return Resource(kind, group, version, known.plural, known.namespaced)
    return known


def label_selector(selector: Mapping[str, str] | None) -> str:
    """`{"app": "web", "tier": "a"}` -> `app=web,tier=a`."""
    return ",".join(f"{key}={value}" for key, value in (selector or {}).items())


class KubeCluster:
    """A real cluster (the kind cluster, or a named context) behind the `Cluster` protocol."""

    def __init__(
        self,
        target: Target,
        *,
        api_client: Any | None = None,
        request_timeout: float = 15.0,
    ) -> None:
        self.target = target
        self.backend: str = target.backend
        self.namespace_prefix = target.namespace_prefix
        """In context mode every lab namespace is named `<prefix>-...` (empty for kind)."""
        self.request_timeout = request_timeout
        if api_client is None:
            from kubernetes import config

            try:
                api_client = config.new_client_from_config(  # type: ignore[no-untyped-call]
                    config_file=target.kubeconfig, context=target.context, persist_config=False
                )
            except Exception as exc:  # the client raises ConfigException and plain errors
                raise UnreachableError(
                    f"kube-tutor could not use context `{target.context}`: {exc}",
                    hint="Check it with `kubectl --context "
                    f"{target.context} get nodes`; for kind, run `kube-tutor cluster up`.",
                ) from exc
        self._api = api_client
        self._capabilities: set[str] | None = None

    # -- the one request function -------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: Any = None,
        content_type: str | None = None,
        timeout: float | tuple[float, float] | None = None,
        stream: bool = False,
        what: str = "",
    ) -> Any:
        """Send one request; returns the decoded JSON (or, with `stream`, the open
        response). Raises the `ClusterError` subclass that matches the answer."""
        headers = {"Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        method, url, headers, body, _ = self._api.param_serialize(
            method=method,
            resource_path=path,
            query_params=list(query) or None,
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        try:
            response = self._api.call_api(
                method,
                url,
                header_params=headers,
                body=body,
                _request_timeout=timeout or self.request_timeout,
            )
        except Exception as exc:  # urllib3 connection/timeout errors, SSL errors
            raise self._unreachable(exc) from exc
        if stream and 200 <= response.status < 300:
            return response
        try:
            raw = response.read()
        except Exception as exc:
            raise self._unreachable(exc) from exc
        if not 200 <= response.status < 300:
            raise error_from_status(response.status, raw, what or f"{method} {path}", self.target)
        return json.loads(raw) if raw else {}

    def _unreachable(self, exc: BaseException) -> UnreachableError:
        reason = str(exc).split(":")[-1].strip() or type(exc).__name__
        where = self.target.server or "the API server"
        if self.backend == "kind":
            hint = "Is the cluster running? Run `kube-tutor cluster up` (or `cluster status`)."
        else:
            hint = (
                f"Check the context: `kubectl --context {self.target.context} get nodes`; "
                "or practise on kind with `kube-tutor cluster up`."
            )
        return UnreachableError(
            f"The cluster of context `{self.target.context}` does not answer at {where} "
            f"({reason}).",
            hint=hint,
        )

    # -- reading ------------------------------------------------------------------------

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        """One object, or None when it (or its namespace, or its kind) does not exist."""
        resource = resource_for(kind)
        try:
            obj = self._request("GET", resource.path(namespace, name), what=f"read {kind} {name}")
        except NotFoundError:
            return None
        return dict(obj)

    def list(
        self,
        kind: str,
        namespace: str | None = None,
        selector: Mapping[str, str] | None = None,
    ) -> Objs:
        """Objects of a kind, filtered by labels on the server (`labelSelector`)."""
        items, _ = self._list(kind, namespace, label_selector(selector))
        return [item for item in items if matches_selector(_labels(item), selector)]

    def _list(
        self, kind: str, namespace: str | None, selector: str = "", *, limit: int = 0
    ) -> tuple[Objs, str]:
        resource = resource_for(kind)
        query: builtins.list[tuple[str, str]] = []
        if selector:
            query.append(("labelSelector", selector))
        if limit:
            query.append(("limit", str(limit)))
        try:
            data = self._request("GET", resource.path(namespace), query=query, what=f"list {kind}")
        except NotFoundError:
            return [], ""
        items: Objs = []
        for item in data.get("items") or []:
            # list items come without kind/apiVersion; checks read them, so put them back
            item.setdefault("kind", kind)
            item.setdefault("apiVersion", resource.api_version)
            items.append(item)
        return items, str(data.get("metadata", {}).get("resourceVersion", ""))

    def events(self, namespace: str) -> Objs:
        """Events in the namespace, oldest first."""
        items, _ = self._list("Event", namespace)
        return sorted(items, key=_event_time)

    def capabilities(self) -> set[str]:
        """Lab capabilities this cluster offers (read once per session)."""
        if self._capabilities is None and self.backend == "sim":
            from tutor.cluster.sim.cluster import CAPABILITIES

            self._capabilities = set(CAPABILITIES)
        if self._capabilities is None:
            from tutor.cluster import kind

            running = False
            if self.backend == "kind":
                running = kind.KindLifecycle().cloud_provider_pid() is not None
            classes = self._list("GatewayClass", None)[0], self._list("IngressClass", None)[0]
            if self.backend == "context":
                # cloud-provider-kind (or another controller) shows itself by its classes
                running = any(classes)
            works = kind.capabilities_from(
                self._list("Node", None)[0],
                classes[1],
                classes[0],
                cloud_provider_running=running,
                host_reaches_nodeports=self.backend == "kind",
            )
            self._capabilities = set(works)
        return set(self._capabilities)

    # -- namespaces ---------------------------------------------------------------------

    def ensure_namespace(self, name: str, labels: Mapping[str, str]) -> None:
        """Create the namespace (or update its labels), marked as kube-tutor's."""
        self.target.check_namespace(name)
        current = self.get("Namespace", name)
        if current is not None and current.get("status", {}).get("phase") == "Terminating":
            self._wait_gone("Namespace", name, None, 120.0)
        merged = {LAB_LABEL: name, **dict(labels), MANAGED_LABEL: MANAGED_VALUE}
        if self.namespace_prefix:
            merged[LEARNER_LABEL] = self.namespace_prefix
        body: Obj = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": merged},
        }
        self._apply_one(RESOURCES["Namespace"], body, dry_run=False)

    def delete_namespace(self, name: str, *, wait: bool = True) -> None:
        """Delete a namespace and all in it; waits (watching) until it is gone."""
        self.target.check_namespace(name)
        if not self.delete("Namespace", name):
            return
        if wait and not self._wait_gone("Namespace", name, None, 180.0):
            raise ClusterError(
                f"Namespace {name} is still being deleted after 3 minutes.",
                hint=f"Look at `kubectl get namespace {name} -o yaml` (finalizers, conditions).",
            )

    def lab_namespaces(self) -> builtins.list[str]:
        """Names of the namespaces kube-tutor made for labs (the learner's, in context mode)."""
        selector = LAB_LABEL
        if self.namespace_prefix:
            selector += f",{LEARNER_LABEL}={self.namespace_prefix}"
        items, _ = self._list("Namespace", None, selector)
        names = [item["metadata"]["name"] for item in items]
        return [n for n in names if self.target.allows_namespace(n)]

    # -- writing ------------------------------------------------------------------------

    def apply(self, objects: Sequence[Obj], namespace: str) -> builtins.list[ApplyResult]:
        """Server-side apply (field manager `kube-tutor`): every object is validated by a
        server-side dry run first, so on an `InvalidObjectError` nothing was applied."""
        prepared: builtins.list[tuple[Resource, Obj]] = []
        for obj in objects:
            resource, body = self._prepare(obj, namespace)
            prepared.append((resource, body))
        # Namespaces first, so objects inside a namespace of the same batch can follow.
        prepared.sort(key=lambda pair: pair[0].kind != "Namespace")
        new_namespaces = {b["metadata"]["name"] for r, b in prepared if r.kind == "Namespace"}

        problems: builtins.list[tuple[Obj, InvalidObjectError]] = []
        before: builtins.list[tuple[int, str]] = []
        for resource, body in prepared:
            try:
                status, answer = self._apply_one(resource, body, dry_run=True)
            except InvalidObjectError as exc:
                problems.append((body, exc))
                before.append((0, ""))
                continue
            except NotFoundError:
                if body["metadata"].get("namespace") in new_namespaces:
                    before.append((201, ""))  # its namespace comes with this batch
                    continue
                raise
            before.append((status, _resource_version(answer)))
        if problems:
            raise _combined_invalid(problems)

        results: builtins.list[ApplyResult] = []
        for (resource, body), (dry_status, old_version) in zip(prepared, before, strict=True):
            status, answer = self._apply_one(resource, body, dry_run=False)
            action: Literal["created", "configured", "unchanged"]
            if status == 201 or dry_status == 201:
                action = "created"
            elif _resource_version(answer) == old_version:
                action = "unchanged"
            else:
                action = "configured"
            meta = body["metadata"]
            results.append(ApplyResult(resource.kind, meta["name"], meta.get("namespace"), action))
        return results

    def _prepare(self, obj: Obj, namespace: str) -> tuple[Resource, Obj]:
        kind = obj.get("kind")
        meta = obj.get("metadata") or {}
        if not isinstance(kind, str) or not kind or not meta.get("name"):
            raise InvalidObjectError(
                "An object has no `kind` or no `metadata.name`; nothing was applied.",
                [FieldProblem("kind" if not kind else "metadata.name", "Required value")],
            )
        resource = resource_for(kind, obj.get("apiVersion"))
        body = json.loads(json.dumps(obj))  # a deep copy we may change
        body["apiVersion"] = resource.api_version
        meta = body["metadata"]
        for key in ("resourceVersion", "uid", "managedFields", "creationTimestamp", "generation"):
            meta.pop(key, None)  # copied from `kubectl get -o yaml`, they would break apply
        body.pop("status", None)
        if resource.namespaced:
            meta.setdefault("namespace", namespace)
            self.target.check_namespace(meta["namespace"])
        else:
            meta.pop("namespace", None)
            if kind == "Namespace":
                self.target.check_namespace(meta["name"])
            elif self.backend != "kind":
                raise InvalidObjectError(
                    f"{kind} {meta['name']} is cluster-wide; on a shared cluster kube-tutor "
                    "only creates objects inside your lab namespaces, so nothing was applied.",
                    [FieldProblem("kind", f"{kind} is not namespaced")],
                )
        return resource, body

    def _apply_one(self, resource: Resource, body: Obj, *, dry_run: bool) -> tuple[int, Obj]:
        meta = body["metadata"]
        query = [("fieldManager", FIELD_MANAGER), ("force", "true")]
        if dry_run:
            query.append(("dryRun", "All"))
        headers_path = resource.path(meta.get("namespace"), meta["name"])
        method, url, headers, payload, _ = self._api.param_serialize(
            method="PATCH",
            resource_path=headers_path,
            query_params=query,
            header_params={"Accept": "application/json", "Content-Type": APPLY_CONTENT_TYPE},
            body=body,
            auth_settings=["BearerToken"],
        )
        try:
            response = self._api.call_api(
                method,
                url,
                header_params=headers,
                body=payload,
                _request_timeout=self.request_timeout,
            )
            raw = response.read()
        except Exception as exc:
            raise self._unreachable(exc) from exc
        if not 200 <= response.status < 300:
            what = f"apply {resource.kind} {meta['name']}"
            raise error_from_status(
                response.status, raw, what, self.target, kind=resource.kind, name=meta["name"]
            )
        return int(response.status), json.loads(raw) if raw else {}

    def delete(self, kind: str, name: str, namespace: str | None = None) -> bool:
        """Delete one object (its dependents in the background); False when it was absent."""
        resource = resource_for(kind)
        if resource.namespaced and namespace:
            self.target.check_namespace(namespace)
        elif kind == "Namespace":
            self.target.check_namespace(name)
        elif self.backend != "kind":
            raise ForbiddenError(
                f"kube-tutor does not delete cluster-wide {kind} objects on a shared cluster."
            )
        try:
            self._request(
                "DELETE",
                resource.path(namespace, name),
                query=[("propagationPolicy", "Background")],
                what=f"delete {kind} {name}",
            )
        except NotFoundError:
            return False
        return True

    # -- waiting (watches, never blind sleeps) ------------------------------------------

    def _watch(
        self, resource: Resource, namespace: str | None, version: str, timeout: float, **query: str
    ) -> Any:
        params = [
            ("watch", "true"),
            ("timeoutSeconds", str(max(1, math.ceil(timeout)))),
            ("allowWatchBookmarks", "false"),
        ]
        if version:
            params.append(("resourceVersion", version))
        params.extend(query.items())
        return self._request(
            "GET",
            resource.path(namespace),
            query=params,
            stream=True,
            timeout=(min(5.0, timeout + 1), timeout + 2),
            what=f"watch {resource.kind}",
        )

    def wait_for(
        self,
        kind: str,
        namespace: str | None,
        predicate: Callable[[Objs], bool],
        timeout: float,
    ) -> bool:
        """List, and while `predicate(objects)` is false watch for the next change; True
        when it became true, False when `timeout` passed."""
        deadline = time.monotonic() + timeout
        while True:
            items, version = self._list(kind, namespace)
            if predicate(items):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self._next_event(resource_for(kind), namespace, version, remaining)

    def _next_event(
        self, resource: Resource, namespace: str | None, version: str, timeout: float, **query: str
    ) -> dict[str, Any] | None:
        try:
            response = self._watch(resource, namespace, version, timeout, **query)
        except NotFoundError:
            return None
        try:
            for event in _events(response, time.monotonic() + timeout):
                return event
        except Exception:  # a read timeout or a dropped stream: the caller lists again
            return None
        finally:
            _close(response)
        return None

    def _wait_gone(self, kind: str, name: str, namespace: str | None, timeout: float) -> bool:
        def gone(items: Objs) -> bool:
            return not any(i.get("metadata", {}).get("name") == name for i in items)

        return self.wait_for(kind, namespace, gone, timeout)

    def wait_for_change(self, namespace: str, timeout: float) -> bool:
        """Block until a Pod, Service, EndpointSlice, Deployment, Ingress, Gateway or
        HTTPRoute in the namespace changes (True) or `timeout` passes (False)."""
        changed = threading.Event()
        responses: builtins.list[Any] = []
        deadline = time.monotonic() + timeout
        for kind in WATCHED_KINDS:
            resource = resource_for(kind)
            _, version = self._list(kind, namespace, limit=1)
            if not version:
                continue  # the kind is not served (e.g. no Gateway API)
            try:
                responses.append(self._watch(resource, namespace, version, timeout))
            except NotFoundError:
                continue

        def pump(response: Any) -> None:
            try:
                for _event in _events(response, deadline):
                    changed.set()
                    return
            except Exception:  # the stream was closed under us, or timed out
                return

        threads = [threading.Thread(target=pump, args=(r,), daemon=True) for r in responses]
        for thread in threads:
            thread.start()
        changed.wait(max(0.0, deadline - time.monotonic()))
        for response in responses:
            _close(response)
        return changed.is_set()

    # -- traffic ------------------------------------------------------------------------

    def probe(self, request: ProbeRequest) -> ProbeResult:
        """Send real traffic (from a probe Pod, a Pod, a node or this machine); on the
        simulator its data plane answers through kube-tutor's API group."""
        if self.backend == "sim":
            from tutor.cluster.sim.api.extension import (
                PROBES_PATH,
                request_to_json,
                result_from_json,
            )

            answer = self._request("POST", PROBES_PATH, body=request_to_json(request),
                                   content_type="application/json", what="probe")
            return result_from_json(answer)
        from tutor.cluster.probes import run_probe

        result: ProbeResult = run_probe(self, request)
        return result

    def exec(
        self, pod: str, namespace: str, command: Sequence[str], timeout: float
    ) -> tuple[int, str, str]:
        """Run a command in a Pod's (first) container through the exec API; returns
        (exit code, stdout, stderr)."""
        from kubernetes import client
        from kubernetes.stream import stream

        core = client.CoreV1Api(self._api)
        try:
            session = stream(
                core.connect_get_namespaced_pod_exec,
                pod,
                namespace,
                command=list(command),
                stderr=True,
                stdin=False,
                stdout=True,
                tty=False,
                _preload_content=False,
            )
        except Exception as exc:
            status = getattr(exc, "status", 0)
            if status:
                raise error_from_status(
                    int(status), getattr(exc, "body", b""), f"exec in {pod}", self.target
                ) from exc
            raise self._unreachable(exc) from exc
        try:
            session.run_forever(timeout=timeout)
            code = session.returncode
            out = session.read_stdout() or ""
            err = session.read_stderr() or ""
        finally:
            session.close()
        return (int(code) if code is not None else 124), str(out), str(err)


# -- errors ---------------------------------------------------------------------------------


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
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    message = str(data.get("message") or text.strip() or f"HTTP {status}")
    details = data.get("details") or {}
    if status == 422 or (status == 400 and details.get("causes")):
        problems = [
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
        return InvalidObjectError(
            f"{shown} is invalid, so nothing was applied: {message}",
            problems,
            hint="Fix the fields named above and apply again.",
            kind=kind,
            name=name,
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


def _combined_invalid(problems: list[tuple[Obj, InvalidObjectError]]) -> InvalidObjectError:
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


# -- small helpers --------------------------------------------------------------------------


def _labels(obj: Obj) -> dict[str, str]:
    labels = obj.get("metadata", {}).get("labels") or {}
    return dict(labels)


def _resource_version(obj: Obj) -> str:
    return str(obj.get("metadata", {}).get("resourceVersion", ""))


def _event_time(event: Obj) -> str:
    return str(
        event.get("lastTimestamp")
        or event.get("eventTime")
        or event.get("metadata", {}).get("creationTimestamp")
        or ""
    )


def _events(response: Any, deadline: float) -> Iterator[dict[str, Any]]:
    """Decoded watch events of an open streaming response (one JSON object per line)."""
    buffer = b""
    for chunk in response.response.stream(4096, decode_content=True):
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if not line.strip():
                continue
            event = json.loads(line)
            if isinstance(event, dict) and event.get("type") in {
                "ADDED",
                "MODIFIED",
                "DELETED",
                "ERROR",
            }:
                yield event
        if time.monotonic() > deadline:
            return


def _close(response: Any) -> None:
    raw = getattr(response, "response", None)
    if raw is None:
        return
    shutdown = getattr(raw, "shutdown", None)
    try:
        if callable(shutdown):
            shutdown()
        raw.release_conn()
    except Exception:  # closing a stream that already ended
        return
