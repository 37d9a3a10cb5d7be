"""The API server's verbs over a `SimCluster`: get, list, create, update, patch, delete, watch.

Every write goes through the simulator's admission (defaults, allocation, validation), is
stored, and lets the controllers converge before the answer is sent, so what a client reads
back is what a settled cluster shows. Graceful deletion is real: a Pod gets a
`deletionTimestamp` and goes away a moment later (its EndpointSlice entry shows
`terminating`/`serving` meanwhile), a Namespace goes through `Terminating`.

The engine is synchronous and single-threaded (the server calls it on its event loop);
`schedule(delay, callback)` is how it asks for work later.
"""

from __future__ import annotations

import builtins
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tutor.cluster.base import FIELD_MANAGER, ClusterError
from tutor.cluster.sim.admission import Admission
from tutor.cluster.sim.api import errors
from tutor.cluster.sim.api.errors import ApiError
from tutor.cluster.sim.api.resources import ServedResource
from tutor.cluster.sim.api.ssa import record_update, server_side_apply
from tutor.cluster.sim.api.valuetypes import type_error
from tutor.cluster.sim.cluster import SYSTEM_NAMESPACES, SimCluster
from tutor.cluster.sim.store import Change
from tutor.cluster.sim.store import deep_copy as _deep_copy

Obj = dict[str, Any]
Schedule = Callable[[float, Callable[[], None]], None]

POD_TERMINATION_SECONDS = 1.0
"""How long a deleted Pod stays `Terminating` (the simulated processes exit at once on
SIGTERM; kind's agnhost would take up to its grace period)."""
NAMESPACE_TERMINATION_SECONDS = 0.3
HISTORY = 50_000
"""Watch events kept for clients that resume from a resourceVersion."""
CONTROLLER_MANAGERS = frozenset(
    {
        "kube-apiserver",
        "kube-controller-manager",
        "endpointslice-controller.k8s.io",
        "endpointslice-controller",
        "cloud-provider-kind",
        "kube-scheduler",
        "kubelet",
    }
)
"""Field managers of the cluster's own components: their objects are not the learner's."""
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def deep_copy(obj: Obj) -> Obj:
    """A copy of an object that may be changed freely."""
    copied: Obj = _deep_copy(obj)
    return copied


@dataclass(frozen=True)
class WatchEvent:
    """One entry of the watch feed."""

    rv: int
    type: str
    """`ADDED`, `MODIFIED` or `DELETED`."""
    kind: str
    namespace: str
    obj: Obj


class ApiAdmission(Admission):
    """The simulator's admission, with ownership as a real API server sees it: anyone may
    update any object (`kubectl label` on a Deployment's Pod works), but kube-tutor's own
    workspace apply refuses to take over an object only the cluster's controllers made (so a
    learner who writes a controller's EndpointSlice is told to change its owner instead)."""

    def __init__(self, store: Any, applied: Any, *, workspace_apply: bool) -> None:
        super().__init__(store, applied)
        self.workspace_apply = workspace_apply

    def _check_ownership(self, kind: str, existing: Obj, manifest: Obj) -> None:
        managers = {m.get("manager") for m in existing["metadata"].get("managedFields") or []}
        if self.workspace_apply and managers and managers <= CONTROLLER_MANAGERS:
            super()._check_ownership(kind, existing, manifest)


def _now_schedule(delay: float, callback: Callable[[], None]) -> None:
    callback()


