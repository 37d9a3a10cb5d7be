"""`Admission.admit`: one manifest in, the object to store out, dispatched to each kind's handler."""

from __future__ import annotations

from collections.abc import Callable

from tutor.cluster.base import (
    FIELD_MANAGER,
    ConflictError,
    FieldProblem,
    InvalidObjectError,
    NotFoundError,
)
from tutor.cluster.sim.admission.allocations import Allocations
from tutor.cluster.sim.admission.common import (
    _NO_GENERATION,
    _NO_SPEC,
    API_VERSIONS,
    Admitted,
    Obj,
    Problems,
    _check_dns_label,
    _check_dns_subdomain,
    _check_labels,
    _fmt,
    invalid_error,
)
from tutor.cluster.sim.admission.core import CoreAdmission
from tutor.cluster.sim.admission.crd_defaults import apply_crd_defaults
from tutor.cluster.sim.admission.endpointslices import EndpointSliceAdmission
from tutor.cluster.sim.admission.gateway import GatewayAdmission
from tutor.cluster.sim.admission.ingress import IngressAdmission
from tutor.cluster.sim.admission.services import ServiceAdmission
from tutor.cluster.sim.admission.workloads import WorkloadAdmission
from tutor.cluster.sim.endpoints_mirror import admit_endpoints
from tutor.cluster.sim.netpol import admit_networkpolicy
from tutor.cluster.sim.rbac_objects import admit_binding, admit_role
from tutor.cluster.sim.store import deep_copy, is_cluster_scoped


class Admission(
    ServiceAdmission,
    WorkloadAdmission,
    CoreAdmission,
    EndpointSliceAdmission,
    IngressAdmission,
    GatewayAdmission,
):
    """Defaults, allocates and validates manifests against the current store."""

    def admit(
        self,
        manifest: Obj,
        namespace: str,
        alloc: Allocations,
        new_namespaces: set[str],
    ) -> Admitted:
        """Admit one manifest into `namespace` (unless it names its own, or is
        cluster-scoped). Raises `InvalidObjectError`, `ConflictError` or `NotFoundError`."""
        if not isinstance(manifest, dict):
            raise InvalidObjectError(
                "object is not a mapping", [FieldProblem("", "Invalid value: not an object")]
            )
        kind = manifest.get("kind")
        api_version = manifest.get("apiVersion")
        if not isinstance(kind, str) or not kind:
            raise InvalidObjectError(
                "Object 'Kind' is missing in the manifest", [FieldProblem("kind", "Required value")]
            )
        if kind not in API_VERSIONS:
            supported = ", ".join(sorted(API_VERSIONS))
            raise InvalidObjectError(
                f'no matches for kind "{kind}" in version "{api_version}"',
                [FieldProblem("kind", f"Unsupported value: {_fmt(kind)}")],
                hint=f"The simulated cluster knows these kinds: {supported}.",
            )
        if api_version not in API_VERSIONS[kind]:
            raise InvalidObjectError(
                f'no matches for kind "{kind}" in version "{api_version}"',
                [
                    FieldProblem(
                        "apiVersion",
                        f"Unsupported value: {_fmt(api_version)}: supported values: "
                        + ", ".join(_fmt(v) for v in API_VERSIONS[kind]),
                    )
                ],
                hint=f"Use apiVersion {API_VERSIONS[kind][0]} for {kind}.",
            )
        manifest = deep_copy(manifest)
        meta = manifest.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise invalid_error(kind, "", [FieldProblem("metadata", "Invalid value: not a map")])
        for server_field in ("resourceVersion", "uid", "creationTimestamp", "managedFields"):
            meta.pop(server_field, None)
        name = meta.get("name")
        problems = Problems()
        if not name:
            problems.required("metadata.name", "name or generateName is required")
            raise invalid_error(kind, "", problems.items)
        if is_cluster_scoped(kind):
            meta.pop("namespace", None)
            ns = ""
        else:
            ns = meta.get("namespace") or namespace
            meta["namespace"] = ns
            if self.store.get("Namespace", "", ns) is None and ns not in new_namespaces:
                raise NotFoundError(
                    f'namespaces "{ns}" not found',
                    hint=f"Create the namespace {ns} first (or apply it in the same batch).",
                )
        if kind in ("Service", "Namespace"):
            _check_dns_label(problems, "metadata.name", name)
        else:
            _check_dns_subdomain(problems, "metadata.name", name)
        _check_labels(problems, "metadata.labels", meta.get("labels"))
        key = (kind, ns, str(name))
        existing = self.store.get(kind, ns, str(name))
        if existing is not None:
            self._check_ownership(kind, existing, manifest)
        previous = self.applied.get(key)
        if existing is not None and previous is not None and previous == manifest:
            return Admitted(existing, existing, "unchanged", manifest)
        obj = deep_copy(manifest)
        if kind not in _NO_SPEC:
            obj.setdefault("spec", {})
        apply_crd_defaults(obj)
        handler = _HANDLERS.get(kind)
        if handler is not None:
            handler(self, obj, existing, problems, alloc)
        if problems:
            raise invalid_error(kind, str(name), problems.items)
        meta = obj["metadata"]
        if existing is not None:
            old_meta = existing["metadata"]
            generation = old_meta.get("generation", 1)
            if existing.get("spec") != obj.get("spec"):
                generation += 1
            if "generation" in old_meta or kind not in _NO_GENERATION:
                meta["generation"] = generation
            if "status" in existing and "status" not in manifest:
                obj["status"] = existing["status"]
        elif kind not in _NO_GENERATION:
            meta["generation"] = 1
        meta["managedFields"] = [{"manager": FIELD_MANAGER, "operation": "Apply"}]
        if existing is None:
            return Admitted(obj, existing, "created", manifest)
        return Admitted(obj, existing, "configured", manifest)

    def _check_ownership(self, kind: str, existing: Obj, manifest: Obj) -> None:
        managers = [m.get("manager") for m in existing["metadata"].get("managedFields") or []]
        if managers and FIELD_MANAGER not in managers:
            owner = managers[0]
            name = existing["metadata"]["name"]
            raise ConflictError(
                f'Apply failed with 1 conflict: conflict with "{owner}": {kind} "{name}" is '
                f"managed by {owner}",
                hint=(
                    f"{kind} {name} was made by a controller, not by you: change the object "
                    "that owns it instead (or delete it and let the controller recreate it)."
                ),
            )


_HANDLERS: dict[str, Callable[[Admission, Obj, Obj | None, Problems, Allocations], None]] = {
    "Service": Admission.service,
    "Namespace": Admission.namespace,
    "Deployment": Admission.deployment,
    "ReplicaSet": Admission.replicaset,
    "StatefulSet": Admission.statefulset,
    "DaemonSet": Admission.daemonset,
    "Pod": Admission.pod,
    "ConfigMap": Admission.configmap,
    "Secret": Admission.configmap,
    "EndpointSlice": Admission.endpointslice,
    "Endpoints": admit_endpoints,
    "Ingress": Admission.ingress,
    "IngressClass": Admission.ingressclass,
    "NetworkPolicy": admit_networkpolicy,
    "GatewayClass": Admission.gatewayclass,
    "Gateway": Admission.gateway,
    "HTTPRoute": Admission.httproute,
    "ReferenceGrant": Admission.referencegrant,
    "Role": admit_role,
    "ClusterRole": admit_role,
    "RoleBinding": admit_binding,
    "ClusterRoleBinding": admit_binding,
}
