"""The simulator's control plane: scheduler, kubelet, workload, EndpointSlice, LoadBalancer,
Ingress and Gateway controllers.

`Controllers.run()` drains the store's change log and reconciles until nothing changes, so the
simulated cluster converges synchronously after every write. Work is incremental: only objects
touched by a change (and the Services whose selectors match a touched Pod) are reconciled, with
indexes by owner and by label.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tutor.cluster.sim import serviceaccounts
from tutor.cluster.sim.admission import GATEWAY_GROUP, selector_matches, stable_hash
from tutor.cluster.sim.daemonset import changed_daemonsets, reconcile_daemonset
from tutor.cluster.sim.endpoints_mirror import MIRROR_CONTROLLER, reconcile_endpoints
from tutor.cluster.sim.images import Workload, workload_for
from tutor.cluster.sim.kindnetwork import kind_network_pool, lb_address, lb_ingress
from tutor.cluster.sim.store import Change, Store
from tutor.cluster.sim.topology import (
    ZONE_LABEL,
    AddressPool,
    NodeSpec,
    Topology,
)

Obj = dict[str, Any]

SERVICE_NAME_LABEL = "kubernetes.io/service-name"
MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
SLICE_CONTROLLER = "endpointslice-controller.k8s.io"
HEADLESS_LABEL = "service.kubernetes.io/headless"
TOPOLOGY_MODE_ANNOTATION = "service.kubernetes.io/topology-mode"
MAX_ENDPOINTS_PER_SLICE = 100
POD_TEMPLATE_HASH = "pod-template-hash"
CONTROLLER_MANAGER = "kube-controller-manager"

INGRESS_CLASS = "cloud-provider-kind"
INGRESS_CONTROLLER = "kind.sigs.k8s.io/ingress-controller"
GATEWAY_CLASS = "cloud-provider-kind"
GATEWAY_CONTROLLER = "kind.sigs.k8s.io/gateway-controller"

_SAFE = "bcdfghjklmnpqrstvwxz2456789"
"""The alphabet Kubernetes uses for generated names (no vowels, no look-alikes)."""


def safe_encode(text: str) -> str:
    """Kubernetes' `rand.SafeEncodeString`: each byte mapped into the safe alphabet."""
    return "".join(_SAFE[b % len(_SAFE)] for b in text.encode())


def template_hash(template: Obj) -> str:
    """The `pod-template-hash` of a Pod template (a 32-bit hash of its canonical JSON, encoded
    the way the Deployment controller encodes its FNV hash)."""
    digest = stable_hash(json.dumps(template, sort_keys=True, separators=(",", ":")))
    return safe_encode(str(digest))


def name_suffix(seed: str, length: int = 5) -> str:
    """A deterministic stand-in for the random suffix of `generateName`."""
    value = stable_hash(seed)
    chars = []
    for _ in range(length):
        value, digit = divmod(value, len(_SAFE))
        chars.append(_SAFE[digit])
        if value == 0:
            value = stable_hash(seed + "".join(chars))
    return "".join(chars)


def _meta(obj: Obj) -> Obj:
    meta: Obj = obj["metadata"]
    return meta


def _controller_ref(obj: Obj) -> Obj | None:
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return dict(ref)
    return None


def _owner_ref(owner: Obj) -> Obj:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _condition(kind: str, status: bool | str, reason: str, message: str, when: str) -> Obj:
    value = status if isinstance(status, str) else ("True" if status else "False")
    return {
        "type": kind,
        "status": value,
        "reason": reason,
        "message": message,
        "lastTransitionTime": when,
    }


def _keep_transition_times(new: list[Obj], old: list[Obj] | None) -> list[Obj]:
    """Keep `lastTransitionTime` of conditions whose status did not change."""
    previous = {c.get("type"): c for c in old or ()}
    for cond in new:
        before = previous.get(cond["type"])
        if before is not None and before.get("status") == cond["status"]:
            cond["lastTransitionTime"] = before.get(
                "lastTransitionTime", cond["lastTransitionTime"]
            )
    return new


def is_pod_ready(pod: Obj) -> bool:
    """True when the Pod's Ready condition is True."""
    for cond in (pod.get("status") or {}).get("conditions") or ():
        if cond.get("type") == "Ready":
            return bool(cond.get("status") == "True")
    return False


def _pod_active(pod: Obj) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    return phase not in ("Succeeded", "Failed")


@dataclass(frozen=True)
class ProbeOutcome:
    """Whether a probe passes, and what kubelet would say when it does not."""

    ok: bool
    message: str = ""


def run_probe(
    kind: str,
    probe: Obj,
    container: Obj,
    workload: Workload,
    pod_ip: str,
    hostname: str,
    node_ip: str,
) -> ProbeOutcome:
    """Evaluate one probe (`kind` is Readiness, Liveness or Startup) against the catalogue."""
    label = f"{kind} probe"

    def port_of(value: Any) -> int | None:
        if isinstance(value, int):
            return value
        if isinstance(value, str) and value.isdigit():
            return int(value)
        for port in container.get("ports") or ():
            if port.get("name") == value:
                return int(port.get("containerPort", 0))
        return None

    if "httpGet" in probe:
        get = probe["httpGet"]
        port = port_of(get.get("port"))
        scheme = str(get.get("scheme") or "HTTP").lower()
        path = str(get.get("path") or "/")
        if port is None:
            return ProbeOutcome(False, f"{label} errored: unable to find port {get.get('port')!r}")
        host = get.get("host") or pod_ip
        url = f"{scheme}://{host}:{port}{path}"
        headers = {h.get("name", ""): h.get("value", "") for h in get.get("httpHeaders") or ()}
        headers.setdefault("Host", f"{host}:{port}")
        try:
            status, _ = workload.http(port, path, headers, pod_name=hostname, client_ip=node_ip)
        except ConnectionRefusedError:
            return ProbeOutcome(
                False,
                f'{label} failed: Get "{url}": dial tcp {host}:{port}: connect: connection refused',
            )
        except ConnectionResetError:
            return ProbeOutcome(
                False, f'{label} failed: Get "{url}": read tcp: connection reset by peer'
            )
        if scheme == "https":
            return ProbeOutcome(
                False,
                f'{label} failed: Get "{url}": http: server gave HTTP response to HTTPS client',
            )
        if 200 <= status < 400:
            return ProbeOutcome(True)
        return ProbeOutcome(False, f"{label} failed: HTTP probe failed with statuscode: {status}")
    if "tcpSocket" in probe:
        port = port_of(probe["tcpSocket"].get("port"))
        if port is None:
            return ProbeOutcome(
                False, f"{label} errored: unable to find port {probe['tcpSocket'].get('port')!r}"
            )
        if workload.listens(port, "TCP"):
            return ProbeOutcome(True)
        return ProbeOutcome(
            False, f"{label} failed: dial tcp {pod_ip}:{port}: connect: connection refused"
        )
    if "exec" in probe:
        command = [str(c) for c in probe["exec"].get("command") or ()]
        code = workload.exec(command, pod_name=hostname)
        if code == 0:
            return ProbeOutcome(True)
        return ProbeOutcome(
            False, f"{label} failed: command {' '.join(command)!r} exited with {code}"
        )
    if "grpc" in probe:
        port = port_of(probe["grpc"].get("port"))
        if port is not None and workload.listens(port, "TCP") and workload.program == "coredns":
            return ProbeOutcome(True)
        return ProbeOutcome(
            False,
            f'{label} failed: timeout: failed to connect service "{pod_ip}:{port}" within 1s',
        )
    return ProbeOutcome(True)


@dataclass
class ContainerVerdict:
    """What kubelet makes of one container."""

    name: str
    image: str
    running: bool
    ready: bool
    waiting_reason: str = ""
    message: str = ""
    probe_failures: tuple[str, ...] = ()


