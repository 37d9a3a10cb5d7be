"""`SimCluster`: the embedded simulated cluster behind the `Cluster` protocol.

It holds a kind-shaped cluster (see `topology`) in memory: `apply` admits objects with the API
server's defaults and validation, the controllers converge at once, and `probe` hands requests
to the data-plane model (`tutor.cluster.sim.dataplane`).

Readers get copies from `get`/`list`. Code inside the simulator that must be fast (the data
plane) reads through `view`, which returns the stored objects themselves: never modify those.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from tutor.cluster.base import (
    LAB_LABEL,
    MANAGED_LABEL,
    MANAGED_VALUE,
    ApplyResult,
    ClusterError,
    NotFoundError,
    ProbeRequest,
    ProbeResult,
)
from tutor.cluster.sim.admission import Admission, Admitted, Allocations
from tutor.cluster.sim.controllers import (
    GATEWAY_CLASS,
    GATEWAY_CONTROLLER,
    INGRESS_CLASS,
    INGRESS_CONTROLLER,
    Controllers,
)
from tutor.cluster.sim.corefile import KUBEADM_COREFILE
from tutor.cluster.sim.store import Store, deep_copy, is_cluster_scoped
from tutor.cluster.sim.topology import (
    CONTROL_PLANE_LABEL,
    DEFAULT_TOPOLOGY,
    DNS_SERVICE_IP,
    KUBERNETES_SERVICE_IP,
    POD_CIDR,
    SERVICE_CIDR,
    Topology,
    node_objects,
)

Obj = dict[str, Any]

CAPABILITIES = frozenset({"nodeport-host", "loadbalancer", "ingress", "gateway", "zones", "dns"})
PROBE_POD = "kube-tutor-probe"
PROBE_IMAGE = "registry.k8s.io/e2e-test-images/agnhost:2.39"
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.12.1"
KUBE_PROXY_CONFIG = f"""apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
clientConnection:
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
clusterCIDR: {POD_CIDR}
conntrack:
  maxPerCore: 0
iptables:
  masqueradeAll: false
  minSyncPeriod: 1s
kind: KubeProxyConfiguration
mode: iptables
"""
"""The kube-proxy configuration kubeadm writes into ConfigMap `kube-system/kube-proxy` on kind
(`kubeProxyMode: iptables`, as tutor/cluster/kind.py asks; kind sets conntrack.maxPerCore 0)."""


class StoreView:
    """Read-only access to the stored objects without copying (for the data plane)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        """The stored object (do not modify it), or None."""
        return self._store.get(kind, namespace or "", name)

    def list(
        self,
        kind: str,
        namespace: str | None = None,
        selector: Mapping[str, str] | None = None,
    ) -> list[Obj]:
        """Stored objects (do not modify them)."""
        return self._store.list(kind, namespace, selector)


@dataclass(frozen=True)
class SimState:
    """Everything a `SimCluster` holds, for `snapshot`/`restore`."""

    store: Store
    alloc: Allocations
    applied: dict[tuple[str, str, str], Obj]
    controllers: Controllers


