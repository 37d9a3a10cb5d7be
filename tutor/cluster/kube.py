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
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from tutor.cluster.base import (
    FIELD_MANAGER,
    LAB_LABEL,
    MANAGED_LABEL,
    MANAGED_VALUE,
    ApplyResult,
    ClusterError,
    FieldProblem,
    ForbiddenError,
    InvalidObjectError,
    NotFoundError,
    Obj,
    ProbeRequest,
    ProbeResult,
    RefusedContextError,
    UnreachableError,
    matches_selector,
)
from tutor.cluster.capabilities import LOCAL_BACKENDS, capabilities_from, simulator_capabilities
from tutor.cluster.guard import Target
from tutor.cluster.kube_errors import (
    LB_FINALIZER,
    NamespaceTerminatingError,
    combined_invalid,
    error_from_status,
    exec_handshake_error,
    exec_outcome,
    node_port_error,
    rolled_back,
    terminating_reason,
)
from tutor.cluster.kube_resources import (
    RESOURCES,
    Resource,
    label_selector,
    resource_for,
)
from tutor.cluster.kube_watch import NamespaceWatches, close_response, watch_events

Objs = list[Obj]
"""A list of objects (named so that `KubeCluster.list` does not hide the builtin)."""

LEARNER_LABEL = "kube-tutor.dev/learner"
CLASSROOM_LABEL = "kube-tutor.dev/classroom"
"""On the namespaces and RBAC objects `kube-tutor class init` made: the classroom's name."""
"""On lab namespaces made in context mode: whose they are (the learner's prefix)."""
APPLY_CONTENT_TYPE = "application/apply-patch+yaml"

WATCHED_KINDS = ("Pod", "Service", "EndpointSlice", "Deployment", "Ingress", "Gateway", "HTTPRoute")
"""Kinds whose changes wake `wait_for_change` (what lab checks read)."""
MERGE_PATCH = "application/merge-patch+json"
NO_PROXY_HEADER = "x-kube-tutor-no-proxy"
"""A harmless proxy header whose only effect is that the client's WebSocket code passes
`no_proxy` on (kubernetes/stream/ws_client.py, create_websocket: the proxy options are
read only when a proxy or proxy headers are set)."""
MINIMUM_CLIENT = (37, 0)
"""`ApiClient.param_serialize` and the `call_api(method, url, ...)` signature used here
exist from kubernetes 37 (the generator moved to them then)."""


def ignore_proxies(configuration: Any) -> None:
    """Make a client configuration send everything straight to its host: no proxy from the
    kubeconfig or from `HTTP(S)_PROXY`/`ALL_PROXY` (kubernetes 37 reads them in
    `Configuration.__init__` and again when the host is set), for REST and for exec's
    WebSocket (websocket-client reads `https_proxy` itself unless told `no_proxy=*`)."""
    configuration.proxy = None  # the setter also stops the re-read from the environment
    configuration.no_proxy = "*"
    configuration.proxy_headers = {NO_PROXY_HEADER: "1"}


def build_api_client(target: Target) -> Any:
    """An `ApiClient` for exactly `target.context` of `target.kubeconfig` (for the
    simulator, its own kubeconfig only: `~/.kube/config` is never read)."""
    from kubernetes import client, config

    configuration = client.Configuration()
    config.load_kube_config(  # type: ignore[no-untyped-call]
        config_file=target.kubeconfig,
        context=target.context,
        client_configuration=configuration,
        persist_config=False,
    )
    if target.backend in LOCAL_BACKENDS:
        ignore_proxies(configuration)
    return client.ApiClient(configuration)


