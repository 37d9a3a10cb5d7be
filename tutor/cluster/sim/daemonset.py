"""The DaemonSet controller: one Pod per node that the DaemonSet's Pods may run on.

After k8s.io/kubernetes v1.37.2 `pkg/controller/daemon`:

- `daemon_controller.go` `podsShouldBeOnNode` / `NodeShouldRunDaemonPod`: a node runs a daemon
  Pod when the Pod's nodeSelector and required node affinity match it and the Pod tolerates
  its NoSchedule/NoExecute taints. kind's control-plane node carries
  `node-role.kubernetes.io/control-plane:NoSchedule`, so a DaemonSet without that toleration
  runs on the workers only (as kube-proxy's and kindnet's do run everywhere because they
  tolerate every taint).
- `util/daemonset_util.go` `AddOrUpdateDaemonPodTolerations`: the controller adds the
  not-ready/unreachable NoExecute tolerations and the disk/memory/pid-pressure and
  unschedulable NoSchedule ones (network-unavailable too for hostNetwork Pods);
  `ReplaceDaemonSetPodNodeNameNodeAffinity`: each Pod is pinned to its node by a
  `metadata.name` matchFields term, and the default scheduler binds it there.
- Labels `controller-revision-hash` (the template's revision) and `pod-template-generation`;
  a template change replaces the Pods (RollingUpdate; `OnDelete` waits for deletions).
- Status (`update.go` `updateDaemonSetStatus`): desired/current/misscheduled/ready/updated/
  available/unavailable counts and `observedGeneration`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tutor.cluster.sim.controllers import Controllers
    from tutor.cluster.sim.store import Change

Obj = dict[str, Any]

CONTROLLER = "daemonset-controller"
_NO_EXECUTE = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
_NO_SCHEDULE = (
    "node.kubernetes.io/disk-pressure",
    "node.kubernetes.io/memory-pressure",
    "node.kubernetes.io/pid-pressure",
    "node.kubernetes.io/unschedulable",
)


def daemon_tolerations(pod_spec: Obj) -> list[Obj]:
    """The Pod template's tolerations plus those the controller adds."""
    tolerations = [dict(t) for t in pod_spec.get("tolerations") or []]
    wanted = [(key, "NoExecute") for key in _NO_EXECUTE] + [
        (key, "NoSchedule") for key in _NO_SCHEDULE
    ]
    if pod_spec.get("hostNetwork"):
        wanted.append(("node.kubernetes.io/network-unavailable", "NoSchedule"))
    for key, effect in wanted:
        if not any(t.get("key") == key and t.get("effect") == effect for t in tolerations):
            tolerations.append({"key": key, "operator": "Exists", "effect": effect})
    return tolerations


def _pinned_affinity(pod_spec: Obj, node: str) -> Obj:
    affinity = dict(pod_spec.get("affinity") or {})
    node_affinity = dict(affinity.get("nodeAffinity") or {})
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
        "nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}
        ]
    }
    affinity["nodeAffinity"] = node_affinity
    return affinity


def changed_daemonsets(change: Change) -> Iterable[tuple[str, str]]:
    """The DaemonSets a Pod write concerns (those that control the Pod)."""
    from tutor.cluster.sim.controllers import _controller_ref

    for obj in (change.old, change.new):
        if obj is None:
            continue
        ref = _controller_ref(obj)
        if ref and ref.get("kind") == "DaemonSet":
            yield change.namespace, ref["name"]


