"""The scheduler: node fit (taints, selectors, capacity) and spreading of a workload's Pods."""

from __future__ import annotations

import heapq
import json
from collections.abc import Mapping
from typing import Any

from tutor.cluster.sim.admission import selector_matches
from tutor.cluster.sim.controllers.common import Obj, _controller_ref
from tutor.cluster.sim.controllers.events import EventRecording
from tutor.cluster.sim.topology import (
    NodeSpec,
)


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


class Scheduling(EventRecording):
    """Places Pods on nodes."""

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
