"""Admission of the core/v1 kinds with little to check: Namespaces, ConfigMaps and Secrets."""

from __future__ import annotations

from tutor.cluster.sim.admission.allocations import Allocations
from tutor.cluster.sim.admission.common import AdmissionBase, Obj, Problems
from tutor.cluster.sim.tls import TLS_SECRET_KEYS


class CoreAdmission(AdmissionBase):
    """Admits Namespaces, ConfigMaps and Secrets."""

    def namespace(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """Namespace defaults: the immutable `kubernetes.io/metadata.name` label."""
        labels = obj["metadata"].setdefault("labels", {})
        labels["kubernetes.io/metadata.name"] = obj["metadata"]["name"]
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj["status"] = {"phase": "Active"}

    def configmap(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """ConfigMap/Secret: data must be a map of strings."""
        for f in ("data", "binaryData", "stringData"):
            value = obj.get(f)
            if value is not None and not isinstance(value, dict):
                problems.invalid(f, value, "must be a map of strings")
        _refuse_undecodable(obj)
        if obj["kind"] == "Secret":
            obj.setdefault("type", "Opaque")
            string_data = obj.pop("stringData", None)
            if isinstance(string_data, dict):
                import base64

                data = obj.setdefault("data", {})
                for k, v in string_data.items():
                    data[k] = base64.b64encode(str(v).encode()).decode()
            if obj["type"] == "kubernetes.io/tls":
                # pkg/apis/core/validation ValidateSecret: SecretTypeTLS needs both keys
                for key in TLS_SECRET_KEYS:
                    if key not in (obj.get("data") or {}):
                        problems.required(f"data[{key}]")


def _refuse_undecodable(obj: Obj) -> None:
    """A Secret `data` or ConfigMap `binaryData` value that is not base64 stops the API
    server's decoder before any validation (`[]byte` in the Go types): the whole object is
    refused, as kube-apiserver does."""
    from tutor.cluster.kube_errors import undecodable_error
    from tutor.cluster.sim.gobase64 import illegal_base64

    field = "data" if obj["kind"] == "Secret" else "binaryData"
    values = obj.get(field)
    for value in values.values() if isinstance(values, dict) else ():
        refusal = illegal_base64(value) if isinstance(value, str) else None
        if refusal is not None:
            meta = obj.get("metadata") or {}
            raise undecodable_error(obj["kind"], meta.get("name"), refusal)
