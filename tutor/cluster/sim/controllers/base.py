"""The state every controller shares: the store, the topology, address pools and indexes."""

from __future__ import annotations

from collections.abc import Mapping

from tutor.cluster.sim.controllers.common import Obj, _controller_ref
from tutor.cluster.sim.controllers.kubelet import ContainerVerdict
from tutor.cluster.sim.kindnetwork import kind_network_pool
from tutor.cluster.sim.store import Change, Store
from tutor.cluster.sim.topology import (
    AddressPool,
    NodeSpec,
    Topology,
)


class ControllerBase:
    """The store, topology and indexes every controller shares."""

    def __init__(self, store: Store, topology: Topology) -> None:
        self.store = store
        self.topology = topology
        self.nodes: dict[str, NodeSpec] = topology.by_name
        self.pod_ips: dict[str, AddressPool] = {
            node.name: AddressPool(node.first_pod_ip, node.last_pod_ip) for node in topology.nodes
        }
        self.lb_pool = kind_network_pool(topology)
        self.lb_ips: dict[tuple[str, ...], str] = {}
        """(kind, namespace, name) of what holds an address -> the address"""
        self.node_pods: dict[str, int] = {node.name: 0 for node in topology.nodes}
        self.owner_node_pods: dict[tuple[str, str], int] = {}
        """(owner uid, node) -> Pods of that owner on that node"""
        self.children: dict[str, set[tuple[str, str, str]]] = {}
        """owner uid -> (kind, namespace, name) of the objects it controls"""
        self.svc_by_pair: dict[tuple[str, str, str], set[str]] = {}
        """(namespace, label key, value) -> names of Services whose selector has that pair"""
        self.pod_counter: dict[str, int] = {}
        self.unschedulable: set[tuple[str, str]] = set()
        self.event_index: dict[tuple[str, str, str, str], str] = {}
        self.event_seq = 0
        self._probe_cache: dict[int, tuple[Obj, list[ContainerVerdict]]] = {}
        self._feasible_cache: dict[str, list[tuple[int, str]]] = {}
        self._node_heaps: dict[int, tuple[list[tuple[int, str]], list[tuple[int, int, str]]]] = {}
        self._heaps: dict[str, tuple[list[tuple[int, str]], list[tuple[int, int, int, str]]]] = {}
        self._labels_cache: dict[str, Mapping[str, str]] = {}

    # -- indexes -----------------------------------------------------------------------------

    def _index_owner(self, change: Change) -> None:
        key = (change.kind, change.namespace, change.name)
        old_ref = _controller_ref(change.old) if change.old is not None else None
        new_ref = _controller_ref(change.new) if change.new is not None else None
        if old_ref and (new_ref is None or new_ref.get("uid") != old_ref.get("uid")):
            self.children.get(old_ref.get("uid", ""), set()).discard(key)
        if new_ref:
            self.children.setdefault(new_ref.get("uid", ""), set()).add(key)

    def _service_index(self, change: Change) -> None:
        ns = change.namespace
        for obj, add in ((change.old, False), (change.new, True)):
            if obj is None:
                continue
            selector = (obj.get("spec") or {}).get("selector") or {}
            for key, value in selector.items():
                names = self.svc_by_pair.setdefault((ns, key, value), set())
                if add:
                    names.add(change.name)
                else:
                    names.discard(change.name)

    def _services_selecting(self, ns: str, labels: Mapping[str, str]) -> set[str]:
        found: set[str] = set()
        for key, value in labels.items():
            names = self.svc_by_pair.get((ns, key, value))
            if names:
                found |= names
        result = set()
        for name in found:
            svc = self.store.get("Service", ns, name)
            if svc is None:
                continue
            selector = svc["spec"].get("selector") or {}
            if selector and all(labels.get(k) == v for k, v in selector.items()):
                result.add(name)
        return result

    # -- Deployment / ReplicaSet / StatefulSet -----------------------------------------------

    def _owned(self, owner: Obj, kind: str) -> list[Obj]:
        uid = owner["metadata"]["uid"]
        found = []
        for k, ns, name in self.children.get(uid, ()):
            if k == kind:
                obj = self.store.get(k, ns, name)
                if obj is not None:
                    found.append(obj)
        found.sort(key=lambda o: o["metadata"]["name"])
        return found

    # -- garbage collection ------------------------------------------------------------------

    def _collect_garbage(self, uid: str) -> None:
        for kind, ns, name in sorted(self.children.pop(uid, set())):
            self.store.delete(kind, ns, name)
