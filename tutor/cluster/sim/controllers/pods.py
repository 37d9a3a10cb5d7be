"""Pod lifecycle: binding to a node, addresses, container status, restarts and release."""

from __future__ import annotations

from tutor.cluster.sim.controllers.common import Obj, _condition, _controller_ref, _meta
from tutor.cluster.sim.controllers.kubelet import ContainerVerdict, evaluate_containers
from tutor.cluster.sim.controllers.scheduler import Scheduling
from tutor.cluster.sim.store import Change
from tutor.cluster.sim.topology import (
    NodeSpec,
)


class PodLifecycle(Scheduling):
    """Starts, restarts and releases Pods."""

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
