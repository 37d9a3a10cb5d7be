"""Hand-built Kubernetes-shaped objects for the DNS, data-plane and trace tests.

Objects look like what a kind cluster (kube-tutor, 1 control plane + 3 workers, zones) and
its controllers produce: Nodes with InternalIPs 172.18.0.2-5 and Pod CIDRs, Pods with IPs
and Ready conditions, Services with allocated ClusterIPs / nodePorts / LB status, and
EndpointSlices shaped like the EndpointSlice controller writes them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from tutor.cluster.base import Obj, matches_selector

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.39"
NETEXEC = {"image": AGNHOST, "args": ["netexec", "--http-port=8080"]}
NS = "lab"

NODES = [
    ("kube-tutor-control-plane", "172.18.0.2", "10.244.0.0/24", "zone-a"),
    ("kube-tutor-worker", "172.18.0.3", "10.244.1.0/24", "zone-a"),
    ("kube-tutor-worker2", "172.18.0.4", "10.244.2.0/24", "zone-b"),
    ("kube-tutor-worker3", "172.18.0.5", "10.244.3.0/24", "zone-c"),
]
CP, W1, W2, W3 = (n[0] for n in NODES)
NODE_IP = {n[0]: n[1] for n in NODES}


class FakeSource:
    """A minimal in-memory `ObjectSource`."""

    def __init__(self, objects: Iterable[Obj] = ()) -> None:
        self.by_kind: dict[str, list[Obj]] = {}
        self.add(*objects)

    def add(self, *objects: Obj) -> FakeSource:
        """Add objects (replacing one with the same kind/namespace/name)."""
        for obj in objects:
            items = self.by_kind.setdefault(obj["kind"], [])
            key = _key(obj)
            items[:] = [o for o in items if _key(o) != key]
            items.append(obj)
        return self

    def remove(self, kind: str, name: str, namespace: str | None = None) -> None:
        """Delete one object."""
        items = self.by_kind.get(kind, [])
        items[:] = [o for o in items if _key(o) != (namespace, name)]

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        for obj in self.by_kind.get(kind, []):
            if _key(obj) == (namespace, name) or (
                obj["metadata"].get("namespace") is None and obj["metadata"]["name"] == name
            ):
                return obj
        return None

    def list(
        self,
        kind: str,
        namespace: str | None = None,
        selector: Mapping[str, str] | None = None,
    ) -> list[Obj]:
        return [
            o
            for o in self.by_kind.get(kind, [])
            if (namespace is None or o["metadata"].get("namespace") == namespace)
            and matches_selector(o["metadata"].get("labels"), selector)
        ]


def _key(obj: Obj) -> tuple[str | None, str]:
    return obj["metadata"].get("namespace"), obj["metadata"]["name"]


def nodes(zones: bool = True) -> list[Obj]:
    """The four kind nodes; the control plane carries kind's multi-node labels."""
    out = []
    for name, ip, cidr, zone in NODES:
        labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}
        if zones:
            labels["topology.kubernetes.io/zone"] = zone
        if name == CP:
            labels["node-role.kubernetes.io/control-plane"] = ""
            labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
        out.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": name, "labels": labels},
                "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
                "status": {
                    "addresses": [
                        {"type": "InternalIP", "address": ip},
                        {"type": "Hostname", "address": name},
                    ],
                    "conditions": [{"type": "Ready", "status": "True"}],
                },
            }
        )
    return out


_ip_counter = itertools.count(10)


