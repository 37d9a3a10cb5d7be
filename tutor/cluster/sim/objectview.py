"""A read-only view over a cluster's objects: accessors, the built-in Services, node and Pod addresses."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any, Literal

from tutor.cluster.base import Obj, ObjectSource

CLUSTER_DOMAIN = "cluster.local"
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
KUBERNETES_SERVICE_IP = "10.96.0.1"
DNS_SERVICE_IP = "10.96.0.10"
NDOTS = 5
MAX_CNAME_DEPTH = 8
PUBLIC_TLDS = frozenset(
    [
        "com",
        "net",
        "org",
        "io",
        "dev",
        "app",
        "co",
        "ai",
        "cloud",
        "info",
        "biz",
        "me",
        "sh",
        "xyz",
        "edu",
        "gov",
        "uk",
        "de",
        "fr",
        "nl",
        "eu",
        "example",
        "test",
        "invalid",
        "internal",
    ]
)
"""Top-level domains the model treats as real outside names (the rest are typos: NXDOMAIN)."""

Rcode = Literal["NOERROR", "NXDOMAIN", "SERVFAIL"]
Upstream = Callable[[str, str], list[str]]
"""Resolver for names outside the cluster: (name, qtype) -> values; empty means none."""


# -- object helpers shared with the data plane -----------------------------------------------


def meta(obj: Obj) -> dict[str, Any]:
    """`metadata` of an object (empty dict when absent)."""
    value = obj.get("metadata")
    return value if isinstance(value, dict) else {}


def spec(obj: Obj) -> dict[str, Any]:
    """`spec` of an object (empty dict when absent)."""
    value = obj.get("spec")
    return value if isinstance(value, dict) else {}


def status(obj: Obj) -> dict[str, Any]:
    """`status` of an object (empty dict when absent)."""
    value = obj.get("status")
    return value if isinstance(value, dict) else {}


def name_of(obj: Obj) -> str:
    """`metadata.name`."""
    return str(meta(obj).get("name", ""))


def ns_of(obj: Obj) -> str:
    """`metadata.namespace` (empty for cluster-scoped objects)."""
    return str(meta(obj).get("namespace") or "")


def is_headless(service: Obj) -> bool:
    """True for `clusterIP: None`."""
    return spec(service).get("clusterIP") == "None"


def service_type(service: Obj) -> str:
    """`spec.type`, defaulting to ClusterIP."""
    return str(spec(service).get("type") or "ClusterIP")


def cluster_ips(service: Obj) -> list[str]:
    """The allocated ClusterIPs (both families when dual-stack), none for headless."""
    sp = spec(service)
    ips = [str(ip) for ip in sp.get("clusterIPs") or [] if ip and ip != "None"]
    first = sp.get("clusterIP")
    if not ips and first and first != "None":
        ips = [str(first)]
    return ips


def family(ip: str) -> str:
    """`IPv4` or `IPv6` for an address."""
    return "IPv6" if ":" in ip else "IPv4"


def is_ip(text: str) -> bool:
    """True when `text` is a literal IPv4 or IPv6 address."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def cond_ready(endpoint: Mapping[str, Any]) -> bool:
    """EndpointSlice `conditions.ready` (nil means true)."""
    return (endpoint.get("conditions") or {}).get("ready") is not False


def cond_serving(endpoint: Mapping[str, Any]) -> bool:
    """`conditions.serving` (nil means the same as ready)."""
    value = (endpoint.get("conditions") or {}).get("serving")
    return cond_ready(endpoint) if value is None else value is True


def cond_terminating(endpoint: Mapping[str, Any]) -> bool:
    """`conditions.terminating` (nil means false)."""
    return (endpoint.get("conditions") or {}).get("terminating") is True


def _kubernetes_service() -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kubernetes",
            "namespace": "default",
            "labels": {"component": "apiserver", "provider": "kubernetes"},
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": KUBERNETES_SERVICE_IP,
            "clusterIPs": [KUBERNETES_SERVICE_IP],
            "ipFamilies": ["IPv4"],
            "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
            "sessionAffinity": "None",
        },
    }


def _kube_dns_service() -> Obj:
    ports = [
        {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
        {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
        {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153},
    ]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "kube-dns",
            "namespace": "kube-system",
            "labels": {"k8s-app": "kube-dns"},
        },
        "spec": {
            "type": "ClusterIP",
            "clusterIP": DNS_SERVICE_IP,
            "clusterIPs": [DNS_SERVICE_IP],
            "ipFamilies": ["IPv4"],
            "selector": {"k8s-app": "kube-dns"},
            "ports": ports,
            "sessionAffinity": "None",
        },
    }


BUILTIN_SERVICES: dict[tuple[str, str], Callable[[], Obj]] = {
    ("default", "kubernetes"): _kubernetes_service,
    ("kube-system", "kube-dns"): _kube_dns_service,
}
"""Services every cluster has; synthesised when a source (a hand-built one) lacks them."""