def check_client_version(api_client: Any) -> None:
    """Refuse a kubernetes client older than 37, with the fix (the requests would fail)."""
    if not hasattr(api_client, "param_serialize"):
        import kubernetes

        raise UnreachableError(
            f"The installed kubernetes Python client ({getattr(kubernetes, '__version__', '?')}) "
            "is too old for kube-tutor, which needs version 37.",
            hint="Reinstall kube-tutor (`pip install -U kube-tutor`) or run "
            "`pip install 'kubernetes>=37,<38'`.",
        )


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
        self.on_wait: Callable[[str], None] | None = None
        """Told what a long wait (a namespace still Terminating) waits for."""
        if api_client is None:
            try:
                api_client = build_api_client(target)
            except Exception as exc:  # the client raises ConfigException and plain errors
                raise UnreachableError(
                    f"kube-tutor could not use context `{target.context}`: {exc}",
                    hint="Check it with `kubectl --context "
                    f"{target.context} get nodes`; for kind, run `kube-tutor cluster up`.",
                ) from exc
        elif target.backend in LOCAL_BACKENDS:
            had_proxy = bool(api_client.configuration.proxy)
            ignore_proxies(api_client.configuration)
            if had_proxy:  # its connection pool was built for the proxy
                from kubernetes import client

                api_client = client.ApiClient(api_client.configuration)
        check_client_version(api_client)
        self._api = api_client
        self._capabilities: set[str] | None = None
        self._watches: dict[str, NamespaceWatches] = {}
        self._watch_lock = threading.Lock()

    def close(self) -> None:
        """Stop the background watches of `wait_for_change`."""
        with self._watch_lock:
            watches, self._watches = list(self._watches.values()), {}
        for watch in watches:
            watch.stop()

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
            hint = "Is the cluster running? Run `kube-tutor cluster up` (or `kube-tutor doctor`)."
        elif self.backend == "sim":
            hint = "Is the simulator's API server running? Run `kube-tutor sim start`."
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
        """Lab capabilities this cluster offers (read once per session). The simulator
        offers them all; kind and a context show them by their nodes and classes."""
        if self._capabilities is None:
            if self.backend == "sim":
                self._capabilities = set(simulator_capabilities())
                return set(self._capabilities)
            running = False
            if self.backend == "kind":
                from tutor.cluster.kind_tools import Runner, find_program

                running = bool(find_program(Runner(), "cloud-provider-kind"))
            classes = self._list("GatewayClass", None)[0], self._list("IngressClass", None)[0]
            if self.backend == "context":
                # cloud-provider-kind (or another controller) shows itself by its classes
                running = any(classes)
            works = capabilities_from(
                self._list("Node", None)[0],
                classes[1],
                classes[0],
                cloud_provider_running=running,
                host_reaches_nodeports=self.backend == "kind",
            )
            self._capabilities = set(works)
        return set(self._capabilities)

    # -- namespaces ---------------------------------------------------------------------

    def is_kube_tutors(self, namespace: Obj) -> bool:
        """True when a namespace carries kube-tutor's labels (and, in context mode, this
        learner's): only those are ever changed or deleted."""
        labels = _labels(namespace)
        mine = labels.get(MANAGED_LABEL) == MANAGED_VALUE and LAB_LABEL in labels
        if self.namespace_prefix:
            mine = mine and labels.get(LEARNER_LABEL) == self.namespace_prefix
        return mine

    def _refuse_foreign(self, name: str, doing: str) -> RefusedContextError:
        return RefusedContextError(
            f"kube-tutor will not {doing} namespace {name}: it exists but kube-tutor did not "
            f"make it (it lacks the labels {LAB_LABEL} and {MANAGED_LABEL}={MANAGED_VALUE}), "
            "so it may hold someone's work.",
            hint=f"If it is yours and may go: `kubectl delete namespace {name}`, then try "
            "again. Nothing was changed.",
        )

    def ensure_namespace(self, name: str, labels: Mapping[str, str]) -> None:
        """Create the namespace (or update its labels), marked as kube-tutor's; a namespace
        of that name kube-tutor did not make is refused, one still Terminating waited for."""
        self.target.check_namespace(name)
        current = self.get("Namespace", name)
        if current is not None and not self.is_kube_tutors(current):
            raise self._refuse_foreign(name, "use")
        if current is not None and current.get("status", {}).get("phase") == "Terminating":
            self._wait_terminated(current, 120.0)
        merged = {LAB_LABEL: name, **dict(labels), MANAGED_LABEL: MANAGED_VALUE}
        if self.namespace_prefix:
            merged[LEARNER_LABEL] = self.namespace_prefix
        body: Obj = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": merged},
        }
        self._apply_one(RESOURCES["Namespace"], body, dry_run=False)

    def _wait_terminated(self, namespace: Obj, timeout: float) -> None:
        name = namespace["metadata"]["name"]
        note = self.on_wait or (lambda _: None)
        note(
            f"namespace {name} is still being deleted ({terminating_reason(namespace)}); "
            f"waiting up to {timeout:.0f} s"
        )
        if self._wait_gone("Namespace", name, None, timeout):
            return
        latest = self.get("Namespace", name) or namespace
        raise NamespaceTerminatingError(
            f"Namespace {name} is still being deleted after {timeout:.0f} s: "
            f"{terminating_reason(latest)}.",
            hint="`kube-tutor cluster clean --force` removes what holds kube-tutor's "
            f"namespaces (LoadBalancer finalizers, Pods that do not stop); or look at "
            f"`kubectl get namespace {name} -o yaml`.",
        )

    def delete_namespace(self, name: str, *, wait: bool = True) -> None:
        """Delete a namespace kube-tutor made and all in it; waits (watching) until it is
        gone. A namespace of that name without kube-tutor's labels is refused."""
        self.target.check_namespace(name)
        current = self.get("Namespace", name)
        if current is None:
            return
        if not self.is_kube_tutors(current):
            raise self._refuse_foreign(name, "delete")
        if CLASSROOM_LABEL in _labels(current):
            # An instructor made it for a classroom: the learner's rights live in it and they
            # may not create it again, so it is emptied instead of deleted.
            from tutor.cluster.kube_namespaces import empty_namespace

            empty_namespace(self, name, wait=wait)
            return
        if not self._delete(RESOURCES["Namespace"], name, None):
            return
        if wait and not self._wait_gone("Namespace", name, None, 180.0):
            latest = self.get("Namespace", name) or current
            raise NamespaceTerminatingError(
                f"Namespace {name} is still being deleted after 3 minutes: "
                f"{terminating_reason(latest)}.",
                hint="`kube-tutor cluster clean --force` unblocks it; or look at "
                f"`kubectl get namespace {name} -o yaml` (finalizers, conditions).",
            )

    def force_clean_namespace(self, name: str) -> builtins.list[str]:
        """Unblock a kube-tutor namespace stuck in Terminating: drop the LoadBalancer
        cleanup finalizer from its Services (cloud-provider-kind is not there to) and
        delete its Pods at once. Returns what was done, one line each."""
        self.target.check_namespace(name)
        current = self.get("Namespace", name)
        if current is None:
            return []
        if not self.is_kube_tutors(current):
            raise self._refuse_foreign(name, "force-clean")
        done: builtins.list[str] = []
        for service in self._list("Service", name)[0]:
            finalizers = service.get("metadata", {}).get("finalizers") or []
            if LB_FINALIZER in finalizers:
                kept = [f for f in finalizers if f != LB_FINALIZER]
                service_name = service["metadata"]["name"]
                self._request(
                    "PATCH",
                    RESOURCES["Service"].path(name, service_name),
                    body={"metadata": {"finalizers": kept}},
                    content_type=MERGE_PATCH,
                    what=f"remove the finalizer of Service {service_name}",
                )
                done.append(f"removed finalizer {LB_FINALIZER} from Service {service_name}")
        for pod in self._list("Pod", name)[0]:
            pod_name = pod["metadata"]["name"]
            try:
                self._request(
                    "DELETE",
                    RESOURCES["Pod"].path(name, pod_name),
                    query=[("gracePeriodSeconds", "0")],
                    what=f"delete Pod {pod_name}",
                )
            except NotFoundError:
                continue
            done.append(f"deleted Pod {pod_name} without waiting for its grace period")
        return done

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
        """Server-side apply (field manager `kube-tutor`) after a dry run of each object; on an
        `InvalidObjectError` nothing the batch created remains. Dry runs skip the nodePort
        range (`node_port_refusal`): kind's known range is checked first, Services written
        first, and after a refused write what the batch created is deleted again."""
        prepared: builtins.list[tuple[Resource, Obj]] = []
        for obj in objects:
            resource, body = self._prepare(obj, namespace)
            prepared.append((resource, body))
        # Namespaces (objects of the batch may be in them), then Services (see above).
        prepared.sort(key=lambda pair: {"Namespace": 0, "Service": 1}.get(pair[0].kind, 2))
        new_namespaces = {b["metadata"]["name"] for r, b in prepared if r.kind == "Namespace"}

        problems: builtins.list[tuple[Obj, InvalidObjectError]] = []
        before: builtins.list[tuple[int, str]] = []
        local = self.backend in LOCAL_BACKENDS  # kind and the simulator: the range is known
        for resource, body in prepared:
            try:
                refused = node_port_error(body, self.target) if local else None
                if refused is not None:
                    raise refused
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
            raise combined_invalid(problems)

        results: builtins.list[ApplyResult] = []
        written: builtins.list[tuple[Resource, Obj, bool]] = []
        for (resource, body), (dry_status, old_version) in zip(prepared, before, strict=True):
            try:
                status, answer = self._apply_one(resource, body, dry_run=False)
            except InvalidObjectError as exc:
                raise self._roll_back(written, exc) from exc
            action: Literal["created", "configured", "unchanged"]
            if status == 201 or dry_status == 201:
                action = "created"
            elif _resource_version(answer) == old_version:
                action = "unchanged"
            else:
                action = "configured"
            written.append((resource, body, action == "created"))
            meta = body["metadata"]
            results.append(ApplyResult(resource.kind, meta["name"], meta.get("namespace"), action))
        return results

    def _roll_back(
        self, written: builtins.list[tuple[Resource, Obj, bool]], refused: InvalidObjectError
    ) -> InvalidObjectError:
        """Delete what the batch created (newest first); the error says what was undone."""
        removed: builtins.list[str] = []
        for resource, body, created in reversed(written):
            meta = body["metadata"]
            if created and self._delete(resource, meta["name"], meta.get("namespace")):
                removed.append(f"{resource.kind} {meta['name']}")
        kept = [f"{r.kind} {b['metadata']['name']}" for r, b, created in written if not created]
        return rolled_back(refused, removed, kept)

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
            elif self.backend == "context":
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
        """Delete one object (its dependents in the background); False when it was absent.
        A Namespace goes through `delete_namespace`'s ownership check."""
        resource = resource_for(kind)
        if kind == "Namespace":
            current = self.get("Namespace", name)
            if current is None:
                return False
            self.delete_namespace(name, wait=False)
            return True
        if resource.namespaced and namespace:
            self.target.check_namespace(namespace)
        elif self.backend == "context":
            raise ForbiddenError(
                f"kube-tutor does not delete cluster-wide {kind} objects on a shared cluster."
            )
        return self._delete(resource, name, namespace)

    def _delete(self, resource: Resource, name: str, namespace: str | None) -> bool:
        try:
            self._request(
                "DELETE",
                resource.path(namespace, name),
                query=[("propagationPolicy", "Background")],
                what=f"delete {resource.kind} {name}",
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
        *,
        on_wait: Callable[[str], None] | None = None,
    ) -> bool:
        """List, and while `predicate(objects)` is false watch for the next change; True
        when it became true, False when `timeout` passed. A kind the server does not serve
        yet is looked for again after a growing pause (told to `on_wait`), not in a loop."""
        deadline = time.monotonic() + timeout
        resource = resource_for(kind)
        pause = 0.5
        while True:
            items, version = self._list(kind, namespace)
            if version and predicate(items):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            if not version:  # 404: the kind is not served (its CRD is not installed yet)
                if on_wait is not None:
                    on_wait(f"{_unserved_reason(kind)}; looking again in {pause:.0f} s")
                time.sleep(min(pause, remaining))
                pause = min(pause * 2, 8.0)
                continue
            started = time.monotonic()
            event = self._next_event(resource, namespace, version, remaining)
            # no event at once (a dropped stream, an error): do not ask again at once
            if event is None and time.monotonic() - started < 0.2:
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                pause = min(pause * 2, 8.0)

    def _next_event(
        self, resource: Resource, namespace: str | None, version: str, timeout: float, **query: str
    ) -> dict[str, Any] | None:
        try:
            response = self._watch(resource, namespace, version, timeout, **query)
        except ClusterError:
            return None
        try:
            for event in watch_events(response, time.monotonic() + timeout):
                return event
        except Exception:  # a read timeout or a dropped stream: the caller lists again
            return None
        finally:
            close_response(response)
        return None

    def _wait_gone(self, kind: str, name: str, namespace: str | None, timeout: float) -> bool:
        def gone(items: Objs) -> bool:
            return not any(i.get("metadata", {}).get("name") == name for i in items)

        return self.wait_for(kind, namespace, gone, timeout)

    def wait_for_change(self, namespace: str, timeout: float) -> bool:
        """Block until a Pod, Service, EndpointSlice, Deployment, Ingress, Gateway or
        HTTPRoute in the namespace changes (True) or `timeout` passes (False). One
        long-lived watch per kind and namespace serves every call; a change between two
        calls is not lost (the next call returns True at once)."""
        with self._watch_lock:
            watches = self._watches.get(namespace)
            if watches is None:
                watches = NamespaceWatches(self, namespace, WATCHED_KINDS)
                self._watches[namespace] = watches
        return watches.wait(timeout)

    def waiting_for(self, namespace: str) -> builtins.list[str]:
        """What the watches of a namespace wait for (kinds not served yet)."""
        watches = self._watches.get(namespace)
        return [w.waiting_for for w in watches.watches if w.waiting_for] if watches else []

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

            answer = self._request(
                "POST",
                PROBES_PATH,
                body=request_to_json(request),
                content_type="application/json",
                what="probe",
            )
            return result_from_json(answer)
        from tutor.cluster.probes import run_probe

        result: ProbeResult = run_probe(self, request)
        return result

    def exec(
        self, pod: str, namespace: str, command: Sequence[str], timeout: float
    ) -> tuple[int, str, str]:
        """Run a command in a Pod's (first) container through the exec API; returns
        (exit code, stdout, stderr). A command still running after `timeout` gives 124 and
        what it printed so far (reads never block); a tool the image lacks gives 127 with
        the reason in stderr; refused rights raise `ForbiddenError`."""
        from kubernetes import client
        from kubernetes.stream import stream
        from kubernetes.stream.ws_client import ERROR_CHANNEL, STDERR_CHANNEL, STDOUT_CHANNEL

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
            refused = exec_handshake_error(exc, pod, namespace, self.target)
            raise (refused or self._unreachable(exc)) from exc
        try:
            session.run_forever(timeout=timeout)
            # timeout=0: take what is buffered; with None a read waits for the command's end
            out = str(session.read_channel(STDOUT_CHANNEL, timeout=0) or "")
            err = str(session.read_channel(STDERR_CHANNEL, timeout=0) or "")
            if session.is_open():
                return 124, out, err
            code, problem = exec_outcome(str(session.read_channel(ERROR_CHANNEL, timeout=0) or ""))
        finally:
            session.close()
        if problem:
            err = f"{err}\n{problem}".strip()
        return code, out, err


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


def _unserved_reason(kind: str) -> str:
    if resource_for(kind).group.startswith("gateway.networking.k8s.io"):
        return (
            f"the cluster does not serve {kind} yet: the Gateway API CRDs are installed by "
            "cloud-provider-kind when it starts"
        )
    return f"the cluster does not serve {kind} yet (its CustomResourceDefinition is missing)"


__all__ = [
    "RESOURCES",
    "KubeCluster",
    "NamespaceTerminatingError",
    "Resource",
    "error_from_status",
    "label_selector",
    "resource_for",
]
