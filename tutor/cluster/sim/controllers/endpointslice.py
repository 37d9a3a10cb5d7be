"""The EndpointSlice controller: slices per Service, endpoint conditions and topology hints."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from tutor.cluster.sim.controllers.common import (
    CONTROLLER_MANAGER,
    HEADLESS_LABEL,
    MANAGED_BY_LABEL,
    MAX_ENDPOINTS_PER_SLICE,
    SERVICE_NAME_LABEL,
    SLICE_CONTROLLER,
    TOPOLOGY_MODE_ANNOTATION,
    Obj,
    name_suffix,
)
from tutor.cluster.sim.controllers.kubelet import _pod_active, is_pod_ready
from tutor.cluster.sim.controllers.scheduler import Scheduling
from tutor.cluster.sim.topology import (
    ZONE_LABEL,
)


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


class EndpointSliceControl(Scheduling):
    """Reconciles the EndpointSlices of Services."""

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
        # Pods of one template resolve to equal port lists: serialise each distinct one once
        group_keys: dict[tuple[tuple[tuple[str, Any], ...], ...], str] = {}
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
            identity = tuple(tuple(p.items()) for p in ports)
            key = group_keys.get(identity)
            if key is None:
                key = group_keys[identity] = json.dumps(ports, sort_keys=True)
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