def evaluate_containers(pod: Obj, pod_ip: str, node_ip: str) -> list[ContainerVerdict]:
    """Run every container of a Pod against the catalogue: does it run, is it ready."""
    spec = pod["spec"]
    hostname = spec.get("hostname") or pod["metadata"]["name"][:63]
    verdicts = []
    for container in spec.get("containers") or ():
        workload = workload_for(container)
        name = str(container.get("name", ""))
        image = str(container.get("image", ""))
        if not workload.runs:
            verdicts.append(
                ContainerVerdict(
                    name, image, False, False, "CrashLoopBackOff", workload.exit_message
                )
            )
            continue
        failures: list[str] = []
        crashed = False
        for kind, key in (("Liveness", "livenessProbe"), ("Startup", "startupProbe")):
            probe = container.get(key)
            if probe:
                outcome = run_probe(kind, probe, container, workload, pod_ip, hostname, node_ip)
                if not outcome.ok:
                    failures.append(outcome.message)
                    crashed = True
        if crashed:
            verdicts.append(
                ContainerVerdict(
                    name,
                    image,
                    False,
                    False,
                    "CrashLoopBackOff",
                    "the container keeps being restarted because a probe fails",
                    tuple(failures),
                )
            )
            continue
        ready = True
        readiness = container.get("readinessProbe")
        if readiness:
            outcome = run_probe(
                "Readiness", readiness, container, workload, pod_ip, hostname, node_ip
            )
            if not outcome.ok:
                ready = False
                failures.append(outcome.message)
        verdicts.append(ContainerVerdict(name, image, True, ready, probe_failures=tuple(failures)))
    return verdicts