def pod(
    name: str,
    node: str,
    *,
    ns: str = NS,
    labels: Mapping[str, str] | None = None,
    ip: str | None = None,
    ready: bool = True,
    containers: Sequence[Mapping[str, Any]] | None = None,
    hostname: str | None = None,
    subdomain: str | None = None,
    terminating: bool = False,
    host_network: bool = False,
) -> Obj:
    """A running Pod scheduled on `node` (agnhost netexec on 8080 unless told otherwise)."""
    index = [n[0] for n in NODES].index(node)
    if ip is None:
        ip = NODE_IP[node] if host_network else f"10.244.{index}.{next(_ip_counter)}"
    conts = (
        [dict(c) for c in containers]
        if containers
        else [{"name": "web", **NETEXEC, "ports": [{"name": "http", "containerPort": 8080}]}]
    )
    pod_spec: dict[str, Any] = {"nodeName": node, "containers": conts}
    if hostname:
        pod_spec["hostname"] = hostname
    if subdomain:
        pod_spec["subdomain"] = subdomain
    if host_network:
        pod_spec["hostNetwork"] = True
    meta: dict[str, Any] = {
        "name": name,
        "namespace": ns,
        "labels": dict(labels or {}),
        "uid": f"uid-{name}",
    }
    if terminating:
        meta["deletionTimestamp"] = "2026-11-27T00:00:00Z"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": pod_spec,
        "status": {
            "phase": "Running",
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "hostIP": NODE_IP[node],
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [
                {"name": c["name"], "ready": ready, "state": {"running": {}}} for c in conts
            ],
        },
    }


_vip_counter = itertools.count(20)
_nodeport_counter = itertools.count(30080)


def service(
    name: str,
    *,
    ns: str = NS,
    selector: Mapping[str, str] | None = None,
    ports: Sequence[Mapping[str, Any]] | None = None,
    type: str = "ClusterIP",
    headless: bool = False,
    cluster_ip: str | None = None,
    lb_ip: str | None = None,
    **extra: Any,
) -> Obj:
    """A Service as the API server stores it (ClusterIP, nodePorts, LB status allocated)."""
    sp: dict[str, Any] = {
        "type": type,
        "ports": [dict(p) for p in ports or [{"name": "http", "port": 80, "targetPort": 8080}]],
        "sessionAffinity": "None",
        "internalTrafficPolicy": "Cluster",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
    }
    if selector is not None:
        sp["selector"] = dict(selector)
    for p in sp["ports"]:
        p.setdefault("protocol", "TCP")
        p.setdefault("targetPort", p["port"])
    if type == "ExternalName":
        sp.pop("ipFamilies")
        sp.pop("ipFamilyPolicy")
        sp.pop("internalTrafficPolicy")
    else:
        vip = (
            "None" if headless else cluster_ip or f"10.96.{next(_vip_counter)}.{next(_vip_counter)}"
        )
        sp["clusterIP"] = vip
        sp["clusterIPs"] = [vip]
    if type in ("NodePort", "LoadBalancer"):
        sp["externalTrafficPolicy"] = "Cluster"
        for p in sp["ports"]:
            p.setdefault("nodePort", next(_nodeport_counter))
    sp.update(extra)
    if type == "LoadBalancer" and sp.get("externalTrafficPolicy") == "Local":
        sp.setdefault("healthCheckNodePort", 32000 + next(_nodeport_counter) % 700)
    obj: Obj = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": ns, "uid": f"uid-svc-{name}"},
        "spec": sp,
        "status": {"loadBalancer": {}},
    }
    if type == "LoadBalancer" and lb_ip:
        obj["status"]["loadBalancer"] = {"ingress": [{"ip": lb_ip, "ipMode": "Proxy"}]}
    return obj


def _container_port(p: Obj, target: Any, protocol: str) -> int | None:
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for c in p["spec"]["containers"]:
        for cp in c.get("ports") or []:
            if cp.get("name") == target and cp.get("protocol", "TCP") == protocol:
                return int(cp["containerPort"])
    return None


