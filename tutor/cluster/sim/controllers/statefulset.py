"""The StatefulSet controller: ordered, stable Pod names."""

from __future__ import annotations

from tutor.cluster.sim.controllers.common import CONTROLLER_MANAGER, Obj, _owner_ref, template_hash
from tutor.cluster.sim.controllers.kubelet import is_pod_ready
from tutor.cluster.sim.controllers.pods import PodLifecycle


class StatefulSetControl(PodLifecycle):
    """Reconciles StatefulSets."""

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