class Controllers:
    """Every controller of the simulated cluster, sharing indexes over one store."""

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

    def _pod_changed(
        self,
        change: Change,
        replicasets: dict[tuple[str, str], None],
        statefulsets: dict[tuple[str, str], None],
        services: dict[tuple[str, str], None],
    ) -> None:
        ns = change.namespace
        for obj in (change.old, change.new):
            if obj is None:
                continue
            ref = _controller_ref(obj)
            if ref:
                if ref.get("kind") == "ReplicaSet":
                    replicasets[(ns, ref["name"])] = None
                elif ref.get("kind") == "StatefulSet":
                    statefulsets[(ns, ref["name"])] = None
        old_labels = _meta(change.old).get("labels") or {} if change.old is not None else {}
        new_labels = _meta(change.new).get("labels") or {} if change.new is not None else {}
        for name in self._services_selecting(ns, old_labels):
            services[(ns, name)] = None
        if new_labels is not old_labels:
            for name in self._services_selecting(ns, new_labels):
                services[(ns, name)] = None
        if change.new is None and change.old is not None:
            self._release_pod(change.old)

    # -- events ------------------------------------------------------------------------------

    def event(
        self,
        involved: Obj,
        kind: str,
        reason: str,
        message: str,
        component: str,
    ) -> None:
        """Record an Event about `involved` (repeats bump `count`)."""
        meta = involved["metadata"]
        ns = meta.get("namespace") or "default"
        key = (ns, meta.get("uid", ""), reason, message)
        now = self.store.now()
        existing_name = self.event_index.get(key)
        if existing_name is not None:
            existing = self.store.get("Event", ns, existing_name)
            if existing is not None:
                updated = dict(existing)
                updated["count"] = existing.get("count", 1) + 1
                updated["lastTimestamp"] = now
                updated["metadata"] = dict(existing["metadata"])
                self.store.put(updated)
                return
        self.event_seq += 1
        name = f"{meta['name']}.{self.event_seq:016x}"
        self.event_index[key] = name
        self.store.put(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": name, "namespace": ns},
                "involvedObject": {
                    "apiVersion": involved.get("apiVersion", "v1"),
                    "kind": involved.get("kind", ""),
                    "name": meta["name"],
                    "namespace": meta.get("namespace", ""),
                    "uid": meta.get("uid", ""),
                },
                "reason": reason,
                "message": message,
                "type": kind,
                "count": 1,
                "firstTimestamp": now,
                "lastTimestamp": now,
                "source": {"component": component},
                "reportingComponent": component,
            }
        )

    # -- scheduler and kubelet ---------------------------------------------------------------

    def _fits(self, pod: Obj, node: NodeSpec) -> str | None:
        """None when the Pod may run on the node, else why not (scheduler wording)."""
        spec = pod["spec"]
        tolerations = spec.get("tolerations") or ()
        for taint in node.taints:
            if taint.get("effect") not in ("NoSchedule", "NoExecute"):
                continue
            if not any(_tolerates(t, taint) for t in tolerations):
                value = taint.get("value", "")
                return f"had untolerated taint {{{taint['key']}: {value}}}"
        labels = self._node_labels(node)
        selector = spec.get("nodeSelector") or {}
        if any(labels.get(k) != v for k, v in selector.items()):
            return "didn't match Pod's node affinity/selector"
        affinity = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        if affinity:
            terms = affinity.get("nodeSelectorTerms") or []
            if terms and not any(
                selector_matches({"matchExpressions": t.get("matchExpressions") or []}, labels)
                for t in terms
            ):
                return "didn't match Pod's node affinity/selector"
        if self.node_pods.get(node.name, 0) >= self.topology.max_pods_per_node:
            return "Too many pods"
        return None

    def _node_labels(self, node: NodeSpec) -> Mapping[str, str]:
        cached = self._labels_cache.get(node.name)
        if cached is None:
            obj = self.store.get("Node", "", node.name)
            cached = (obj or {}).get("metadata", {}).get("labels") or {}
            self._labels_cache[node.name] = cached
        return cached

    def _static_feasible(self, pod: Obj) -> list[tuple[int, str]]:
        """(order, node) of the nodes whose taints, labels and affinity admit the Pod
        (capacity aside), cached by those constraints."""
        spec = pod["spec"]
        constraints = (spec.get("tolerations"), spec.get("nodeSelector"), spec.get("affinity"))
        key = "" if constraints == (None, None, None) else json.dumps(constraints, sort_keys=True)
        cached = self._feasible_cache.get(key)
        if cached is not None:
            return cached
        probe = {**pod, "spec": spec}
        feasible = []
        for order, node in enumerate(self.topology.nodes):
            why = self._fits(probe, node)
            if why is None or why == "Too many pods":
                feasible.append((order, node.name))
        self._feasible_cache[key] = feasible
        return feasible

    def _spread_new_owner(self, pod: Obj, count: int) -> list[str] | None:
        """Nodes for `count` Pods of an owner that has none yet: the spreading rule gives each
        Pod its own node, the emptiest first (node order breaks ties). None when that does not
        apply (fewer free nodes than Pods)."""
        feasible = self._static_feasible(pod)
        if count > len(feasible):
            return None
        entry = self._node_heaps.get(id(feasible))
        if entry is None or entry[0] is not feasible:
            heap = [(self.node_pods.get(name, 0), order, name) for order, name in feasible]
            heapq.heapify(heap)
            entry = (feasible, heap)
            self._node_heaps[id(feasible)] = entry
        heap = entry[1]
        limit = self.topology.max_pods_per_node
        picks: list[str] = []
        aside: list[tuple[int, int, str]] = []
        while heap and len(picks) < count:
            total, order, name = heapq.heappop(heap)
            actual = self.node_pods.get(name, 0)
            if actual != total:
                heapq.heappush(heap, (actual, order, name))
                continue
            aside.append((total + 1 if total < limit else total, order, name))
            if total < limit:
                picks.append(name)
        for item in aside:
            heapq.heappush(heap, item)
        return picks if len(picks) == count else None

    def _schedule_fast(self, pod: Obj, owner: str) -> str | None:
        """The node the spreading rule picks for a Pod of `owner`, from a lazily updated heap
        of (Pods of this owner on the node, Pods on the node, node order)."""
        feasible = self._static_feasible(pod)
        entry = self._heaps.get(owner)
        if entry is None or entry[0] is not feasible:
            heap = [
                (
                    self.owner_node_pods.get((owner, name), 0),
                    self.node_pods.get(name, 0),
                    order,
                    name,
                )
                for order, name in feasible
            ]
            heapq.heapify(heap)
            entry = (feasible, heap)
            self._heaps[owner] = entry
        heap = entry[1]
        limit = self.topology.max_pods_per_node
        while heap:
            mine, total, order, name = heap[0]
            actual = (self.owner_node_pods.get((owner, name), 0), self.node_pods.get(name, 0))
            if actual != (mine, total):
                heapq.heapreplace(heap, (actual[0], actual[1], order, name))
                continue
            if total >= limit:
                heapq.heappop(heap)
                continue
            return name
        return None

    def _schedule(self, pod: Obj) -> tuple[str | None, str]:
        """(node name, "") or (None, FailedScheduling message)."""
        ref = _controller_ref(pod)
        owner = ref.get("uid", "") if ref else ""
        if owner:
            fast = self._schedule_fast(pod, owner)
            if fast is not None:
                return fast, ""
        best: tuple[int, int, int] | None = None
        chosen: str | None = None
        reasons: dict[str, int] = {}
        for order, node in enumerate(self.topology.nodes):
            why = self._fits(pod, node)
            if why is not None:
                reasons[why] = reasons.get(why, 0) + 1
                continue
            score = (
                self.owner_node_pods.get((owner, node.name), 0) if owner else 0,
                self.node_pods.get(node.name, 0),
                order,
            )
            if best is None or score < best:
                best = score
                chosen = node.name
        if chosen is not None:
            return chosen, ""
        total = len(self.topology.nodes)
        parts = ", ".join(f"{count} node(s) {why}" for why, count in sorted(reasons.items()))
        return None, (
            f"0/{total} nodes are available: {parts}. preemption: 0/{total} nodes are "
            f"available: {total} Preemption is not helpful for scheduling."
        )

    def _start_pod(self, ns: str, name: str) -> None:
        pod = self.store.get("Pod", ns, name)
        if pod is None:
            self.unschedulable.discard((ns, name))
            return
        started = self.start_pod(pod)
        if started is not pod:
            self.store.put(started)

    def start_pod(self, pod: Obj, chosen: str | None = None) -> Obj:
        """Schedule the Pod (unless bound; `chosen` is a node the scheduler already picked),
        give it an IP and container statuses. Returns the object to store (a new dict), or
        `pod` itself when nothing changed."""
        meta = pod["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        spec = pod["spec"]
        now = self.store.now()
        node_name = spec.get("nodeName")
        if not node_name:
            node_name, why = (chosen, "") if chosen else self._schedule(pod)
            if node_name is None:
                if key in self.unschedulable and (pod.get("status") or {}).get("phase"):
                    return pod
                self.unschedulable.add(key)
                self.event(pod, "Warning", "FailedScheduling", why, "default-scheduler")
                return {
                    **pod,
                    "status": {
                        "phase": "Pending",
                        "qosClass": "BestEffort",
                        "conditions": [
                            _condition("PodScheduled", False, "Unschedulable", why, now)
                        ],
                    },
                }
            self.unschedulable.discard(key)
            spec = {**spec, "nodeName": node_name}
            pod = {**pod, "spec": spec}
            self.event(
                pod,
                "Normal",
                "Scheduled",
                f"Successfully assigned {key[0]}/{key[1]} to {node_name}",
                "default-scheduler",
            )
        node = self.nodes.get(node_name)
        if node is None:
            # bound to a node that does not exist: no kubelet will ever run it
            return {
                **pod,
                "status": {"phase": "Pending", "qosClass": "BestEffort", "conditions": []},
            }
        self.node_pods[node.name] = self.node_pods.get(node.name, 0) + 1
        ref = _controller_ref(pod)
        if ref:
            owner_key = (ref.get("uid", ""), node.name)
            self.owner_node_pods[owner_key] = self.owner_node_pods.get(owner_key, 0) + 1
        if spec.get("hostNetwork"):
            pod_ip: str | None = node.internal_ip
        else:
            pod_ip = self.pod_ips[node.name].allocate()
        if pod_ip is None:
            return {**pod, "status": {"phase": "Pending", "qosClass": "BestEffort"}}
        verdicts = self._verdicts(pod, pod_ip, node.internal_ip)
        return {**pod, "status": self._pod_status(pod, verdicts, node, pod_ip, now)}

    def _verdicts(self, pod: Obj, pod_ip: str, node_ip: str) -> list[ContainerVerdict]:
        # Pods of one ReplicaSet share their spec dict: evaluate the catalogue once for them.
        spec = pod["spec"]
        cached = self._probe_cache.get(id(spec.get("containers")))
        if cached is not None and cached[0] is spec.get("containers"):
            verdicts = cached[1]
            if all(not v.probe_failures for v in verdicts):
                return verdicts
        verdicts = evaluate_containers(pod, pod_ip, node_ip)
        self._probe_cache[id(spec.get("containers"))] = (spec.get("containers"), verdicts)
        return verdicts

    def _pod_status(
        self, pod: Obj, verdicts: list[ContainerVerdict], node: NodeSpec, pod_ip: str, now: str
    ) -> Obj:
        ready = all(v.ready for v in verdicts)
        restart_policy = pod["spec"].get("restartPolicy", "Always")
        statuses = []
        for v in verdicts:
            entry: Obj = {
                "name": v.name,
                "image": v.image,
                "imageID": "",
                "ready": v.ready,
                "started": v.running,
                "restartCount": 0 if v.running else 5,
            }
            if v.running:
                entry["state"] = {"running": {"startedAt": now}}
            else:
                entry["state"] = {
                    "waiting": {
                        "reason": v.waiting_reason,
                        "message": f"back-off 5m0s restarting failed container={v.name} "
                        f"pod={pod['metadata']['name']}",
                    }
                }
                entry["lastState"] = {
                    "terminated": {"exitCode": 1, "reason": "Error", "message": v.message}
                }
            statuses.append(entry)
        for v in verdicts:
            for failure in v.probe_failures:
                self.event(pod, "Warning", "Unhealthy", failure, "kubelet")
            if not v.running:
                self.event(
                    pod,
                    "Warning",
                    "BackOff",
                    f"Back-off restarting failed container {v.name} in pod "
                    f"{pod['metadata']['name']}_{pod['metadata'].get('namespace', '')}",
                    "kubelet",
                )
        crashed = not all(v.running for v in verdicts)
        phase = "Failed" if crashed and restart_policy == "Never" else "Running"
        reason = "" if ready else "ContainersNotReady"
        not_ready = [v.name for v in verdicts if not v.ready]
        message = "" if ready else f"containers with unready status: [{' '.join(not_ready)}]"
        conditions = [
            _condition("PodReadyToStartContainers", True, "", "", now),
            _condition("Initialized", True, "", "", now),
            _condition("Ready", ready, reason, message, now),
            _condition("ContainersReady", ready, reason, message, now),
            _condition("PodScheduled", True, "", "", now),
        ]
        for cond in conditions:
            if not cond["reason"]:
                del cond["reason"]
                del cond["message"]
        return {
            "phase": phase,
            "conditions": conditions,
            "hostIP": node.internal_ip,
            "hostIPs": [{"ip": node.internal_ip}],
            "podIP": pod_ip,
            "podIPs": [{"ip": pod_ip}],
            "startTime": now,
            "containerStatuses": statuses,
            "qosClass": "BestEffort",
        }

    def _restart_pod(self, pod: Obj) -> None:
        """Containers changed (a new image): kubelet restarts them; the Pod keeps its IP."""
        status = pod.get("status") or {}
        node = self.nodes.get(pod["spec"].get("nodeName") or "")
        pod_ip = status.get("podIP")
        if node is None or not pod_ip:
            return
        verdicts = evaluate_containers(pod, pod_ip, node.internal_ip)
        new_status = self._pod_status(pod, verdicts, node, pod_ip, self.store.now())
        new_status["startTime"] = status.get("startTime", new_status["startTime"])
        self.store.put({**pod, "status": new_status})

    def _release_pod(self, pod: Obj) -> None:
        spec = pod.get("spec") or {}
        status = pod.get("status") or {}
        meta = pod["metadata"]
        self.unschedulable.discard((meta.get("namespace", ""), meta["name"]))
        node_name = spec.get("nodeName")
        if not node_name or node_name not in self.nodes or not status.get("podIP"):
            return
        self._heaps.clear()
        self._node_heaps.clear()
        self.node_pods[node_name] = max(0, self.node_pods.get(node_name, 0) - 1)
        ref = _controller_ref(pod)
        if ref:
            key = (ref.get("uid", ""), node_name)
            self.owner_node_pods[key] = max(0, self.owner_node_pods.get(key, 0) - 1)
        if not spec.get("hostNetwork"):
            self.pod_ips[node_name].release(status["podIP"])

    # -- garbage collection ------------------------------------------------------------------

    def _collect_garbage(self, uid: str) -> None:
        for kind, ns, name in sorted(self.children.pop(uid, set())):
            self.store.delete(kind, ns, name)

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

    def _reconcile_deployment(self, ns: str, name: str) -> None:
        deploy = self.store.get("Deployment", ns, name)
        if deploy is None:
            return
        spec = deploy["spec"]
        template = spec["template"]
        pod_hash = template_hash(template)
        rs_name = f"{name}-{pod_hash}"
        owned = self._owned(deploy, "ReplicaSet")
        current = next((rs for rs in owned if rs["metadata"]["name"] == rs_name), None)
        replicas = int(spec.get("replicas", 1))
        revisions = [
            int(
                (rs["metadata"].get("annotations") or {}).get(
                    "deployment.kubernetes.io/revision", 0
                )
            )
            for rs in owned
        ]
        if current is None:
            labels = {
                **(template.get("metadata", {}).get("labels") or {}),
                POD_TEMPLATE_HASH: pod_hash,
            }
            selector = deep_selector(spec["selector"])
            selector.setdefault("matchLabels", {})[POD_TEMPLATE_HASH] = pod_hash
            new_template = {
                **template,
                "metadata": {**(template.get("metadata") or {}), "labels": labels},
            }
            current = {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": rs_name,
                    "namespace": ns,
                    "labels": labels,
                    "annotations": {
                        "deployment.kubernetes.io/desired-replicas": str(replicas),
                        "deployment.kubernetes.io/max-replicas": str(replicas),
                        "deployment.kubernetes.io/revision": str(max(revisions, default=0) + 1),
                    },
                    "ownerReferences": [_owner_ref(deploy)],
                    "managedFields": [{"manager": CONTROLLER_MANAGER, "operation": "Update"}],
                    "generation": 1,
                },
                "spec": {"replicas": replicas, "selector": selector, "template": new_template},
                "status": {"replicas": 0, "observedGeneration": 0},
            }
            self.store.put(current)
            self.event(
                deploy,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled up replica set {rs_name} from 0 to {replicas}",
                "deployment-controller",
            )
        elif current["spec"].get("replicas") != replicas:
            before = current["spec"].get("replicas", 0)
            updated = {**current, "spec": {**current["spec"], "replicas": replicas}}
            updated["metadata"] = {
                **current["metadata"],
                "generation": current["metadata"].get("generation", 1) + 1,
            }
            self.store.put(updated)
            direction = "up" if replicas > before else "down"
            self.event(
                deploy,
                "Normal",
                "ScalingReplicaSet",
                f"Scaled {direction} replica set {rs_name} from {before} to {replicas}",
                "deployment-controller",
            )
            current = updated
        old_sets = [rs for rs in owned if rs["metadata"]["name"] != rs_name]
        for rs in old_sets:
            before = rs["spec"].get("replicas", 0)
            if before:
                self.store.put({**rs, "spec": {**rs["spec"], "replicas": 0}})
                self.event(
                    deploy,
                    "Normal",
                    "ScalingReplicaSet",
                    f"Scaled down replica set {rs['metadata']['name']} from {before} to 0",
                    "deployment-controller",
                )
        limit = int(spec.get("revisionHistoryLimit", 10))
        if len(old_sets) > limit:
            by_revision = sorted(
                old_sets,
                key=lambda rs: int(
                    (rs["metadata"].get("annotations") or {}).get(
                        "deployment.kubernetes.io/revision", 0
                    )
                ),
            )
            for rs in by_revision[: len(old_sets) - limit]:
                self.store.delete("ReplicaSet", ns, rs["metadata"]["name"])
        self._deployment_status(deploy, current, old_sets)

    def _deployment_status(self, deploy: Obj, current: Obj, old_sets: list[Obj]) -> None:
        now = self.store.now()
        replicas = int(deploy["spec"].get("replicas", 1))
        new_pods = [p for p in self._owned(current, "Pod") if _pod_active(p)]
        old_pods = [p for rs in old_sets for p in self._owned(rs, "Pod") if _pod_active(p)]
        total = len(new_pods) + len(old_pods)
        ready = sum(1 for p in new_pods + old_pods if is_pod_ready(p))
        updated = len(new_pods)
        max_unavailable = _percent(
            ((deploy["spec"].get("strategy") or {}).get("rollingUpdate") or {}).get(
                "maxUnavailable", "25%"
            ),
            replicas,
            round_up=False,
        )
        available_ok = ready >= replicas - max_unavailable
        done = updated == replicas and ready >= replicas and not old_pods
        conditions = [
            _condition(
                "Available",
                available_ok,
                "MinimumReplicasAvailable" if available_ok else "MinimumReplicasUnavailable",
                "Deployment has minimum availability."
                if available_ok
                else "Deployment does not have minimum availability.",
                now,
            ),
            _condition(
                "Progressing",
                True,
                "NewReplicaSetAvailable" if done else "ReplicaSetUpdated",
                f'ReplicaSet "{current["metadata"]["name"]}" has successfully progressed.'
                if done
                else f'ReplicaSet "{current["metadata"]["name"]}" is progressing.',
                now,
            ),
        ]
        old_status = deploy.get("status") or {}
        _keep_transition_times(conditions, old_status.get("conditions"))
        status: Obj = {
            "observedGeneration": deploy["metadata"].get("generation", 1),
            "replicas": total,
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "conditions": conditions,
        }
        if total - ready > 0:
            status["unavailableReplicas"] = max(0, replicas - ready)
        for key in ("readyReplicas", "availableReplicas", "updatedReplicas", "replicas"):
            if not status[key]:
                del status[key]
        if status != old_status:
            self.store.put({**deploy, "status": status})

    def _reconcile_replicaset(self, ns: str, name: str) -> None:
        rs = self.store.get("ReplicaSet", ns, name)
        if rs is None:
            return
        spec = rs["spec"]
        want = int(spec.get("replicas", 1))
        pods = [p for p in self._owned(rs, "Pod") if _pod_active(p)]
        if len(pods) < want:
            template = spec["template"]
            tmeta = template.get("metadata") or {}
            labels = tmeta.get("labels") or {}
            annotations = tmeta.get("annotations")
            pod_spec = template.get("spec") or {}
            ref = [_owner_ref(rs)]
            managed = [{"manager": CONTROLLER_MANAGER, "operation": "Update"}]
            seed = f"{ns}/{name}"
            counter = self.pod_counter.get(seed, 0)
            names = self.store.names("Pod", ns)
            picks: list[str] | None = None
            if not pods and not pod_spec.get("nodeName"):
                picks = self._spread_new_owner({"metadata": {}, "spec": pod_spec}, want)
            for index in range(want - len(pods)):
                while True:
                    counter += 1
                    pod_name = f"{name[:58]}-{name_suffix(f'{seed}/{counter}')}"
                    if pod_name not in names:
                        break
                meta: Obj = {
                    "name": pod_name,
                    "generateName": f"{name[:58]}-",
                    # the API server gives the uid on create; the scheduler's Event names it
                    "uid": self.store.new_uid(),
                    "namespace": ns,
                    "labels": labels,
                    "ownerReferences": ref,
                    "managedFields": managed,
                }
                if annotations:
                    meta["annotations"] = annotations
                pod: Obj = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec}
                self.store.put(self.start_pod(pod, picks[index] if picks else None))
                self.event(
                    rs,
                    "Normal",
                    "SuccessfulCreate",
                    f"Created pod: {pod_name}",
                    "replicaset-controller",
                )
            self.pod_counter[seed] = counter
            pods = [p for p in self._owned(rs, "Pod") if _pod_active(p)]
        elif len(pods) > want:
            ranked = sorted(
                pods,
                key=lambda p: (
                    bool(p["spec"].get("nodeName")),
                    is_pod_ready(p),
                    -int(p["metadata"].get("resourceVersion", 0)),
                ),
            )
            for pod in ranked[: len(pods) - want]:
                self.store.delete("Pod", ns, pod["metadata"]["name"])
                self.event(
                    rs,
                    "Normal",
                    "SuccessfulDelete",
                    f"Deleted pod: {pod['metadata']['name']}",
                    "replicaset-controller",
                )
            pods = [p for p in self._owned(rs, "Pod") if _pod_active(p)]
        ready = sum(1 for p in pods if is_pod_ready(p))
        status = {
            "replicas": len(pods),
            "fullyLabeledReplicas": len(pods),
            "readyReplicas": ready,
            "availableReplicas": ready,
            "observedGeneration": rs["metadata"].get("generation", 1),
        }
        for key in ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"):
            if not status[key]:
                del status[key]
        if status != rs.get("status"):
            self.store.put({**rs, "status": status})

    def _reconcile_statefulset(self, ns: str, name: str) -> None:
        sts = self.store.get("StatefulSet", ns, name)
        if sts is None:
            return
        spec = sts["spec"]
        want = int(spec.get("replicas", 1))
        start = int((spec.get("ordinals") or {}).get("start", 0))
        template = spec["template"]
        revision = f"{name}-{template_hash(template)}"
        ordered = spec.get("podManagementPolicy", "OrderedReady") == "OrderedReady"
        service_name = spec.get("serviceName")
        pods = {p["metadata"]["name"]: p for p in self._owned(sts, "Pod")}
        wanted = [f"{name}-{i}" for i in range(start, start + want)]
        # scale down from the highest ordinal
        for pod_name in sorted(
            (n for n in pods if n not in wanted),
            key=lambda n: -int(n.rsplit("-", 1)[-1]) if n.rsplit("-", 1)[-1].isdigit() else 0,
        ):
            self.store.delete("Pod", ns, pod_name)
            self.event(
                sts,
                "Normal",
                "SuccessfulDelete",
                f"delete Pod {pod_name} in StatefulSet {name} successful",
                "statefulset-controller",
            )
            del pods[pod_name]
        # rolling update: replace outdated Pods from the highest ordinal, one ready at a time
        for pod_name in reversed(wanted):
            pod = pods.get(pod_name)
            if pod is None:
                continue
            if (pod["metadata"].get("labels") or {}).get("controller-revision-hash") == revision:
                if ordered and not is_pod_ready(pod):
                    break
                continue
            self.store.delete("Pod", ns, pod_name)
            del pods[pod_name]
            created = self._create_stateful_pod(sts, pod_name, revision, service_name)
            pods[pod_name] = created
            if ordered and not is_pod_ready(created):
                break
        for pod_name in wanted:
            pod = pods.get(pod_name)
            if pod is None:
                pod = self._create_stateful_pod(sts, pod_name, revision, service_name)
                pods[pod_name] = pod
            if ordered and not is_pod_ready(pod):
                break
        current = [pods[n] for n in wanted if n in pods]
        ready = sum(1 for p in current if is_pod_ready(p))
        updated = sum(
            1
            for p in current
            if (p["metadata"].get("labels") or {}).get("controller-revision-hash") == revision
        )
        status = {
            "observedGeneration": sts["metadata"].get("generation", 1),
            "replicas": len(current),
            "readyReplicas": ready,
            "currentReplicas": updated,
            "updatedReplicas": updated,
            "availableReplicas": ready,
            "currentRevision": revision,
            "updateRevision": revision,
            "collisionCount": 0,
        }
        if status != sts.get("status"):
            self.store.put({**sts, "status": status})

    def _create_stateful_pod(
        self, sts: Obj, pod_name: str, revision: str, service_name: str | None
    ) -> Obj:
        ns = sts["metadata"]["namespace"]
        template = sts["spec"]["template"]
        tmeta = template.get("metadata") or {}
        ordinal = pod_name.rsplit("-", 1)[-1]
        labels = {
            **(tmeta.get("labels") or {}),
            "apps.kubernetes.io/pod-index": ordinal,
            "controller-revision-hash": revision,
            "statefulset.kubernetes.io/pod-name": pod_name,
        }
        pod_spec = {**(template.get("spec") or {}), "hostname": pod_name}
        if service_name:
            pod_spec["subdomain"] = service_name
        meta: Obj = {
            "name": pod_name,
            "uid": self.store.new_uid(),
            "namespace": ns,
            "labels": labels,
            "ownerReferences": [_owner_ref(sts)],
            "managedFields": [{"manager": CONTROLLER_MANAGER, "operation": "Update"}],
        }
        if tmeta.get("annotations"):
            meta["annotations"] = tmeta["annotations"]
        pod = self.start_pod(
            {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec}
        )
        stored = self.store.put(pod)
        self.event(
            sts,
            "Normal",
            "SuccessfulCreate",
            f"create Pod {pod_name} in StatefulSet {sts['metadata']['name']} successful",
            "statefulset-controller",
        )
        return stored

    # -- EndpointSlices ----------------------------------------------------------------------

    def _managed_slices(self, ns: str, service: str) -> list[Obj]:
        return [
            s
            for s in self.store.list("EndpointSlice", ns, {SERVICE_NAME_LABEL: service})
            if (s["metadata"].get("labels") or {}).get(MANAGED_BY_LABEL) == SLICE_CONTROLLER
        ]

    def _reconcile_slices(self, ns: str, name: str) -> None:
        svc = self.store.get("Service", ns, name)
        existing = self._managed_slices(ns, name)
        spec = (svc or {}).get("spec") or {}
        selector = spec.get("selector")
        if svc is None or not selector or spec.get("type") == "ExternalName":
            for s in existing:
                self.store.delete("EndpointSlice", ns, s["metadata"]["name"])
            return
        desired = self.desired_slices(svc)
        by_name = {s["metadata"]["name"]: s for s in existing}
        for body in desired:
            old = by_name.pop(body["metadata"]["name"], None)
            if old is not None and _slice_content(old) == _slice_content(body):
                continue
            self.store.put(body)
        for leftover in by_name:
            self.store.delete("EndpointSlice", ns, leftover)

    def desired_slices(self, svc: Obj) -> list[Obj]:
        """The EndpointSlices the controller wants for a Service with a selector: endpoints
        grouped by their resolved port set, at most 100 per slice."""
        meta = svc["metadata"]
        ns = meta["namespace"]
        name = meta["name"]
        spec = svc["spec"]
        selector = spec.get("selector") or {}
        service_ports = spec.get("ports") or []
        publish = bool(spec.get("publishNotReadyAddresses"))
        hints_mode = self._hints_mode(svc)
        groups: dict[str, tuple[list[Obj], list[Obj]]] = {}
        pod_names = sorted(self.store.select_names("Pod", ns, selector))
        for pod_name in pod_names:
            pod = self.store.get("Pod", ns, pod_name)
            if pod is None:
                continue
            status = pod.get("status") or {}
            pod_ip = status.get("podIP")
            if not pod_ip or not _pod_active(pod):
                continue
            ports = _endpoint_ports(pod, service_ports)
            key = json.dumps(ports, sort_keys=True)
            endpoint = self._endpoint(pod, svc, pod_ip, publish)
            groups.setdefault(key, (ports, []))[1].append(endpoint)
        if hints_mode is not None:
            self._set_hints(hints_mode, [e for _, eps in groups.values() for e in eps])
        labels = {
            k: v
            for k, v in (meta.get("labels") or {}).items()
            if k not in (SERVICE_NAME_LABEL, MANAGED_BY_LABEL)
        }
        labels[SERVICE_NAME_LABEL] = name
        labels[MANAGED_BY_LABEL] = SLICE_CONTROLLER
        if spec.get("clusterIP") == "None":
            labels[HEADLESS_LABEL] = ""
        owner = {
            "apiVersion": "v1",
            "kind": "Service",
            "name": name,
            "uid": meta.get("uid", ""),
            "controller": True,
            "blockOwnerDeletion": True,
        }
        slices: list[Obj] = []
        chunks: list[tuple[list[Obj], list[Obj]]] = []
        for key in sorted(groups):
            ports, endpoints = groups[key]
            for i in range(0, len(endpoints), MAX_ENDPOINTS_PER_SLICE):
                chunks.append((ports, endpoints[i : i + MAX_ENDPOINTS_PER_SLICE]))
        if not chunks:
            chunks.append(([], []))
        for index, (ports, endpoints) in enumerate(chunks):
            slice_name = f"{name[:58]}-{name_suffix(f'{ns}/{name}/slice/{index}')}"
            slices.append(
                {
                    "apiVersion": "discovery.k8s.io/v1",
                    "kind": "EndpointSlice",
                    "metadata": {
                        "name": slice_name,
                        "generateName": f"{name[:58]}-",
                        "namespace": ns,
                        "labels": labels,
                        "ownerReferences": [owner],
                        "managedFields": [{"manager": CONTROLLER_MANAGER, "operation": "Update"}],
                    },
                    "addressType": "IPv4",
                    "endpoints": endpoints,
                    "ports": ports,
                }
            )
        return slices

    def _endpoint(self, pod: Obj, svc: Obj, pod_ip: str, publish: bool) -> Obj:
        pod_meta = pod["metadata"]
        pod_spec = pod["spec"]
        serving = is_pod_ready(pod)
        terminating = bool(pod_meta.get("deletionTimestamp"))
        endpoint: Obj = {
            "addresses": [pod_ip],
            "conditions": {
                "ready": publish or (serving and not terminating),
                "serving": serving,
                "terminating": terminating,
            },
            "targetRef": {
                "kind": "Pod",
                "namespace": pod_meta["namespace"],
                "name": pod_meta["name"],
                "uid": pod_meta.get("uid", ""),
            },
        }
        if pod_spec.get("hostname") and pod_spec.get("subdomain") == svc["metadata"]["name"]:
            endpoint["hostname"] = pod_spec["hostname"]
        node_name = pod_spec.get("nodeName")
        if node_name:
            endpoint["nodeName"] = node_name
            node = self.nodes.get(node_name)
            zone = self._node_labels(node).get(ZONE_LABEL) if node else None
            if zone:
                endpoint["zone"] = zone
        return endpoint

    def _hints_mode(self, svc: Obj) -> str | None:
        annotations = svc["metadata"].get("annotations") or {}
        mode = annotations.get(TOPOLOGY_MODE_ANNOTATION) or annotations.get(
            "service.kubernetes.io/topology-aware-hints"
        )
        if mode in ("Auto", "auto"):
            return "Auto"
        distribution = svc["spec"].get("trafficDistribution")
        if distribution in ("PreferClose", "PreferSameZone"):
            return "Zone"
        if distribution == "PreferSameNode":
            return "Node"
        return None

    def _set_hints(self, mode: str, endpoints: list[Obj]) -> None:
        if mode in ("Zone", "Node"):
            for endpoint in endpoints:
                if not endpoint["conditions"]["ready"]:
                    continue
                hints: Obj = {}
                if endpoint.get("zone"):
                    hints["forZones"] = [{"name": endpoint["zone"]}]
                if mode == "Node" and endpoint.get("nodeName"):
                    hints["forNodes"] = [{"name": endpoint["nodeName"]}]
                if hints:
                    endpoint["hints"] = hints
            return
        # Topology Aware Routing (topology-mode: Auto): zones get endpoints in proportion to
        # their allocatable CPU (equal per worker here); the safeguards drop every hint.
        ready = [e for e in endpoints if e["conditions"]["ready"]]
        zones: dict[str, int] = {}
        for node in self.topology.nodes:
            labels = self._node_labels(node)
            if "node-role.kubernetes.io/control-plane" in labels:
                continue
            zone = labels.get(ZONE_LABEL)
            if not zone:
                return
            zones[zone] = zones.get(zone, 0) + 1
        if not zones or len(ready) < len(zones) or any(not e.get("zone") for e in ready):
            return
        total_cpu = sum(zones.values())
        per_zone: dict[str, int] = {}
        for e in ready:
            per_zone[e["zone"]] = per_zone.get(e["zone"], 0) + 1
        for zone, cpu in zones.items():
            expected = len(ready) * cpu / total_cpu
            if per_zone.get(zone, 0) == 0 or per_zone.get(zone, 0) > expected * 1.2 + 1e-9:
                return
            if per_zone.get(zone, 0) < expected / 1.2 - 1e-9:
                return
        for e in ready:
            e["hints"] = {"forZones": [{"name": e["zone"]}]}

    # -- Services: LoadBalancer and IPAddress ------------------------------------------------

    def _ip_address_objects(self, change: Change) -> None:
        old_ip = ((change.old or {}).get("spec") or {}).get("clusterIP")
        new_ip = ((change.new or {}).get("spec") or {}).get("clusterIP")
        if old_ip == new_ip:
            return
        if old_ip and old_ip != "None":
            self.store.delete("IPAddress", "", old_ip)
        if new_ip and new_ip != "None" and change.new is not None:
            self.store.put(
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "IPAddress",
                    "metadata": {
                        "name": new_ip,
                        "labels": {
                            "ipaddress.kubernetes.io/ip-family": "IPv4",
                            "ipaddress.kubernetes.io/managed-by": "ipallocator.k8s.io",
                        },
                        "managedFields": [{"manager": "kube-apiserver", "operation": "Update"}],
                    },
                    "spec": {
                        "parentRef": {
                            "group": "",
                            "resource": "services",
                            "namespace": change.namespace,
                            "name": change.name,
                        }
                    },
                }
            )

    def _reconcile_load_balancer(self, ns: str, name: str) -> None:
        svc = self.store.get("Service", ns, name)
        key = ("Service", ns, name)
        wants = (
            svc is not None
            and svc["spec"].get("type") == "LoadBalancer"
            and not svc["spec"].get("loadBalancerClass")
        )
        if not wants:
            ip = self.lb_ips.pop(key, None)
            if ip is not None:
                self.lb_pool.release(ip)
            if svc is not None and (svc.get("status") or {}).get("loadBalancer"):
                self.store.put({**svc, "status": {"loadBalancer": {}}})
            return
        assert svc is not None
        ip = self.lb_ips.get(key)
        wanted = svc["spec"].get("loadBalancerIP") or None
        if ip is not None and wanted is not None and ip != wanted:
            # a new --ip means a new container (cloud-provider-kind recreates it)
            self.release_lb(key)
            ip = None
        if ip is None:
            self.event(
                svc,
                "Normal",
                "EnsuringLoadBalancer",
                "Ensuring load balancer",
                "service-controller",
            )
            ip, problem = lb_address(self.lb_pool, wanted)
            if ip is None:
                self.event(svc, "Warning", "SyncLoadBalancerFailed", problem, "service-controller")
                if (svc.get("status") or {}).get("loadBalancer"):
                    self.store.put({**svc, "status": {"loadBalancer": {}}})
                return
            self.lb_ips[key] = ip
            self.event(
                svc, "Normal", "EnsuredLoadBalancer", "Ensured load balancer", "service-controller"
            )
        status = {"loadBalancer": {"ingress": [lb_ingress(svc, ip)]}}
        if svc.get("status") != status:
            self.store.put({**svc, "status": status})

    def release_lb(self, key: tuple[str, ...]) -> None:
        """Free an address held for `key` (when its owner is deleted)."""
        ip = self.lb_ips.pop(key, None)
        if ip is not None:
            self.lb_pool.release(ip)

    # -- Ingress -----------------------------------------------------------------------------

    def _ingress_handled(self, ingress: Obj) -> bool:
        class_name = ingress["spec"].get("ingressClassName")
        if class_name:
            # cloud-provider-kind ingress/controller.go isIngressForUs compares the name only:
            # deleting the IngressClass object takes nothing offline
            return bool(class_name == INGRESS_CLASS)
        if not class_name:
            annotation = (ingress["metadata"].get("annotations") or {}).get(
                "kubernetes.io/ingress.class"
            )
            class_name = annotation
            if not class_name:
                defaults = [
                    c
                    for c in self.store.list("IngressClass")
                    if (c["metadata"].get("annotations") or {}).get(
                        "ingressclass.kubernetes.io/is-default-class"
                    )
                    == "true"
                ]
                return len(defaults) == 1 and defaults[0]["spec"].get("controller") == (
                    INGRESS_CONTROLLER
                )
        ingress_class = self.store.get("IngressClass", "", class_name)
        return ingress_class is not None and (
            ingress_class["spec"].get("controller") == INGRESS_CONTROLLER
        )

    def _reconcile_ingresses(self, ns: str) -> None:
        ingresses = self.store.list("Ingress", ns)
        handled = [i for i in ingresses if self._ingress_handled(i)]
        key = ("Ingress", ns)
        if handled:
            ip = self.lb_ips.get(key)
            if ip is None:
                ip = self.lb_pool.allocate()
                if ip is not None:
                    self.lb_ips[key] = ip
        else:
            self.release_lb(key)
            ip = None
        for ingress in ingresses:
            if ingress in handled and ip is not None:
                status: Obj = {"loadBalancer": {"ingress": [{"ip": ip}]}}
            else:
                status = {"loadBalancer": {}}
            if ingress.get("status") != status:
                self.store.put({**ingress, "status": status})

    # -- Gateway API -------------------------------------------------------------------------

    def _reconcile_gateways(self) -> None:
        now = self.store.now()
        ours: set[str] = set()
        for gc in self.store.list("GatewayClass"):
            if gc["spec"].get("controllerName") != GATEWAY_CONTROLLER:
                continue
            ours.add(gc["metadata"]["name"])
            conditions = [
                {
                    **_condition("Accepted", True, "Accepted", "GatewayClass is accepted", now),
                    "observedGeneration": gc["metadata"].get("generation", 1),
                },
                {
                    **_condition(
                        "SupportedVersion",
                        True,
                        "SupportedVersion",
                        "Gateway API CRD bundle version v1.6.1 is supported",
                        now,
                    ),
                    "observedGeneration": gc["metadata"].get("generation", 1),
                },
            ]
            _keep_transition_times(conditions, (gc.get("status") or {}).get("conditions"))
            status = {**(gc.get("status") or {}), "conditions": conditions}
            if status != gc.get("status"):
                self.store.put({**gc, "status": status})
        gateways = [
            g for g in self.store.list("Gateway") if g["spec"].get("gatewayClassName") in ours
        ]
        managed = {(g["metadata"]["namespace"], g["metadata"]["name"]): g for g in gateways}
        for key in [k for k in self.lb_ips if k[0] == "Gateway"]:
            if (key[1], key[2]) not in managed:
                self.release_lb(key)
        listener_valid: dict[tuple[str, str, str], bool] = {}
        for (ns, name), gw in managed.items():
            for listener in gw["spec"].get("listeners") or ():
                listener_valid[(ns, name, listener.get("name", ""))] = (
                    self._listener_problem(gw, listener) is None
                )
        attached: dict[tuple[str, str, str], int] = {}
        for route in self.store.list("HTTPRoute"):
            self._route_status(route, managed, listener_valid, attached, now)
        for gw in managed.values():
            self._gateway_status(gw, attached, now)

    def _listener_problem(self, gw: Obj, listener: Obj) -> tuple[str, str, str] | None:
        """(condition, reason, message) making the listener invalid, or None."""
        protocol = listener.get("protocol")
        if protocol not in ("HTTP", "HTTPS"):
            return ("Accepted", "UnsupportedProtocol", f"protocol {protocol} is not supported")
        kinds = (listener.get("allowedRoutes") or {}).get("kinds")
        if kinds:
            good = [
                k
                for k in kinds
                if k.get("kind") in ("HTTPRoute", "GRPCRoute")
                and k.get("group", GATEWAY_GROUP) in (GATEWAY_GROUP, "")
            ]
            if not good:
                return ("ResolvedRefs", "InvalidRouteKinds", "no supported route kinds")
        if protocol == "HTTPS":
            ns = gw["metadata"]["namespace"]
            for ref in (listener.get("tls") or {}).get("certificateRefs") or ():
                secret_ns = ref.get("namespace") or ns
                if self.store.get("Secret", secret_ns, ref.get("name", "")) is None:
                    return (
                        "ResolvedRefs",
                        "InvalidCertificateRef",
                        f"certificate secret {secret_ns}/{ref.get('name')} not found",
                    )
        return None

    def _supported_kinds(self, listener: Obj) -> list[Obj]:
        kinds = (listener.get("allowedRoutes") or {}).get("kinds")
        names = ["HTTPRoute", "GRPCRoute"]
        if kinds:
            names = [k.get("kind") for k in kinds if k.get("kind") in names]
        return [{"group": GATEWAY_GROUP, "kind": k} for k in names]

    def _gateway_status(
        self, gw: Obj, attached: Mapping[tuple[str, str, str], int], now: str
    ) -> None:
        ns = gw["metadata"]["namespace"]
        name = gw["metadata"]["name"]
        generation = gw["metadata"].get("generation", 1)
        key = ("Gateway", ns, name)
        ip = self.lb_ips.get(key)
        if ip is None:
            ip = self.lb_pool.allocate()
            if ip is not None:
                self.lb_ips[key] = ip
        old_status = gw.get("status") or {}
        old_listeners = {
            ls.get("name"): ls.get("conditions") for ls in old_status.get("listeners") or ()
        }
        listeners = []
        any_valid = False
        for listener in gw["spec"].get("listeners") or ():
            lname = listener.get("name", "")
            problem = self._listener_problem(gw, listener)
            conds = {
                "Accepted": _condition("Accepted", True, "Accepted", "Listener is accepted", now),
                "Programmed": _condition(
                    "Programmed", True, "Programmed", "Listener is programmed", now
                ),
                "ResolvedRefs": _condition(
                    "ResolvedRefs", True, "ResolvedRefs", "All references resolved", now
                ),
                "Conflicted": _condition("Conflicted", False, "NoConflicts", "No conflicts", now),
            }
            if problem is not None:
                cond_type, reason, message = problem
                conds[cond_type] = _condition(cond_type, False, reason, message, now)
                conds["Programmed"] = _condition("Programmed", False, "Invalid", message, now)
            else:
                any_valid = True
            cond_list = [{**c, "observedGeneration": generation} for c in conds.values()]
            _keep_transition_times(cond_list, old_listeners.get(lname))
            listeners.append(
                {
                    "name": lname,
                    "supportedKinds": self._supported_kinds(listener),
                    "attachedRoutes": attached.get((ns, name, lname), 0),
                    "conditions": cond_list,
                }
            )
        programmed = any_valid and ip is not None
        conditions = [
            {
                **_condition("Accepted", True, "Accepted", "Gateway is accepted", now),
                "observedGeneration": generation,
            },
            {
                **_condition(
                    "Programmed",
                    programmed,
                    "Programmed" if programmed else "Invalid",
                    "Gateway is programmed" if programmed else "Gateway has no valid listeners",
                    now,
                ),
                "observedGeneration": generation,
            },
        ]
        _keep_transition_times(conditions, old_status.get("conditions"))
        status: Obj = {"conditions": conditions, "listeners": listeners}
        if ip is not None:
            status["addresses"] = [{"type": "IPAddress", "value": ip}]
        if status != old_status:
            self.store.put({**gw, "status": status})

    def _route_status(
        self,
        route: Obj,
        gateways: Mapping[tuple[str, str], Obj],
        listener_valid: Mapping[tuple[str, str, str], bool],
        attached: dict[tuple[str, str, str], int],
        now: str,
    ) -> None:
        meta = route["metadata"]
        ns = meta["namespace"]
        generation = meta.get("generation", 1)
        resolved = self._resolve_backends(route)
        old_status = route.get("status") or {}
        old_parents = old_status.get("parents") or []
        parents = []
        for ref in route["spec"].get("parentRefs") or ():
            if ref.get("group", GATEWAY_GROUP) != GATEWAY_GROUP or ref.get("kind", "Gateway") != (
                "Gateway"
            ):
                continue
            gw_ns = ref.get("namespace") or ns
            gw = gateways.get((gw_ns, ref.get("name", "")))
            if gw is None:
                continue
            accepted = self._attach(route, ref, gw, listener_valid, attached)
            conditions = [
                {**_condition("Accepted", *accepted, now), "observedGeneration": generation},
                {**_condition("ResolvedRefs", *resolved, now), "observedGeneration": generation},
            ]
            previous = next(
                (p.get("conditions") for p in old_parents if p.get("parentRef") == ref), None
            )
            _keep_transition_times(conditions, previous)
            parents.append(
                {
                    "parentRef": dict(ref),
                    "controllerName": GATEWAY_CONTROLLER,
                    "conditions": conditions,
                }
            )
        status = {"parents": parents}
        if status != old_status:
            self.store.put({**route, "status": status})

    def _attach(
        self,
        route: Obj,
        ref: Obj,
        gw: Obj,
        listener_valid: Mapping[tuple[str, str, str], bool],
        attached: dict[tuple[str, str, str], int],
    ) -> tuple[bool, str, str]:
        gw_ns = gw["metadata"]["namespace"]
        gw_name = gw["metadata"]["name"]
        candidates = [
            ls
            for ls in gw["spec"].get("listeners") or ()
            if (ref.get("sectionName") in (None, ls.get("name")))
            and (ref.get("port") in (None, ls.get("port")))
            and listener_valid.get((gw_ns, gw_name, ls.get("name", "")), False)
        ]
        if not candidates:
            return (False, "NoMatchingParent", "No listener matches the parentRef")
        allowed = [ls for ls in candidates if self._listener_allows(gw, ls, route)]
        if not allowed:
            return (
                False,
                "NotAllowedByListeners",
                "The Gateway's listeners do not allow this route (allowedRoutes)",
            )
        hostnames = route["spec"].get("hostnames") or []
        matching = [
            ls
            for ls in allowed
            if not ls.get("hostname")
            or not hostnames
            or any(_hostnames_intersect(h, ls["hostname"]) for h in hostnames)
        ]
        if not matching:
            return (
                False,
                "NoMatchingListenerHostname",
                "No listener hostname matches the route's hostnames",
            )
        for ls in matching:
            key = (gw_ns, gw_name, ls.get("name", ""))
            attached[key] = attached.get(key, 0) + 1
        return (True, "Accepted", "Route is accepted")

    def _listener_allows(self, gw: Obj, listener: Obj, route: Obj) -> bool:
        allowed = listener.get("allowedRoutes") or {}
        source = (allowed.get("namespaces") or {}).get("from", "Same")
        route_ns = route["metadata"]["namespace"]
        gw_ns = gw["metadata"]["namespace"]
        if source == "Same" and route_ns != gw_ns:
            return False
        if source == "Selector":
            selector = (allowed.get("namespaces") or {}).get("selector") or {}
            ns_obj = self.store.get("Namespace", "", route_ns)
            labels = (ns_obj or {}).get("metadata", {}).get("labels") or {}
            if not selector_matches(selector, labels):
                return False
        kinds = allowed.get("kinds")
        return not kinds or any(
            k.get("kind") == "HTTPRoute" and k.get("group", GATEWAY_GROUP) in (GATEWAY_GROUP, "")
            for k in kinds
        )

    def _resolve_backends(self, route: Obj) -> tuple[bool, str, str]:
        ns = route["metadata"]["namespace"]
        for rule in route["spec"].get("rules") or ():
            for backend in rule.get("backendRefs") or ():
                group = backend.get("group", "")
                kind = backend.get("kind", "Service")
                name = backend.get("name", "")
                if group not in ("", "core") or kind != "Service":
                    return (False, "InvalidKind", f"backend kind {group}/{kind} is not supported")
                target_ns = backend.get("namespace") or ns
                if target_ns != ns and not self._grant_allows(ns, target_ns, name):
                    return (
                        False,
                        "RefNotPermitted",
                        f"backendRef {target_ns}/{name} is in another namespace and no "
                        f"ReferenceGrant in {target_ns} allows it",
                    )
                if self.store.get("Service", target_ns, name) is None:
                    return (False, "BackendNotFound", f"backend {target_ns}/{name} not found")
        return (True, "ResolvedRefs", "All references resolved")

    def _grant_allows(self, from_ns: str, to_ns: str, name: str) -> bool:
        for grant in self.store.list("ReferenceGrant", to_ns):
            spec = grant.get("spec") or {}
            from_ok = any(
                f.get("group") == GATEWAY_GROUP
                and f.get("kind") == "HTTPRoute"
                and f.get("namespace") == from_ns
                for f in spec.get("from") or ()
            )
            to_ok = any(
                t.get("group", "") in ("", "core")
                and t.get("kind") == "Service"
                and (not t.get("name") or t.get("name") == name)
                for t in spec.get("to") or ()
            )
            if from_ok and to_ok:
                return True
        return False