def endpoint_slices(svc: Obj, pods: Sequence[Obj], node_objs: Sequence[Obj] = ()) -> list[Obj]:
    """EndpointSlices as the EndpointSlice controller writes them for `svc` and `pods`: one
    slice per distinct resolved port set, conditions from the Pods, hints for
    trafficDistribution."""
    sp = svc["spec"]
    zones = {
        n["metadata"]["name"]: n["metadata"]["labels"].get("topology.kubernetes.io/zone")
        for n in node_objs or nodes()
    }
    mode = sp.get("trafficDistribution")
    groups: dict[tuple[tuple[str, int, str], ...], list[Obj]] = {}
    for p in pods:
        if not p["status"].get("podIP"):
            continue
        resolved = []
        for port in sp["ports"]:
            number = _container_port(p, port.get("targetPort", port["port"]), port["protocol"])
            if number is not None:
                resolved.append((port.get("name") or "", number, port["protocol"]))
        groups.setdefault(tuple(resolved), []).append(p)
    out = []
    for index, (port_set, members) in enumerate(sorted(groups.items(), key=lambda g: g[0])):
        endpoints = []
        for p in members:
            ready_cond = any(
                c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"]
            )
            terminating = bool(p["metadata"].get("deletionTimestamp"))
            publish = bool(sp.get("publishNotReadyAddresses"))
            node_name = p["spec"]["nodeName"]
            ep: dict[str, Any] = {
                "addresses": [p["status"]["podIP"]],
                "conditions": {
                    "ready": publish or (ready_cond and not terminating),
                    "serving": ready_cond,
                    "terminating": terminating,
                },
                "nodeName": node_name,
                "targetRef": {
                    "kind": "Pod",
                    "name": p["metadata"]["name"],
                    "namespace": p["metadata"]["namespace"],
                    "uid": p["metadata"]["uid"],
                },
            }
            if zones.get(node_name):
                ep["zone"] = zones[node_name]
            if p["spec"].get("hostname") and p["spec"].get("subdomain") == svc["metadata"]["name"]:
                ep["hostname"] = p["spec"]["hostname"]
            if (
                mode in ("PreferClose", "PreferSameZone", "PreferSameNode")
                and ep["conditions"]["ready"]
                and ep.get("zone")
            ):
                ep["hints"] = {"forZones": [{"name": ep["zone"]}]}
                if mode == "PreferSameNode":
                    ep["hints"]["forNodes"] = [{"name": node_name}]
            endpoints.append(ep)
        out.append(
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": f"{svc['metadata']['name']}-{'abcde'[index % 5]}{index}xyz",
                    "namespace": svc["metadata"]["namespace"],
                    "labels": {
                        "kubernetes.io/service-name": svc["metadata"]["name"],
                        "endpointslice.kubernetes.io/managed-by": (
                            "endpointslice-controller.k8s.io"
                        ),
                    },
                },
                "addressType": "IPv4",
                "endpoints": endpoints,
                "ports": [{"name": n, "port": num, "protocol": pr} for n, num, pr in port_set],
            }
        )
    return out


def app(
    src: FakeSource,
    name: str,
    on: Sequence[str],
    *,
    ns: str = NS,
    ready: Sequence[bool] | None = None,
    containers: Sequence[Mapping[str, Any]] | None = None,
    pod_kwargs: Sequence[Mapping[str, Any]] | None = None,
    **svc_kwargs: Any,
) -> tuple[Obj, list[Obj]]:
    """A Service `name` selecting `app: name`, one Pod per node in `on`, and its slices."""
    labels = {"app": name}
    pods = [
        pod(
            f"{name}-{i}",
            node,
            ns=ns,
            labels=labels,
            ready=ready[i] if ready else True,
            containers=containers,
            **(pod_kwargs[i] if pod_kwargs else {}),
        )
        for i, node in enumerate(on)
    ]
    svc = service(name, ns=ns, selector=labels, **svc_kwargs)
    src.add(svc, *pods, *endpoint_slices(svc, pods))
    return svc, pods


def cluster() -> FakeSource:
    """Nodes only (plus the cloud-provider-kind IngressClass and GatewayClass)."""
    return FakeSource(nodes()).add(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {
                "name": "cloud-provider-kind",
                "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"},
            },
            "spec": {"controller": "kind.sigs.k8s.io/ingress-controller"},
        },
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "GatewayClass",
            "metadata": {"name": "cloud-provider-kind"},
            "spec": {"controllerName": "kind.sigs.k8s.io/gateway-controller"},
        },
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": NS, "labels": {"kubernetes.io/metadata.name": NS}},
        },
    )


def probe_pod(node: str = W1, ns: str = NS) -> Obj:
    """The probe Pod (agnhost pause) on `node`."""
    return pod(
        "kube-tutor-probe",
        node,
        ns=ns,
        labels={"app": "kube-tutor-probe"},
        containers=[{"name": "probe", "image": AGNHOST, "args": ["pause"]}],
    )