class Objects:
    """Memoised read access to an `ObjectSource` for the length of one question.

    Indexes are built lazily and only for what a question needs (a Service by ClusterIP, a Pod
    by IP), so a trace stays fast on big clusters; build a new one when the objects change.
    """

    def __init__(self, source: ObjectSource) -> None:
        self.source = source
        self._gets: dict[tuple[str, str, str | None], Obj | None] = {}
        self._slices: dict[tuple[str, str], list[Obj]] = {}
        self._lists: dict[tuple[str, str | None], list[Obj]] = {}
        self._ip_index: dict[str, list[tuple[str, Obj]]] | None = None
        self._pod_ips: dict[str, Obj] | None = None

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        """One object (Services in BUILTIN_SERVICES are synthesised when missing)."""
        key = (kind, name, namespace)
        if key not in self._gets:
            found = self.source.get(kind, name, namespace)
            if found is None and kind == "Service" and (namespace or "", name) in BUILTIN_SERVICES:
                found = BUILTIN_SERVICES[(namespace or "", name)]()
            self._gets[key] = found
        return self._gets[key]

    def all(self, kind: str, namespace: str | None = None) -> list[Obj]:
        """All objects of a kind (memoised)."""
        key = (kind, namespace)
        if key not in self._lists:
            self._lists[key] = list(self.source.list(kind, namespace))
        return self._lists[key]

    def services(self, namespace: str | None = None) -> list[Obj]:
        """Services, with the built-in ones added when the source lacks them."""
        found = list(self.all("Service", namespace))
        have = {(ns_of(s), name_of(s)) for s in found}
        for (ns, name), make in BUILTIN_SERVICES.items():
            if (namespace is None or namespace == ns) and (ns, name) not in have:
                found.append(make())
        return found

    def nodes(self) -> list[Obj]:
        """All Nodes, sorted by name."""
        return sorted(self.all("Node"), key=name_of)

    def node(self, name: str | None) -> Obj | None:
        """One Node by name."""
        return self.get("Node", name) if name else None

    def slices(self, service: Obj) -> list[Obj]:
        """The Service's EndpointSlices (label `kubernetes.io/service-name`), by name.

        The built-in `kubernetes` Service gets the control-plane node's address on 6443 when
        the source has no slice for it (the API server is no Pod)."""
        key = (ns_of(service), name_of(service))
        if key not in self._slices:
            found = self.source.list("EndpointSlice", key[0], {SERVICE_NAME_LABEL: key[1]})
            found = [
                s for s in found if (meta(s).get("labels") or {}).get(SERVICE_NAME_LABEL) == key[1]
            ]
            if not found and key == ("default", "kubernetes"):
                found = self._apiserver_slices()
            self._slices[key] = sorted(found, key=name_of)
        return self._slices[key]

    def _apiserver_slices(self) -> list[Obj]:
        endpoints = []
        for node in self.nodes():
            labels = meta(node).get("labels") or {}
            if "node-role.kubernetes.io/control-plane" in labels:
                ip = node_ip(node)
                if ip:
                    endpoints.append({"addresses": [ip], "conditions": {"ready": True}})
        if not endpoints:
            return []
        return [
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": "kubernetes",
                    "namespace": "default",
                    "labels": {SERVICE_NAME_LABEL: "kubernetes"},
                },
                "addressType": "IPv4",
                "endpoints": endpoints,
                "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
            }
        ]

    def owners_of_ip(self, ip: str) -> list[tuple[str, Obj]]:
        """What in the cluster answers on `ip`: (`clusterIP` | `loadBalancer` | `externalIP` |
        `node` | `gateway` | `ingress`, object) pairs, from one lazily built index."""
        if self._ip_index is None:
            index: dict[str, list[tuple[str, Obj]]] = {}
            for svc in self.services():
                for vip in cluster_ips(svc):
                    index.setdefault(vip, []).append(("clusterIP", svc))
                for lb in status(svc).get("loadBalancer", {}).get("ingress") or []:
                    if lb.get("ip"):
                        index.setdefault(str(lb["ip"]), []).append(("loadBalancer", svc))
                for ext in spec(svc).get("externalIPs") or []:
                    index.setdefault(str(ext), []).append(("externalIP", svc))
            for node in self.nodes():
                for addr in status(node).get("addresses") or []:
                    if addr.get("type") == "InternalIP" and addr.get("address"):
                        index.setdefault(str(addr["address"]), []).append(("node", node))
            for gw in self.all("Gateway"):
                for addr in status(gw).get("addresses") or []:
                    if addr.get("value"):
                        index.setdefault(str(addr["value"]), []).append(("gateway", gw))
            for ing in self.all("Ingress"):
                for lb in status(ing).get("loadBalancer", {}).get("ingress") or []:
                    if lb.get("ip"):
                        index.setdefault(str(lb["ip"]), []).append(("ingress", ing))
            self._ip_index = index
        return self._ip_index.get(ip, [])

    def pod_by_ip(self, ip: str) -> Obj | None:
        """The (non host-network) Pod with this IP, from a lazily built index."""
        if self._pod_ips is None:
            index: dict[str, Obj] = {}
            for pod in self.all("Pod"):
                if spec(pod).get("hostNetwork"):
                    continue
                st = status(pod)
                ips = [p.get("ip") for p in st.get("podIPs") or []] or [st.get("podIP")]
                for pip in ips:
                    if pip:
                        index[str(pip)] = pod
            self._pod_ips = index
        return self._pod_ips.get(ip)


def node_ip(node: Obj, fam: str = "IPv4") -> str | None:
    """The node's InternalIP of that family."""
    for addr in status(node).get("addresses") or []:
        if addr.get("type") == "InternalIP" and family(str(addr.get("address", ""))) == fam:
            return str(addr["address"])
    return None


def pod_ips(pod: Obj) -> list[str]:
    """A Pod's IPs (`status.podIPs`, else `status.podIP`)."""
    st = status(pod)
    ips = [str(p["ip"]) for p in st.get("podIPs") or [] if p.get("ip")]
    if not ips and st.get("podIP"):
        ips = [str(st["podIP"])]
    return ips