def deep_selector(selector: Obj) -> Obj:
    """A copy of a label selector safe to extend."""
    return {
        "matchLabels": dict(selector.get("matchLabels") or {}),
        **(
            {"matchExpressions": [dict(e) for e in selector["matchExpressions"]]}
            if selector.get("matchExpressions")
            else {}
        ),
    }


def _tolerates(toleration: Mapping[str, Any], taint: Mapping[str, str]) -> bool:
    effect = toleration.get("effect")
    if effect and effect != taint.get("effect"):
        return False
    operator = toleration.get("operator", "Equal")
    key = toleration.get("key")
    if not key:
        return bool(operator == "Exists")
    if key != taint.get("key"):
        return False
    if operator == "Exists":
        return True
    return bool(toleration.get("value", "") == taint.get("value", ""))


def _percent(value: Any, total: int, *, round_up: bool) -> int:
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%"):
        fraction = int(text[:-1]) * total
        return -(-fraction // 100) if round_up else fraction // 100
    return int(text) if text.isdigit() else 0


def _endpoint_ports(pod: Obj, service_ports: Iterable[Obj]) -> list[Obj]:
    """The slice ports for one Pod: each Service port whose targetPort resolves in the Pod
    (a named targetPort the Pod does not declare is left out)."""
    result = []
    for sp in service_ports:
        target = sp.get("targetPort", sp.get("port"))
        protocol = sp.get("protocol", "TCP")
        number: int | None
        if isinstance(target, int):
            number = target
        else:
            number = None
            for container in pod["spec"].get("containers") or ():
                for cp in container.get("ports") or ():
                    if cp.get("name") == target and cp.get("protocol", "TCP") == protocol:
                        number = int(cp["containerPort"])
                        break
                if number is not None:
                    break
        if number is None:
            continue
        port: Obj = {"name": sp.get("name", ""), "port": number, "protocol": protocol}
        if sp.get("appProtocol"):
            port["appProtocol"] = sp["appProtocol"]
        result.append(port)
    return result


def _slice_content(s: Obj) -> tuple[Any, ...]:
    return (
        s["metadata"].get("labels"),
        s.get("addressType"),
        s.get("endpoints"),
        s.get("ports"),
        s["metadata"].get("ownerReferences"),
    )


def _hostnames_intersect(route_host: str, listener_host: str) -> bool:
    """Gateway API hostname intersection (wildcards match one or more labels)."""
    if route_host == listener_host:
        return True
    if listener_host.startswith("*."):
        suffix = listener_host[1:]
        if route_host.endswith(suffix) and not route_host.startswith("*."):
            return True
    if route_host.startswith("*."):
        suffix = route_host[1:]
        if listener_host.endswith(suffix) and not listener_host.startswith("*."):
            return True
        if listener_host.startswith("*.") and (
            listener_host.endswith(suffix) or route_host.endswith(listener_host[1:])
        ):
            return True
    return False