def reconcile_daemonset(ctrl: Controllers, ns: str, name: str) -> None:
    """Make the Pods of one DaemonSet match its nodes and template; write its status."""
    from tutor.cluster.sim.controllers import (
        CONTROLLER_MANAGER,
        _owner_ref,
        _pod_active,
        is_pod_ready,
        name_suffix,
        template_hash,
    )

    ds = ctrl.store.get("DaemonSet", ns, name)
    if ds is None:
        return
    spec = ds["spec"]
    template = spec.get("template") or {}
    tmeta = template.get("metadata") or {}
    pod_spec = template.get("spec") or {}
    revision = template_hash(template)
    generation = str(ds["metadata"].get("generation", 1))
    on_delete = (spec.get("updateStrategy") or {}).get("type") == "OnDelete"
    tolerations = daemon_tolerations(pod_spec)
    probe = {"metadata": {}, "spec": {**pod_spec, "tolerations": tolerations}}
    eligible = [
        node.name
        for node in ctrl.topology.nodes
        if ctrl._fits(probe, node) in (None, "Too many pods")
    ]
    pods_by_node: dict[str, list[Obj]] = {}
    for pod in ctrl._owned(ds, "Pod"):
        if _pod_active(pod):
            pods_by_node.setdefault(pod["spec"].get("nodeName") or "", []).append(pod)
    # misscheduled Pods (their node no longer fits) and extra ones go
    for node_name, pods in list(pods_by_node.items()):
        keep = 1 if node_name in eligible else 0
        for pod in pods[keep:]:
            _delete(ctrl, ds, pod)
        pods_by_node[node_name] = pods[:keep]
        if not keep:
            del pods_by_node[node_name]
    for node_name in eligible:
        current = pods_by_node.get(node_name) or []
        if current and not on_delete:
            labels = current[0]["metadata"].get("labels") or {}
            if labels.get("controller-revision-hash") != revision:
                _delete(ctrl, ds, current[0])
                current = []
        if current:
            continue
        counter = ctrl.pod_counter.get(f"ds:{ns}/{name}", 0) + 1
        ctrl.pod_counter[f"ds:{ns}/{name}"] = counter
        pod_name = f"{name[:58]}-{name_suffix(f'{ns}/{name}/{counter}')}"
        meta: Obj = {
            "name": pod_name,
            "generateName": f"{name[:58]}-",
            "uid": ctrl.store.new_uid(),
            "namespace": ns,
            "labels": {
                **(tmeta.get("labels") or {}),
                "controller-revision-hash": revision,
                "pod-template-generation": generation,
            },
            "ownerReferences": [_owner_ref(ds)],
            "managedFields": [{"manager": CONTROLLER_MANAGER, "operation": "Update"}],
        }
        if tmeta.get("annotations"):
            meta["annotations"] = tmeta["annotations"]
        new_spec = {
            **pod_spec,
            "tolerations": tolerations,
            "affinity": _pinned_affinity(pod_spec, node_name),
        }
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": new_spec}
        stored = ctrl.store.put(ctrl.start_pod(pod, node_name))
        pods_by_node[node_name] = [stored]
        ctrl.event(ds, "Normal", "SuccessfulCreate", f"Created pod: {pod_name}", CONTROLLER)
    pods = [p for ps in pods_by_node.values() for p in ps]
    ready = sum(1 for p in pods if is_pod_ready(p))
    updated = sum(
        1
        for p in pods
        if (p["metadata"].get("labels") or {}).get("controller-revision-hash") == revision
    )
    status: Obj = {
        "currentNumberScheduled": len(pods),
        "desiredNumberScheduled": len(eligible),
        "numberAvailable": ready,
        "numberMisscheduled": 0,
        "numberReady": ready,
        "observedGeneration": ds["metadata"].get("generation", 1),
        "updatedNumberScheduled": updated,
    }
    if len(eligible) - ready > 0:
        status["numberUnavailable"] = len(eligible) - ready
    for omitted in ("numberAvailable", "updatedNumberScheduled"):  # omitempty in the Go type
        if not status[omitted]:
            del status[omitted]
    if status != ds.get("status"):
        ctrl.store.put({**ds, "status": status})


def _delete(ctrl: Controllers, ds: Obj, pod: Obj) -> None:
    pod_name = pod["metadata"]["name"]
    ctrl.store.delete("Pod", pod["metadata"].get("namespace", ""), pod_name)
    ctrl.event(ds, "Normal", "SuccessfulDelete", f"Deleted pod: {pod_name}", CONTROLLER)