class SimCluster:
    """An in-process cluster shaped like the kind cluster kube-tutor creates."""

    backend = "sim"

    def __init__(self, topology: Topology | None = None) -> None:
        self.topology = topology or DEFAULT_TOPOLOGY
        self.store = Store()
        self.alloc = Allocations()
        self.applied: dict[tuple[str, str, str], Obj] = {}
        self.controllers = Controllers(self.store, self.topology)
        self._dataplane: Any = None
        self._bootstrap()

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_manifests(cls, text: str, namespace: str = "default") -> SimCluster:
        """A fresh cluster with the YAML documents of `text` applied into `namespace`
        (created first when missing)."""
        cluster = cls()
        docs = [d for d in yaml.safe_load_all(text) if d]
        if namespace not in SYSTEM_NAMESPACES and not any(
            d.get("kind") == "Namespace" and d.get("metadata", {}).get("name") == namespace
            for d in docs
        ):
            cluster.ensure_namespace(namespace, {})
        cluster.apply(docs, namespace)
        return cluster

    def _bootstrap(self) -> None:
        """What a fresh kind cluster has: nodes, system namespaces, the `kubernetes` and
        `kube-dns` Services with CoreDNS, and cloud-provider-kind's classes."""
        system = {"manager": "kube-apiserver", "operation": "Update"}
        for node in node_objects(self.topology):
            node["metadata"]["managedFields"] = [dict(system)]
            self.store.put(node)
        for ns in SYSTEM_NAMESPACES:
            self.store.put(
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {
                        "name": ns,
                        "labels": {"kubernetes.io/metadata.name": ns},
                        "managedFields": [dict(system)],
                    },
                    "spec": {"finalizers": ["kubernetes"]},
                    "status": {"phase": "Active"},
                }
            )
        self.store.put(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "ServiceCIDR",
                "metadata": {"name": "kubernetes", "managedFields": [dict(system)]},
                "spec": {"cidrs": [str(SERVICE_CIDR)]},
                "status": {
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "True",
                            "reason": "",
                            "message": "Kubernetes Service CIDR is ready",
                            "lastTransitionTime": self.store.now(),
                        }
                    ]
                },
            }
        )
        api = self.topology.nodes[0]
        self._system_apply(
            [
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {
                        "name": "kubernetes",
                        "namespace": "default",
                        "labels": {"component": "apiserver", "provider": "kubernetes"},
                    },
                    "spec": {
                        "clusterIP": KUBERNETES_SERVICE_IP,
                        "ports": [
                            {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}
                        ],
                    },
                },
                {
                    "apiVersion": "discovery.k8s.io/v1",
                    "kind": "EndpointSlice",
                    "metadata": {
                        "name": "kubernetes",
                        "namespace": "default",
                        "labels": {"kubernetes.io/service-name": "kubernetes"},
                    },
                    "addressType": "IPv4",
                    "endpoints": [{"addresses": [api.internal_ip], "conditions": {"ready": True}}],
                    "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
                },
                {
                    # kube-apiserver's endpoint reconciler writes both, and keeps the
                    # mirroring controller off this one (reconcilers/endpointsadapter.go)
                    "apiVersion": "v1",
                    "kind": "Endpoints",
                    "metadata": {
                        "name": "kubernetes",
                        "namespace": "default",
                        "labels": {"endpointslice.kubernetes.io/skip-mirror": "true"},
                    },
                    "subsets": [
                        {
                            "addresses": [{"ip": api.internal_ip}],
                            "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}],
                        }
                    ],
                },
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {
                        "name": "kube-dns",
                        "namespace": "kube-system",
                        "labels": {
                            "k8s-app": "kube-dns",
                            "kubernetes.io/cluster-service": "true",
                            "kubernetes.io/name": "CoreDNS",
                        },
                    },
                    "spec": {
                        "clusterIP": DNS_SERVICE_IP,
                        "selector": {"k8s-app": "kube-dns"},
                        "ports": [
                            {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                            {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                            {
                                "name": "metrics",
                                "port": 9153,
                                "protocol": "TCP",
                                "targetPort": 9153,
                            },
                        ],
                    },
                },
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {
                        "name": "coredns",
                        "namespace": "kube-system",
                        "labels": {"k8s-app": "kube-dns"},
                    },
                    "spec": {
                        "replicas": 2,
                        "selector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        "template": {
                            "metadata": {"labels": {"k8s-app": "kube-dns"}},
                            "spec": {
                                "priorityClassName": "system-cluster-critical",
                                "dnsPolicy": "Default",
                                "volumes": [
                                    {
                                        "name": "config-volume",
                                        "configMap": {
                                            "name": "coredns",
                                            "items": [{"key": "Corefile", "path": "Corefile"}],
                                        },
                                    }
                                ],
                                # kind starts CoreDNS before the workers join: it runs on the
                                # control plane.
                                "nodeSelector": {CONTROL_PLANE_LABEL: ""},
                                "tolerations": [
                                    {"key": "CriticalAddonsOnly", "operator": "Exists"},
                                    {"key": CONTROL_PLANE_LABEL, "effect": "NoSchedule"},
                                ],
                                "containers": [
                                    {
                                        "name": "coredns",
                                        "image": COREDNS_IMAGE,
                                        "args": ["-conf", "/etc/coredns/Corefile"],
                                        "volumeMounts": [
                                            {
                                                "name": "config-volume",
                                                "mountPath": "/etc/coredns",
                                                "readOnly": True,
                                            }
                                        ],
                                        "ports": [
                                            {"name": "dns", "containerPort": 53, "protocol": "UDP"},
                                            {
                                                "name": "dns-tcp",
                                                "containerPort": 53,
                                                "protocol": "TCP",
                                            },
                                            {
                                                "name": "metrics",
                                                "containerPort": 9153,
                                                "protocol": "TCP",
                                            },
                                        ],
                                        "readinessProbe": {
                                            "httpGet": {"path": "/ready", "port": 8181}
                                        },
                                        "livenessProbe": {
                                            "httpGet": {"path": "/health", "port": 8080}
                                        },
                                    }
                                ],
                            },
                        },
                    },
                },
                {
                    # kubeadm's CoreDNS ConfigMap (manifests.go `CoreDNSConfigMap`); the
                    # simulated DNS honours its server blocks (tutor.cluster.sim.podresolver)
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "coredns", "namespace": "kube-system"},
                    "data": {"Corefile": KUBEADM_COREFILE},
                },
                {
                    # kubeadm's proxy addon (cmd/kubeadm/app/phases/addons/proxy): the lessons
                    # read `mode` from it
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {
                        "name": "kube-proxy",
                        "namespace": "kube-system",
                        "labels": {"app": "kube-proxy"},
                    },
                    "data": {"config.conf": KUBE_PROXY_CONFIG},
                },
                {
                    # kubeadm's kube-proxy DaemonSet: one Pod per node on the host network
                    "apiVersion": "apps/v1",
                    "kind": "DaemonSet",
                    "metadata": {
                        "name": "kube-proxy",
                        "namespace": "kube-system",
                        "labels": {"k8s-app": "kube-proxy"},
                    },
                    "spec": {
                        "selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
                        "template": {
                            "metadata": {"labels": {"k8s-app": "kube-proxy"}},
                            "spec": {
                                "hostNetwork": True,
                                "priorityClassName": "system-node-critical",
                                "tolerations": [{"operator": "Exists"}],
                                "containers": [
                                    {
                                        "name": "kube-proxy",
                                        "image": "registry.k8s.io/kube-proxy:v1.37.0",
                                        "command": [
                                            "/usr/local/bin/kube-proxy",
                                            "--config=/var/lib/kube-proxy/config.conf",
                                        ],
                                    }
                                ],
                            },
                        },
                    },
                },
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "IngressClass",
                    "metadata": {
                        "name": INGRESS_CLASS,
                        "annotations": {"ingressclass.kubernetes.io/is-default-class": "true"},
                    },
                    "spec": {"controller": INGRESS_CONTROLLER},
                },
                {
                    "apiVersion": "gateway.networking.k8s.io/v1",
                    "kind": "GatewayClass",
                    "metadata": {"name": GATEWAY_CLASS},
                    "spec": {
                        "controllerName": GATEWAY_CONTROLLER,
                        "description": "cloud-provider-kind gateway API",
                    },
                },
            ]
        )
        self.store.tick()

    def _system_apply(self, manifests: Sequence[Obj]) -> None:
        """Admit and store objects as a system component would (not owned by kube-tutor)."""
        admission = Admission(self.store, {})
        for manifest in manifests:
            admitted = admission.admit(manifest, "default", self.alloc, set())
            managers = {
                "IngressClass": "cloud-provider-kind",
                "GatewayClass": "cloud-provider-kind",
            }
            manager = managers.get(manifest["kind"], "kube-apiserver")
            admitted.obj["metadata"]["managedFields"] = [
                {"manager": manager, "operation": "Update"}
            ]
            self.store.put(admitted.obj)
            self.controllers.run()

    # -- ObjectSource ------------------------------------------------------------------------

    @property
    def view(self) -> StoreView:
        """Read-only, copy-free access to the stored objects (never modify them)."""
        return StoreView(self.store)

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        """A copy of one object, or None."""
        obj = self.store.get(kind, namespace or "", name)
        return deep_copy(obj) if obj is not None else None

    def list(
        self,
        kind: str,
        namespace: str | None = None,
        selector: Mapping[str, str] | None = None,
    ) -> list[Obj]:
        """Copies of the objects of a kind, sorted by namespace and name."""
        return [deep_copy(o) for o in self.store.list(kind, namespace, selector)]

    # -- Cluster -----------------------------------------------------------------------------

    def capabilities(self) -> set[str]:
        """Everything works on the simulator."""
        return set(CAPABILITIES)

    def ensure_namespace(self, name: str, labels: Mapping[str, str]) -> None:
        """Create the namespace (or add the labels to the existing one)."""
        existing = self.store.get("Namespace", "", name)
        if existing is not None:
            current = existing["metadata"].get("labels") or {}
            if all(current.get(k) == v for k, v in labels.items()):
                return
            meta = {**existing["metadata"], "labels": {**current, **labels}}
            self.store.tick()
            self.store.put({**existing, "metadata": meta})
            self.controllers.run()
            return
        manifest = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": dict(labels)},
        }
        self.apply([manifest], name)

    def delete_namespace(self, name: str, *, wait: bool = True) -> None:
        """Delete a namespace and everything in it (at once)."""
        if name in SYSTEM_NAMESPACES:
            raise ClusterError(
                f'namespace "{name}" is a system namespace and cannot be deleted here',
                hint="Only lab namespaces can be deleted.",
            )
        if self.store.get("Namespace", "", name) is None:
            return
        self.store.tick()
        for kind in self.store.kinds():
            if is_cluster_scoped(kind):
                continue
            for obj_name in sorted(self.store.names(kind, name)):
                self._delete(kind, name, obj_name)
        self._delete("Namespace", "", name)
        self.controllers.run()

    def apply(self, objects: Sequence[Obj], namespace: str) -> builtins.list[ApplyResult]:
        """Admit every object first (all or nothing), then store them and converge."""
        self.store.tick()
        trial = self.alloc.copy()
        admission = Admission(self.store, self.applied)
        new_namespaces = {
            str(o.get("metadata", {}).get("name"))
            for o in objects
            if isinstance(o, dict) and o.get("kind") == "Namespace"
        }
        admitted: list[Admitted] = []
        failures: list[ClusterError] = []
        for obj in objects:
            try:
                admitted.append(admission.admit(obj, namespace, trial, new_namespaces))
            except ClusterError as error:
                failures.append(error)
        if failures:
            first = failures[0]
            if len(failures) > 1:
                others = "; ".join(f.message for f in failures[1:])
                first.message = f"{first.message} (and {len(failures) - 1} more: {others})"
                first.args = (first.message,)
            raise first
        self.alloc = trial
        results = []
        for item in admitted:
            meta = item.obj["metadata"]
            kind = item.obj["kind"]
            ns = "" if is_cluster_scoped(kind) else meta.get("namespace", namespace)
            if item.action != "unchanged":
                self.store.put(item.obj)
                self.applied[(kind, ns, meta["name"])] = item.manifest
            results.append(ApplyResult(kind, meta["name"], ns or None, item.action))
        self.controllers.run()
        return results

    def delete(self, kind: str, name: str, namespace: str | None = None) -> bool:
        """Delete one object (its dependents follow, as the garbage collector does)."""
        if kind == "Namespace":
            existed = self.store.get("Namespace", "", name) is not None
            self.delete_namespace(name)
            return existed
        self.store.tick()
        found = self._delete(kind, namespace or "", name)
        self.controllers.run()
        return found

    def _delete(self, kind: str, namespace: str, name: str) -> bool:
        ns = "" if is_cluster_scoped(kind) else namespace
        removed = self.store.delete(kind, ns, name)
        if removed is None:
            return False
        self.applied.pop((kind, ns, name), None)
        if kind == "Service":
            self.alloc.release_service((ns, name))
        return True

    def wait_for_change(self, namespace: str, timeout: float) -> bool:
        """The simulator converges synchronously: nothing more will change."""
        return False

    def events(self, namespace: str) -> builtins.list[Obj]:
        """Events of the namespace, oldest first."""
        events = self.store.list("Event", namespace)
        events.sort(
            key=lambda e: (e.get("lastTimestamp", ""), int(e["metadata"]["resourceVersion"]))
        )
        return [deep_copy(e) for e in events]

    def probe(self, request: ProbeRequest) -> ProbeResult:
        """Modelled traffic, answered by the data plane (`tutor.cluster.sim.dataplane`)."""
        if request.source == "probe":
            self.ensure_probe_pod(request.namespace)
        if self._dataplane is None:
            try:
                from tutor.cluster.sim.dataplane import DataPlane
            except ImportError as error:  # the data plane is written separately
                raise NotImplementedError("the simulator's data plane is not available") from error
            self._dataplane = DataPlane(self.view)
        result: ProbeResult = self._dataplane.probe(request)
        return result

    def ensure_probe_pod(self, namespace: str) -> Obj:
        """The probe Pod (`agnhost pause` on `kube-tutor-worker`) in `namespace`."""
        existing = self.store.get("Pod", namespace, PROBE_POD)
        if existing is not None:
            return existing
        if self.store.get("Namespace", "", namespace) is None:
            raise NotFoundError(f'namespaces "{namespace}" not found')
        worker = self.topology.workers[0].name
        self.apply(
            [
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": PROBE_POD,
                        "namespace": namespace,
                        "labels": {
                            "app.kubernetes.io/name": PROBE_POD,
                            MANAGED_LABEL: MANAGED_VALUE,
                        },
                    },
                    "spec": {
                        "nodeName": worker,
                        "containers": [{"name": "probe", "image": PROBE_IMAGE, "args": ["pause"]}],
                    },
                }
            ],
            namespace,
        )
        pod = self.store.get("Pod", namespace, PROBE_POD)
        assert pod is not None
        return pod

    # -- helpers for the data plane and tests ------------------------------------------------

    def pod_by_ip(self, ip: str) -> Obj | None:
        """The (stored) running Pod that has this IP, if any."""
        for pod in self.store.list("Pod"):
            status = pod.get("status") or {}
            if status.get("podIP") == ip and not pod["spec"].get("hostNetwork"):
                return pod
        return None

    def lab_namespaces(self) -> builtins.list[str]:
        """Namespaces kube-tutor made for labs."""
        return [
            ns["metadata"]["name"]
            for ns in self.store.list("Namespace")
            if LAB_LABEL in (ns["metadata"].get("labels") or {})
        ]

    # -- copies ------------------------------------------------------------------------------

    def snapshot(self) -> SimState:
        """The whole state, to `restore` later (cheap: objects are shared, never mutated)."""
        store = self.store.snapshot()
        return SimState(
            store=store,
            alloc=self.alloc.copy(),
            applied=dict(self.applied),
            controllers=self.controllers.copy(store),
        )

    def restore(self, state: SimState) -> None:
        """Go back to a snapshot (the snapshot stays reusable)."""
        self.store = state.store.snapshot()
        self.alloc = state.alloc.copy()
        self.applied = dict(state.applied)
        self.controllers = state.controllers.copy(self.store)
        self._dataplane = None

    def clone(self) -> SimCluster:
        """An independent cluster with the same state."""
        other = SimCluster.__new__(SimCluster)
        other.topology = self.topology
        other._dataplane = None
        other.restore(self.snapshot())
        return other
