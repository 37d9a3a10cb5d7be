"""The API server's Service update strategy and the Service rules admission borrows from it.

Sources (Kubernetes v1.37.2):

- `pkg/registry/core/service/strategy.go` `dropTypeDependentFields`: on update, a field that
  only makes sense for the old type is wiped when the new type does not use it and the writer
  left it as it was (a changed value goes on to validation, which refuses it).
- `pkg/apis/core/validation/validation.go`: `ValidateService` (headless NodePort and
  LoadBalancer Services, duplicate nodePorts per protocol), `validateUpgradeDowngradeClusterIPs`
  (`spec.clusterIPs[0]: may not change once set`), `validateLoadBalancerClassField`,
  `ValidatePortNumOrName` with apimachinery's `IsValidPortName`.
- `pkg/registry/core/service/storage/alloc.go` `initNodePorts`: ports with the same `port`
  number (53/TCP and 53/UDP) share one nodePort.
"""

from __future__ import annotations

import re
from typing import Any

Obj = dict[str, Any]

_PORT_NAME_CHARSET = re.compile(r"^[-a-z0-9]+$")
_PORT_NAME_LETTER = re.compile(r"[a-z]")


def _needs_cluster_ip(spec: Obj) -> bool:
    return spec.get("type") != "ExternalName"


def _needs_node_port(spec: Obj) -> bool:
    return spec.get("type") in ("NodePort", "LoadBalancer")


def _needs_hc_node_port(spec: Obj) -> bool:
    return spec.get("type") == "LoadBalancer" and spec.get("externalTrafficPolicy") == "Local"


def _externally_accessible(spec: Obj) -> bool:
    # pkg/api/service/util.go ExternallyAccessible
    return spec.get("type") in ("NodePort", "LoadBalancer") or bool(spec.get("externalIPs"))


def _node_ports(spec: Obj) -> set[int]:
    found = set()
    for port in spec.get("ports") or []:
        if isinstance(port, dict) and port.get("nodePort"):
            found.add(port["nodePort"])
    return found


def drop_type_dependent_fields(spec: Obj, old_spec: Obj, status: Obj | None = None) -> None:
    """Wipe, in place, what the new type no longer uses and the writer did not change, as
    `dropTypeDependentFields` does on every Service update. `status` (the new object's) loses
    its load-balancer ingress when the Service is no LoadBalancer any more."""
    if _needs_cluster_ip(old_spec) and not _needs_cluster_ip(spec):
        if spec.get("clusterIP") == old_spec.get("clusterIP") and spec.get(
            "clusterIPs"
        ) == old_spec.get("clusterIPs"):
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        if spec.get("ipFamilies") == old_spec.get("ipFamilies"):
            spec.pop("ipFamilies", None)
        if spec.get("ipFamilyPolicy") == old_spec.get("ipFamilyPolicy"):
            spec.pop("ipFamilyPolicy", None)
    # sameNodePorts: the old set is a superset of the new one (nothing net-new was asked for)
    if (
        _needs_node_port(old_spec)
        and not _needs_node_port(spec)
        and _node_ports(old_spec) >= _node_ports(spec)
    ):
        for port in spec.get("ports") or []:
            if isinstance(port, dict):
                port.pop("nodePort", None)
    if (
        _needs_hc_node_port(old_spec)
        and not _needs_hc_node_port(spec)
        and spec.get("healthCheckNodePort") == old_spec.get("healthCheckNodePort")
    ):
        spec.pop("healthCheckNodePort", None)
    old_lb = old_spec.get("type") == "LoadBalancer"
    new_lb = spec.get("type") == "LoadBalancer"
    if old_lb and not new_lb:
        alloc = spec.get("allocateLoadBalancerNodePorts")
        if alloc is not None and alloc == old_spec.get("allocateLoadBalancerNodePorts"):
            spec.pop("allocateLoadBalancerNodePorts", None)
        if spec.get("loadBalancerClass") == old_spec.get("loadBalancerClass"):
            spec.pop("loadBalancerClass", None)
    if (
        _externally_accessible(old_spec)
        and not _externally_accessible(spec)
        and spec.get("externalTrafficPolicy") == old_spec.get("externalTrafficPolicy")
    ):
        spec.pop("externalTrafficPolicy", None)
    if status is not None and not new_lb:
        status["loadBalancer"] = {}


def port_name_errors(name: str) -> list[str]:
    """apimachinery `IsValidPortName`: what is wrong with a port name, in its words (a string
    of digits such as `"8080"` is a name, and no valid one)."""
    errors = []
    if len(name) > 15:
        errors.append("must be no more than 15 characters")
    if not _PORT_NAME_CHARSET.match(name):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not _PORT_NAME_LETTER.search(name):
        errors.append("must contain at least one letter (a-z)")
    if "--" in name:
        errors.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errors.append("must not begin or end with a hyphen")
    return errors


def cluster_ips_change(spec: Obj, old_spec: Obj) -> list[str] | None:
    """The new `clusterIPs` when they differ from the old primary one (the update is refused
    with `spec.clusterIPs[0]: Invalid value: [...]: may not change once set`), else None.

    Kubernetes first normalises: a changed `clusterIP` with untouched `clusterIPs` becomes
    `clusterIPs: [clusterIP]` (storage `normalizeClusterIPs`); an empty one keeps the old."""
    if spec.get("type") == "ExternalName" or old_spec.get("type") == "ExternalName":
        return None
    old_ips = old_spec.get("clusterIPs") or (
        [old_spec["clusterIP"]] if old_spec.get("clusterIP") else []
    )
    if not old_ips:
        return None
    ip = spec.get("clusterIP")
    ips = spec.get("clusterIPs")
    if not ip and not ips:
        return None
    if ip and ip != old_spec.get("clusterIP") and (not ips or ips == old_ips):
        ips = [ip]
    if not ips:
        ips = [ip]
    if old_ips == ["None"] and ips == ["None"]:
        return None
    if list(ips)[:1] != old_ips[:1]:
        return list(ips)
    return None
