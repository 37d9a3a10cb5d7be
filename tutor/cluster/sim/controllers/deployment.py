"""The Deployment and ReplicaSet controllers."""

from __future__ import annotations

from tutor.cluster.sim.controllers.common import (
    CONTROLLER_MANAGER,
    POD_TEMPLATE_HASH,
    Obj,
    _condition,
    _keep_transition_times,
    _owner_ref,
    _percent,
    deep_selector,
    name_suffix,
    template_hash,
)
from tutor.cluster.sim.controllers.kubelet import _pod_active, is_pod_ready
from tutor.cluster.sim.controllers.pods import PodLifecycle


class DeploymentControl(PodLifecycle):
    """Reconciles Deployments and ReplicaSets."""

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
