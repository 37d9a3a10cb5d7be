"""Ingress and IngressClass admission."""

from __future__ import annotations

import ipaddress

from tutor.cluster.sim.admission.allocations import Allocations
from tutor.cluster.sim.admission.common import (
    _DNS_SUBDOMAIN,
    _WILDCARD_HOST,
    DNS_SUBDOMAIN_MSG,
    AdmissionBase,
    Obj,
    Problems,
    _check_port_number,
)


class IngressAdmission(AdmissionBase):
    """Admits Ingresses and IngressClasses."""

    def ingress(self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations) -> None:
        """Ingress defaults (the default IngressClass) and validation."""
        spec = obj["spec"]
        if not spec.get("ingressClassName"):
            previous = ((old or {}).get("spec") or {}).get("ingressClassName")
            annotations = obj["metadata"].get("annotations") or {}
            if previous:
                spec["ingressClassName"] = previous
            elif old is None and "kubernetes.io/ingress.class" not in annotations:
                defaults = [
                    c["metadata"]["name"]
                    for c in self.store.list("IngressClass")
                    if (c["metadata"].get("annotations") or {}).get(
                        "ingressclass.kubernetes.io/is-default-class"
                    )
                    == "true"
                ]
                if len(defaults) == 1:
                    spec["ingressClassName"] = defaults[0]
        if not spec.get("rules") and not spec.get("defaultBackend"):
            problems.invalid("spec", "", "either `defaultBackend` or `rules` must be specified")
        if spec.get("defaultBackend"):
            _ingress_backend(problems, "spec.defaultBackend", spec["defaultBackend"])
        for i, rule in enumerate(spec.get("rules") or []):
            path = f"spec.rules[{i}]"
            host = rule.get("host")
            if host:
                try:
                    ipaddress.ip_address(host)
                    problems.invalid(f"{path}.host", host, "must be a DNS name, not an IP address")
                except ValueError:
                    if host.startswith("*"):
                        if not _WILDCARD_HOST.match(host):
                            problems.invalid(
                                f"{path}.host",
                                host,
                                "a wildcard DNS-1123 subdomain must start with '*.', followed by "
                                "a valid DNS subdomain",
                            )
                    elif not _DNS_SUBDOMAIN.match(host):
                        problems.invalid(f"{path}.host", host, DNS_SUBDOMAIN_MSG)
            http = rule.get("http")
            if http is None:
                continue
            paths = http.get("paths") or []
            if not paths:
                problems.required(f"{path}.http.paths")
            for j, item in enumerate(paths):
                ppath = f"{path}.http.paths[{j}]"
                path_type = item.get("pathType")
                if not path_type:
                    problems.required(f"{ppath}.pathType", "pathType must be specified")
                elif path_type not in ("Exact", "Prefix", "ImplementationSpecific"):
                    problems.unsupported(
                        f"{ppath}.pathType",
                        path_type,
                        ["Exact", "ImplementationSpecific", "Prefix"],
                    )
                value = item.get("path")
                if path_type in ("Exact", "Prefix") and (
                    not value or not str(value).startswith("/")
                ):
                    problems.invalid(f"{ppath}.path", value, "must be an absolute path")
                backend = item.get("backend")
                if not isinstance(backend, dict):
                    problems.required(f"{ppath}.backend")
                else:
                    _ingress_backend(problems, f"{ppath}.backend", backend)

    def ingressclass(
        self, obj: Obj, old: Obj | None, problems: Problems, alloc: Allocations
    ) -> None:
        """IngressClass: a controller is required and cannot change."""
        controller = obj["spec"].get("controller")
        if not controller:
            problems.required("spec.controller")
        elif old is not None and old["spec"].get("controller") != controller:
            problems.invalid("spec.controller", controller, "field is immutable")


def _ingress_backend(problems: Problems, path: str, backend: Obj) -> None:
    service = backend.get("service")
    resource = backend.get("resource")
    if service and resource:
        problems.invalid(path, "", "cannot set both service and resource backends")
        return
    if not service and not resource:
        problems.invalid(path, "", "one backend (service or resource) must be specified")
        return
    if service:
        if not service.get("name"):
            problems.required(f"{path}.service.name")
        port = service.get("port") or {}
        has_number = port.get("number") is not None
        has_name = bool(port.get("name"))
        if has_number == has_name:
            problems.invalid(
                f"{path}.service.port", port, "exactly one of `name` or `number` must be specified"
            )
        elif has_number:
            _check_port_number(problems, f"{path}.service.port.number", port["number"])
