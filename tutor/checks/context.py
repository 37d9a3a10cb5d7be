"""What a check round sees: a cached view of the cluster, the lab's namespaces, probes.

One `CheckContext` lives for one round of checks, so that ten checks reading the same
Service cost one API call, and the same probe is sent once.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tutor.cluster.base import Cluster, Obj, ProbeRequest, ProbeResult, matches_selector


class Unresolved(Exception):
    """A placeholder cannot be filled yet (e.g. no LoadBalancer IP assigned so far)."""


@dataclass
class CheckContext:
    """The cluster as one check round sees it."""

    cluster: Cluster
    namespace: str
    """The lab's main namespace."""
    namespaces: Mapping[str, str] = field(default_factory=dict)
    """Logical namespace names used in lab.yaml and manifests -> real namespace names."""
    manifests: Sequence[Obj] = ()
    """The learner's workspace objects as last applied (for diagnosers that look at intent)."""
    _gets: dict[tuple[str, str, str | None], Obj | None] = field(default_factory=dict)
    _lists: dict[tuple[str, str | None], builtins.list[Obj]] = field(default_factory=dict)
    _probes: dict[tuple[object, ...], ProbeResult] = field(default_factory=dict)

    # -- namespaces ---------------------------------------------------------------------

    def ns(self, logical: str | None = None) -> str:
        """The real namespace for a logical name (None: the lab's main namespace)."""
        if logical is None:
            return self.namespace
        return self.namespaces.get(logical, logical)

    # -- cached reads -------------------------------------------------------------------

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        """One object (cached for the round)."""
        key = (kind, name, namespace)
        if key not in self._gets:
            self._gets[key] = self.cluster.get(kind, name, namespace)
        return self._gets[key]

    def list(
        self, kind: str, namespace: str | None = None, selector: Mapping[str, str] | None = None
    ) -> builtins.list[Obj]:
        """Objects of a kind (cached for the round), filtered by a label selector."""
        key = (kind, namespace)
        if key not in self._lists:
            self._lists[key] = self.cluster.list(kind, namespace)
        items = self._lists[key]
        if not selector:
            return items
        return [o for o in items if matches_selector(o.get("metadata", {}).get("labels"), selector)]

    def probe(self, request: ProbeRequest) -> ProbeResult:
        """Send a probe once per round; later checks asking the same get the same result."""
        key = (
            request.protocol,
            request.target,
            request.namespace,
            request.source,
            tuple(sorted(request.headers.items())),
            request.record_type,
            request.count,
            request.timeout,
        )
        if key not in self._probes:
            self._probes[key] = self.cluster.probe(request)
        return self._probes[key]

    # -- helpers checks share -----------------------------------------------------------

    def pods_for(self, service: Obj) -> builtins.list[Obj]:
        """Pods in the Service's namespace whose labels match its selector."""
        selector = service.get("spec", {}).get("selector") or {}
        if not selector:
            return []
        namespace = service.get("metadata", {}).get("namespace")
        return self.list("Pod", namespace, selector)

    def slices_for(self, service_name: str, namespace: str) -> builtins.list[Obj]:
        """EndpointSlices of a Service (by the `kubernetes.io/service-name` label)."""
        return self.list("EndpointSlice", namespace, {"kubernetes.io/service-name": service_name})

    def expand(self, text: str) -> str:
        """Fill `{ns}`, `{ns:NAME}`, `{node_ip}`, `{node_ip:NODE}`, `{lb_ip:SERVICE}`,
        `{ingress_ip:NAME}`, `{gateway_ip:NAME}`, `{cluster_ip:SERVICE}`, `{pod_ip:POD}`,
        `{node_port:SERVICE}` and `{node_port:SERVICE:PORTNAME}` in a check parameter.

        Raises `Unresolved` when a value does not exist yet (the check is then pending).
        """
        return _PLACEHOLDER.sub(lambda m: self._fill(m.group(1), m.group(2)), text)

    def _fill(self, what: str, arg: str | None) -> str:
        namespace = self.namespace
        if arg and "/" in arg:
            logical, arg = arg.split("/", 1)
            namespace = self.ns(logical)
        if what == "ns":
            return self.ns(arg)
        if what == "node_ip":
            return node_ip(self.list("Node"), arg)
        if what == "pod_ip":
            pod = self.get("Pod", arg or "", namespace)
            ip = (pod or {}).get("status", {}).get("podIP")
            if not ip:
                raise Unresolved(f"Pod {arg!r} has no IP yet")
            return str(ip)
        if what in {"cluster_ip", "node_port", "lb_ip"}:
            name, _, port_name = (arg or "").partition(":")
            service = self.get("Service", name, namespace)
            if service is None:
                raise Unresolved(f"Service {name!r} does not exist yet")
            return _service_value(service, what, port_name)
        if what in {"ingress_ip", "gateway_ip"}:
            kind = "Ingress" if what == "ingress_ip" else "Gateway"
            obj = self.get(kind, arg or "", namespace)
            address = _status_address(obj, kind)
            if address is None:
                raise Unresolved(f"{kind} {arg!r} has no address yet")
            return address
        raise Unresolved(f"unknown placeholder {what!r}")


_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?::([^{}]+))?\}")
PLACEHOLDERS = (
    "ns",
    "node_ip",
    "pod_ip",
    "cluster_ip",
    "node_port",
    "lb_ip",
    "ingress_ip",
    "gateway_ip",
)


def node_ip(nodes: list[Obj], name: str | None) -> str:
    """InternalIP of a node (by name), or of the first worker node."""
    chosen = None
    for node in sorted(nodes, key=lambda n: n["metadata"]["name"]):
        labels = node["metadata"].get("labels", {})
        if name is not None and node["metadata"]["name"] == name:
            chosen = node
            break
        if name is None and "node-role.kubernetes.io/control-plane" not in labels:
            chosen = node
            break
    if chosen is None:
        raise Unresolved(f"no node {name or '(worker)'} found")
    for address in chosen.get("status", {}).get("addresses", []):
        if address.get("type") == "InternalIP":
            return str(address["address"])
    raise Unresolved(f"node {chosen['metadata']['name']} has no InternalIP")


def _service_value(service: Obj, what: str, port_name: str) -> str:
    spec = service.get("spec", {})
    if what == "cluster_ip":
        ip = spec.get("clusterIP")
        if not ip or ip == "None":
            raise Unresolved("the Service has no cluster IP")
        return str(ip)
    if what == "lb_ip":
        ingress = service.get("status", {}).get("loadBalancer", {}).get("ingress") or []
        for entry in ingress:
            if entry.get("ip") or entry.get("hostname"):
                return str(entry.get("ip") or entry.get("hostname"))
        raise Unresolved("the LoadBalancer has no external address yet")
    ports: list[dict[str, Any]] = spec.get("ports") or []
    for port in ports:
        if (not port_name or port.get("name") == port_name) and port.get("nodePort"):
            return str(port["nodePort"])
    raise Unresolved("the Service has no nodePort")


def _status_address(obj: Obj | None, kind: str) -> str | None:
    if obj is None:
        return None
    status = obj.get("status", {})
    if kind == "Ingress":
        for entry in status.get("loadBalancer", {}).get("ingress") or []:
            if entry.get("ip") or entry.get("hostname"):
                return str(entry.get("ip") or entry.get("hostname"))
        return None
    for entry in status.get("addresses") or []:
        if entry.get("value"):
            return str(entry["value"])
    return None