class Engine:
    """Kubernetes API semantics over one `SimCluster`."""

    def __init__(
        self,
        cluster: SimCluster,
        *,
        schedule: Schedule = _now_schedule,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.cluster = cluster
        self.schedule = schedule
        self.on_change = on_change
        self.history: deque[WatchEvent] = deque(maxlen=HISTORY)
        self.oldest_rv = cluster.store.resource_version
        self.attach()

    def attach(self) -> None:
        """Follow the cluster's store (call again after the store was replaced)."""
        store = self.cluster.store
        store.wall_clock = True
        if self._observe not in store.observers:
            store.observers.append(self._observe)
        self.oldest_rv = store.resource_version

    @property
    def resource_version(self) -> int:
        """The current resourceVersion of the whole store."""
        return self.cluster.store.resource_version

    def _observe(self, change: Change, rv: int) -> None:
        if change.new is None:
            assert change.old is not None
            obj = {**change.old, "metadata": {**change.old["metadata"], "resourceVersion": str(rv)}}
            kind = "DELETED"
        else:
            obj = change.new
            kind = "ADDED" if change.old is None else "MODIFIED"
        if len(self.history) == self.history.maxlen:
            self.oldest_rv = self.history[0].rv
        self.history.append(WatchEvent(rv, kind, change.kind, change.namespace, obj))
        if self.on_change is not None:
            self.on_change()

    # -- reading ----------------------------------------------------------------------------

    def get(self, res: ServedResource, namespace: str, name: str) -> Obj:
        """One object (a copy); 404 when absent."""
        obj = self.cluster.store.get(res.kind, namespace, name)
        if obj is None:
            raise errors.not_found(res.plural, name, res.group)
        return deep_copy(obj)

    def list(
        self,
        res: ServedResource,
        namespace: str | None,
        keep: Callable[[Obj], bool] | None = None,
    ) -> tuple[builtins.list[Obj], int]:
        """Objects of a resource (in a namespace or all), with the list's resourceVersion."""
        items = self.cluster.store.list(res.kind, namespace or None)
        chosen = [deep_copy(o) for o in items if keep is None or keep(o)]
        return chosen, self.resource_version

    def events_since(self, rv: int) -> builtins.list[WatchEvent]:
        """Watch events after `rv`, oldest first; 410 Gone when they are no longer kept.

        Read from the newest end: a watcher woken by one change costs one step, not a walk
        over the whole kept history."""
        if rv < self.oldest_rv:
            raise ApiError(410, "Expired", f"too old resource version: {rv} ({self.oldest_rv})")
        newer: builtins.list[WatchEvent] = []
        for event in reversed(self.history):
            if event.rv <= rv:
                break
            newer.append(event)
        newer.reverse()
        return newer

    # -- writing ----------------------------------------------------------------------------

    def _namespace_open(self, res: ServedResource, namespace: str) -> None:
        if not res.namespaced:
            return
        ns = self.cluster.store.get("Namespace", "", namespace)
        if ns is None:
            raise errors.not_found("namespaces", namespace)
        if (ns.get("status") or {}).get("phase") == "Terminating":
            raise ApiError(
                403,
                "Forbidden",
                f'{res.plural} "" is forbidden: unable to create new content in namespace '
                f"{namespace} because it is being terminated",
                details={
                    "kind": res.plural,
                    "causes": [
                        {
                            "reason": "NamespaceTerminating",
                            "message": f"namespace {namespace} is being terminated",
                            "field": "metadata.namespace",
                        }
                    ],
                },
            )

    def _admit_and_store(
        self,
        res: ServedResource,
        namespace: str,
        manifest: Obj,
        existing: Obj | None,
        *,
        manager: str,
        operation: str,
        dry_run: bool,
        managed: builtins.list[Obj] | None = None,
    ) -> Obj:
        """Admit `manifest` (the whole desired object), store it, converge; returns it.

        `managed` is the managedFields server-side apply worked out; for other writes the
        writer takes every field it changed (`record_update`)."""
        store = self.cluster.store
        store.tick()
        trial = self.cluster.alloc.copy()
        name = str((manifest.get("metadata") or {}).get("name") or "")
        manifest = deep_copy(manifest)
        manifest.pop("status", None)  # the main resource never writes status
        decode_error = type_error(manifest)
        if decode_error is not None:
            raise errors.bad_request(
                f'{res.kind} in version "{res.preferred}" cannot be handled as a {res.kind}: '
                + decode_error
            )
        workspace_apply = manager == FIELD_MANAGER and operation == "Apply"
        admission = ApiAdmission(store, self.cluster.applied, workspace_apply=workspace_apply)
        try:
            admitted = admission.admit(manifest, namespace, trial, set())
        except ClusterError as error:
            raise errors.from_cluster_error(
                error, kind=res.kind, plural=res.plural, name=name, group=res.group
            ) from error
        obj = admitted.obj
        meta = obj["metadata"]
        for carried in ("deletionTimestamp", "deletionGracePeriodSeconds", "finalizers"):
            if existing is not None and carried in existing["metadata"]:
                meta.setdefault(carried, existing["metadata"][carried])
        if managed is None:
            previous = (existing or {}).get("metadata", {}).get("managedFields")
            if previous is None:
                meta.pop("managedFields", None)
            else:
                meta["managedFields"] = previous
            managed = record_update(
                existing, obj, manager=manager, operation=operation, now=store.now()
            )
        meta["managedFields"] = managed
        if dry_run:
            meta.setdefault("uid", existing["metadata"]["uid"] if existing else store.new_uid())
            meta.setdefault(
                "creationTimestamp",
                existing["metadata"]["creationTimestamp"] if existing else store.now(),
            )
            if existing is not None:
                meta["resourceVersion"] = existing["metadata"]["resourceVersion"]
            return deep_copy(obj)
        self.cluster.alloc = trial
        key = (res.kind, "" if not res.namespaced else namespace, meta["name"])
        if existing is not None and (admitted.action == "unchanged" or _same(existing, obj)):
            # A write that changes nothing (but managedFields' times) is no write: the
            # resourceVersion stays (fieldmanager's IgnoreManagedFieldsTimestampsTransformer).
            return deep_copy(existing)
        store.put(obj)
        if workspace_apply:
            self.cluster.applied[key] = admitted.manifest
        else:
            # Someone else changed it: kube-tutor's next apply must write again.
            self.cluster.applied.pop(key, None)
        self.cluster.controllers.run()
        stored = store.get(res.kind, key[1], key[2])
        return deep_copy(stored if stored is not None else obj)

    def create(
        self, res: ServedResource, namespace: str, body: Obj, *, manager: str, dry_run: bool
    ) -> Obj:
        """POST: 409 when the name is taken."""
        self._writable(res)
        meta = body.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise errors.bad_request("metadata must be an object")
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = str(meta["generateName"]) + "".join(
                secrets.choice(_NAME_CHARS) for _ in range(5)
            )
        if res.namespaced:
            body_ns = meta.get("namespace")
            if body_ns and body_ns != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent "
                    "on the request"
                )
            meta["namespace"] = namespace
            self._namespace_open(res, namespace)
        name = str(meta.get("name") or "")
        if name and self.cluster.store.get(res.kind, namespace, name) is not None:
            raise errors.already_exists(res.plural, name, res.group)
        return self._admit_and_store(
            res, namespace, body, None, manager=manager, operation="Update", dry_run=dry_run
        )

    def replace(
        self,
        res: ServedResource,
        namespace: str,
        name: str,
        body: Obj,
        *,
        manager: str,
        dry_run: bool,
        operation: str = "Update",
    ) -> Obj:
        """PUT (or the result of a patch): the whole object; 409 on a stale resourceVersion."""
        self._writable(res)
        existing = self.cluster.store.get(res.kind, namespace, name)
        meta = body.get("metadata") or {}
        if meta.get("name") not in (None, name):
            raise errors.name_mismatch(meta.get("name"), name)
        if existing is None:
            raise errors.not_found(res.plural, name, res.group)
        wanted_rv = meta.get("resourceVersion")
        if wanted_rv and wanted_rv != existing["metadata"]["resourceVersion"]:
            raise errors.conflict(res.plural, name, res.group)
        return self._admit_and_store(
            res, namespace, body, existing, manager=manager, operation=operation, dry_run=dry_run
        )

    def apply(
        self,
        res: ServedResource,
        namespace: str,
        name: str,
        body: Obj,
        *,
        manager: str,
        force: bool,
        dry_run: bool,
    ) -> tuple[Obj, bool]:
        """Server-side apply of the configuration `body` by `manager`: merged into the live
        object by field ownership (`ssa.server_side_apply`; `ApplyConflict` unless `force`),
        then admitted like any write. Returns (object, created)."""
        self._writable(res)
        existing = self.cluster.store.get(res.kind, namespace, name)
        if existing is None and res.namespaced:
            self._namespace_open(res, namespace)
        merged = server_side_apply(
            deep_copy(existing) if existing is not None else None,
            body,
            manager=manager,
            force=force,
            now=self.cluster.store.now(),
        )
        managed = list((merged.get("metadata") or {}).get("managedFields") or [])
        obj = self._admit_and_store(
            res,
            namespace,
            merged,
            existing,
            manager=manager,
            operation="Apply",
            dry_run=dry_run,
            managed=managed,
        )
        return obj, existing is None

    def write_status(
        self,
        res: ServedResource,
        namespace: str,
        name: str,
        status: Any,
        *,
        manager: str,
        dry_run: bool,
    ) -> Obj:
        """PUT/PATCH of the status subresource: only `status` changes."""
        existing = self.cluster.store.get(res.kind, namespace, name)
        if existing is None:
            raise errors.not_found(res.plural, name, res.group)
        new = {**existing, "status": deep_copy(status)}
        if dry_run:
            return deep_copy(new)
        store = self.cluster.store
        store.tick()
        new["metadata"] = {**existing["metadata"]}
        store.put(new)
        self.cluster.controllers.run()
        return self.get(res, namespace, name)

    def _writable(self, res: ServedResource) -> None:
        if not res.writable:
            raise ApiError(
                405,
                "MethodNotAllowed",
                f"{res.plural} are managed by the simulated cluster itself and cannot be "
                "changed here",
            )

    # -- deleting ---------------------------------------------------------------------------

    def delete(
        self,
        res: ServedResource,
        namespace: str,
        name: str,
        *,
        grace: int | None,
        dry_run: bool,
    ) -> Obj:
        """DELETE: Pods and Namespaces terminate gracefully; the rest go at once (with their
        dependents, as the garbage collector does). Returns the object or a Status."""
        self._writable(res)
        store = self.cluster.store
        existing = store.get(res.kind, namespace, name)
        if existing is None:
            raise errors.not_found(res.plural, name, res.group)
        if res.kind == "Namespace" and name in SYSTEM_NAMESPACES:
            raise ApiError(
                403,
                "Forbidden",
                f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                details={"name": name, "kind": "namespaces"},
            )
        if dry_run:
            return deep_copy(existing)
        if res.kind == "Pod" and grace != 0:
            return self._terminate_pod(existing, 30 if grace is None else grace)
        if res.kind == "Namespace":
            return self._terminate_namespace(existing)
        store.tick()
        self.cluster.delete(res.kind, name, namespace or None)
        return _success(res, existing)

    def _terminate_pod(self, pod: Obj, grace: int) -> Obj:
        meta = pod["metadata"]
        if meta.get("deletionTimestamp"):
            return deep_copy(pod)
        store = self.cluster.store
        store.tick()
        when = _later(store.now(), grace)
        new = {
            **pod,
            "metadata": {**meta, "deletionTimestamp": when, "deletionGracePeriodSeconds": grace},
        }
        store.put(new)
        self.cluster.controllers.run()
        namespace, name, uid = meta["namespace"], meta["name"], meta["uid"]

        def finish() -> None:
            current = store.get("Pod", namespace, name)
            if current is not None and current["metadata"]["uid"] == uid:
                store.tick()
                self.cluster.delete("Pod", name, namespace)

        self.schedule(min(float(grace), POD_TERMINATION_SECONDS), finish)
        return deep_copy(new)

    def _terminate_namespace(self, ns: Obj) -> Obj:
        meta = ns["metadata"]
        store = self.cluster.store
        if (ns.get("status") or {}).get("phase") != "Terminating":
            store.tick()
            ns = {
                **ns,
                "metadata": {**meta, "deletionTimestamp": store.now()},
                "status": {**(ns.get("status") or {}), "phase": "Terminating"},
            }
            store.put(ns)
            name, uid = meta["name"], meta["uid"]

            def finish() -> None:
                current = store.get("Namespace", "", name)
                if current is not None and current["metadata"]["uid"] == uid:
                    store.tick()
                    self.cluster.delete_namespace(name)

            self.schedule(NAMESPACE_TERMINATION_SECONDS, finish)
        return deep_copy(ns)

    def delete_collection(
        self,
        res: ServedResource,
        namespace: str | None,
        keep: Callable[[Obj], bool] | None,
        *,
        grace: int | None,
        dry_run: bool,
    ) -> builtins.list[Obj]:
        """DELETE on a collection: every matching object, as one delete each."""
        items, _ = self.list(res, namespace, keep)
        deleted = []
        for item in items:
            meta = item["metadata"]
            try:
                self.delete(
                    res, meta.get("namespace", ""), meta["name"], grace=grace, dry_run=dry_run
                )
            except ApiError as error:
                if error.code != 404:
                    raise
            deleted.append(item)
        return deleted


def _comparable(obj: Obj) -> Obj:
    meta = dict(obj.get("metadata") or {})
    for key in ("resourceVersion", "generation", "uid", "creationTimestamp"):
        meta.pop(key, None)
    meta["managedFields"] = [
        {k: v for k, v in entry.items() if k != "time"} for entry in meta.get("managedFields") or []
    ]
    return {**obj, "metadata": meta}


def _same(existing: Obj, new: Obj) -> bool:
    """True when `new` would store nothing different from `existing`."""
    return _comparable(existing) == _comparable(new)


def _success(res: ServedResource, obj: Obj) -> Obj:
    meta = obj["metadata"]
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {
            "name": meta["name"],
            **({"group": res.group} if res.group else {}),
            "kind": res.plural,
            "uid": meta.get("uid", ""),
        },
    }


def _later(timestamp: str, seconds: int) -> str:
    from datetime import datetime, timedelta

    moment = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