def ingress(
    name: str,
    rules: Sequence[Mapping[str, Any]],
    *,
    ns: str = NS,
    ip: str | None = "172.18.0.100",
    class_name: str | None = None,
    default_backend: Mapping[str, Any] | None = None,
) -> Obj:
    """An Ingress; `ip` is its status address (the namespace gateway's)."""
    sp: dict[str, Any] = {"rules": [dict(r) for r in rules]}
    if class_name:
        sp["ingressClassName"] = class_name
    if default_backend:
        sp["defaultBackend"] = {"service": dict(default_backend)}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": "2026-11-27T00:00:00Z"},
        "spec": sp,
        "status": {"loadBalancer": {"ingress": [{"ip": ip}]} if ip else {}},
    }


def ing_rule(host: str | None, *paths: tuple[str, str, str, int]) -> dict[str, Any]:
    """An Ingress rule: paths are (pathType, path, service, port)."""
    rule: dict[str, Any] = {
        "http": {
            "paths": [
                {
                    "pathType": t,
                    "path": p,
                    "backend": {"service": {"name": s, "port": {"number": n}}},
                }
                for t, p, s, n in paths
            ]
        }
    }
    if host:
        rule["host"] = host
    return rule


def gateway(
    name: str,
    listeners: Sequence[Mapping[str, Any]],
    *,
    ns: str = NS,
    ip: str = "172.18.0.200",
) -> Obj:
    """A programmed Gateway of class cloud-provider-kind."""
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "gatewayClassName": "cloud-provider-kind",
            "listeners": [dict(x) for x in listeners],
        },
        "status": {
            "addresses": [{"type": "IPAddress", "value": ip}],
            "conditions": [{"type": "Programmed", "status": "True"}],
        },
    }


def httproute(
    name: str,
    parent: str,
    rules: Sequence[Mapping[str, Any]],
    *,
    ns: str = NS,
    parent_ns: str | None = None,
    hostnames: Sequence[str] = (),
    accepted: bool | None = None,
    section: str | None = None,
    created: str = "2026-11-27T00:00:00Z",
) -> Obj:
    """An HTTPRoute; `accepted` writes a status parent condition (None: empty status)."""
    ref: dict[str, Any] = {"name": parent}
    if parent_ns:
        ref["namespace"] = parent_ns
    if section:
        ref["sectionName"] = section
    obj: Obj = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": ns, "creationTimestamp": created},
        "spec": {"parentRefs": [ref], "rules": [dict(r) for r in rules]},
        "status": {},
    }
    if hostnames:
        obj["spec"]["hostnames"] = list(hostnames)
    if accepted is not None:
        obj["status"] = {
            "parents": [
                {
                    "parentRef": ref,
                    "controllerName": "kind.sigs.k8s.io/gateway-controller",
                    "conditions": [
                        {
                            "type": "Accepted",
                            "status": "True" if accepted else "False",
                            "reason": "Accepted" if accepted else "NotAllowedByListeners",
                            "message": ""
                            if accepted
                            else "Route is not allowed by a listener's policy.",
                        }
                    ],
                }
            ]
        }
    return obj


def backend_rule(
    service_name: str,
    port: int = 80,
    *,
    path: tuple[str, str] | None = None,
    ns: str | None = None,
    weight: int | None = None,
    headers: Sequence[Mapping[str, str]] = (),
    query: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """An HTTPRoute rule with one match and one backendRef."""
    ref: dict[str, Any] = {"name": service_name, "port": port}
    if ns:
        ref["namespace"] = ns
    if weight is not None:
        ref["weight"] = weight
    match: dict[str, Any] = {}
    if path:
        match["path"] = {"type": path[0], "value": path[1]}
    if headers:
        match["headers"] = [dict(h) for h in headers]
    if query:
        match["queryParams"] = [dict(q) for q in query]
    rule: dict[str, Any] = {"backendRefs": [ref]}
    if match:
        rule["matches"] = [match]
    return rule
