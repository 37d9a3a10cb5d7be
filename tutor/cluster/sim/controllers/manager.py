"""`Controllers`: every controller over one store, reconciled in rounds until nothing changes."""

from __future__ import annotations

from tutor.cluster.sim import serviceaccounts
from tutor.cluster.sim.controllers.common import (
    MANAGED_BY_LABEL,
    SERVICE_NAME_LABEL,
    SLICE_CONTROLLER,
    _controller_ref,
    _meta,
)
from tutor.cluster.sim.controllers.deployment import DeploymentControl
from tutor.cluster.sim.controllers.endpointslice import EndpointSliceControl
from tutor.cluster.sim.controllers.gateway import GatewayControl
from tutor.cluster.sim.controllers.ingress import IngressControl
from tutor.cluster.sim.controllers.statefulset import StatefulSetControl
from tutor.cluster.sim.daemonset import changed_daemonsets, reconcile_daemonset
from tutor.cluster.sim.endpoints_mirror import MIRROR_CONTROLLER, reconcile_endpoints
from tutor.cluster.sim.store import Change, Store


class Controllers(
    DeploymentControl, StatefulSetControl, EndpointSliceControl, IngressControl, GatewayControl
):
    """Every controller of the simulated cluster, sharing indexes over one store."""

    def copy(self, store: Store) -> Controllers:
        """An independent copy working on `store` (a snapshot of this one's store)."""
        other = Controllers.__new__(Controllers)
        other.store = store
        other.topology = self.topology
        other.nodes = self.nodes
        other.pod_ips = {k: v.copy() for k, v in self.pod_ips.items()}
        other.lb_pool = self.lb_pool.copy()
        other.lb_ips = dict(self.lb_ips)
        other.node_pods = dict(self.node_pods)
        other.owner_node_pods = dict(self.owner_node_pods)
        other.children = {k: set(v) for k, v in self.children.items()}
        other.svc_by_pair = {k: set(v) for k, v in self.svc_by_pair.items()}
        other.pod_counter = dict(self.pod_counter)
        other.unschedulable = set(self.unschedulable)
        other.event_index = dict(self.event_index)
        other.event_seq = self.event_seq
        other._probe_cache = {}
        other._feasible_cache = {}
        other._node_heaps = {}
        other._heaps = {}
        other._labels_cache = {}
        return other

    # -- the loop ----------------------------------------------------------------------------

    def run(self, max_rounds: int = 100) -> None:
        """Reconcile until the store stops changing."""
        for _ in range(max_rounds):
            changes = self.store.drain()
            if not changes:
                return
            self._round(changes)

    def _round(self, changes: list[Change]) -> None:
        deployments: dict[tuple[str, str], None] = {}
        replicasets: dict[tuple[str, str], None] = {}
        statefulsets: dict[tuple[str, str], None] = {}
        daemonsets: dict[tuple[str, str], None] = {}
        services: dict[tuple[str, str], None] = {}
        pods_to_start: list[tuple[str, str]] = []
        routing = False
        ingress_namespaces: dict[str, None] = {}
        deleted_owners: list[str] = []
        retry_scheduling = False
        accounts: dict[str, None] = {}
        for change in changes:
            kind, ns, name = change.kind, change.namespace, change.name
            self._index_owner(change)
            if kind == "Event":
                continue
            if kind in ("Namespace", "ServiceAccount"):
                account_ns = serviceaccounts.namespace_of(change)
                if account_ns is not None:
                    accounts[account_ns] = None
            if kind == "Pod":
                self._pod_changed(change, replicasets, statefulsets, services)
                daemonsets.update(dict.fromkeys(changed_daemonsets(change)))
                if change.new is not None and "phase" not in (change.new.get("status") or {}):
                    pods_to_start.append((ns, name))
                elif (
                    change.new is not None
                    and change.old is not None
                    and change.new["spec"].get("containers") != change.old["spec"].get("containers")
                ):
                    self._restart_pod(change.new)
                if change.new is None:
                    retry_scheduling = True
            elif kind == "Deployment":
                deployments[(ns, name)] = None
            elif kind == "ReplicaSet":
                replicasets[(ns, name)] = None
                ref = _controller_ref(change.new or change.old or {"metadata": {}})
                if ref and ref.get("kind") == "Deployment":
                    deployments[(ns, ref["name"])] = None
            elif kind == "StatefulSet":
                statefulsets[(ns, name)] = None
            elif kind == "DaemonSet":
                daemonsets[(ns, name)] = None
            elif kind == "Service":
                self._service_index(change)
                services[(ns, name)] = None
                routing = True
                ingress_namespaces[ns] = None
                self._ip_address_objects(change)
            elif kind in ("Ingress", "IngressClass"):
                if kind == "IngressClass":
                    ingress_namespaces.update({n: None for n in self.store.namespaces("Ingress")})
                else:
                    ingress_namespaces[ns] = None
            elif kind in (
                "Gateway",
                "GatewayClass",
                "HTTPRoute",
                "ReferenceGrant",
                "Secret",
                "Namespace",
            ):
                routing = True
            elif kind == "Endpoints":
                services[(ns, name)] = None
            elif kind == "EndpointSlice":
                slice_obj = change.new or change.old or {}
                labels = _meta(slice_obj).get("labels") or {}
                if labels.get(MANAGED_BY_LABEL) in (
                    SLICE_CONTROLLER,
                    MIRROR_CONTROLLER,
                ) and labels.get(SERVICE_NAME_LABEL):
                    services[(ns, labels[SERVICE_NAME_LABEL])] = None
            if change.new is None and change.old is not None:
                deleted_owners.append(change.old["metadata"].get("uid", ""))
        for uid in deleted_owners:
            self._collect_garbage(uid)
        for account_ns in accounts:
            serviceaccounts.ensure_default(self, account_ns)
        for ns, name in pods_to_start:
            self._start_pod(ns, name)
        if retry_scheduling and self.unschedulable:
            for ns, name in sorted(self.unschedulable):
                self._start_pod(ns, name)
        for ns, name in deployments:
            self._reconcile_deployment(ns, name)
        for ns, name in replicasets:
            self._reconcile_replicaset(ns, name)
        for ns, name in statefulsets:
            self._reconcile_statefulset(ns, name)
        for ns, name in daemonsets:
            reconcile_daemonset(self, ns, name)
        for ns, name in services:
            self._reconcile_slices(ns, name)
            reconcile_endpoints(self, ns, name)
            self._reconcile_load_balancer(ns, name)
        for ns in ingress_namespaces:
            self._reconcile_ingresses(ns)
        if routing:
            self._reconcile_gateways()
