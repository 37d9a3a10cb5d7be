"""A fake kubelet for the control plane tier: kind's four Nodes, kept Ready, and their Pods.

It registers the Node objects of the simulator's topology (names, zone labels, Pod CIDRs,
the control plane's taint), then watches Pods. A Pod bound to one of its nodes gets an IP from
that node's range (host-local IPAM's order: the next free address) and a status saying
Running, with readiness decided by the simulator's image catalogue
(`tutor.cluster.sim.controllers.evaluate_containers`: the same probes the simulator runs), so a
real EndpointSlice controller sees the Pods the simulator would see. A Pod being deleted is
removed at once (a kubelet confirms a graceful deletion with a zero grace period once the
containers stopped; here nothing runs).

There is no node-lifecycle controller in the tier, so no Lease heartbeat is needed: the Nodes
stay Ready as registered.
"""

from __future__ import annotations

import datetime
import json
import threading
import urllib.error
import urllib.request
from typing import Any

from tests.controlplane.plane import ControlPlane
from tutor.cluster.sim.controllers import evaluate_containers
from tutor.cluster.sim.topology import DEFAULT_TOPOLOGY, AddressPool, Topology, node_objects

Obj = dict[str, Any]
MERGE = "application/merge-patch+json"


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pod_status(pod: Obj, pod_ip: str, host_ip: str, now: str) -> Obj:
    """The status a kubelet would write once the Pod's containers started."""
    verdicts = evaluate_containers(pod, pod_ip, host_ip)
    ready = all(v.ready for v in verdicts)
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
            entry["state"] = {"waiting": {"reason": v.waiting_reason, "message": v.message}}
        statuses.append(entry)
    crashed = not all(v.running for v in verdicts)
    never = pod["spec"].get("restartPolicy", "Always") == "Never"

    def condition(kind: str, status: bool) -> Obj:
        cond: Obj = {"type": kind, "status": "True" if status else "False"}
        cond["lastProbeTime"] = None
        cond["lastTransitionTime"] = now
        if not status:
            not_ready = " ".join(v.name for v in verdicts if not v.ready)
            cond["reason"] = "ContainersNotReady"
            cond["message"] = f"containers with unready status: [{not_ready}]"
        return cond

    return {
        "phase": "Failed" if crashed and never else "Running",
        "conditions": [
            condition("PodReadyToStartContainers", True),
            condition("Initialized", True),
            condition("Ready", ready),
            condition("ContainersReady", ready),
            condition("PodScheduled", True),
        ],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": now,
        "containerStatuses": statuses,
    }


class FakeKubelet:
    """Registers the Nodes and runs their Pods (as status) on a background thread."""

    def __init__(self, plane: ControlPlane, topology: Topology = DEFAULT_TOPOLOGY) -> None:
        self.plane = plane
        self.topology = topology
        self.pools = {n.name: AddressPool(n.first_pod_ip, n.last_pod_ip) for n in topology.nodes}
        self.ips: dict[str, str] = {}
        """Pod uid -> the address it was given (released when the Pod is gone)."""
        self.errors: list[str] = []
        """Requests the API server refused (a test can assert there were none)."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fake-kubelet", daemon=True)

    def register_nodes(self) -> None:
        """Create the Node objects and set their status (Ready, addresses, allocatable)."""
        now = _now()
        for node in node_objects(self.topology):
            status = node.pop("status")
            for cond in status["conditions"]:
                cond.update(lastHeartbeatTime=now, lastTransitionTime=now)
            code, body = self.plane.request("POST", "/api/v1/nodes", node)
            if code not in (201, 409):
                raise RuntimeError(f"creating Node {node['metadata']['name']}: {code} {body}")
            name = node["metadata"]["name"]
            code, body = self.plane.request(
                "PATCH", f"/api/v1/nodes/{name}/status", {"status": status}, content_type=MERGE
            )
            if code != 200:
                raise RuntimeError(f"status of Node {name}: {code} {body}")
            # The TaintNodesByCondition admission plugin (plugin/pkg/admission/nodetaint) gives
            # every new Node `node.kubernetes.io/not-ready:NoSchedule`; the node-lifecycle
            # controller lifts it once the Node is Ready. That controller is not run here.
            taints = node["spec"].get("taints")
            code, body = self.plane.request(
                "PATCH", f"/api/v1/nodes/{name}", {"spec": {"taints": taints}}, content_type=MERGE
            )
            if code != 200:
                raise RuntimeError(f"taints of Node {name}: {code} {body}")

    def start(self) -> FakeKubelet:
        """Register the Nodes and start watching Pods."""
        self.register_nodes()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching (the current watch ends within its timeout)."""
        self._stop.set()
        self._thread.join(10)

    # -- the loop ----------------------------------------------------------------------------

    def _run(self) -> None:
        version = ""
        while not self._stop.is_set():
            try:
                if not version:
                    code, listed = self.plane.request("GET", "/api/v1/pods")
                    if code != 200:
                        self._stop.wait(0.5)
                        continue
                    for pod in listed.get("items") or []:
                        self._handle(pod)
                    version = str(listed["metadata"]["resourceVersion"])
                version = self._watch(version)
            except (OSError, urllib.error.URLError, ValueError) as exc:
                if not self._stop.is_set():
                    self.errors.append(f"watch: {exc}")
                version = ""
                self._stop.wait(0.5)

    def _watch(self, version: str) -> str:
        """Follow one watch (at most 5 s); the version to go on from ('' to list again)."""
        path = f"/api/v1/pods?watch=true&timeoutSeconds=5&resourceVersion={version}"
        request = urllib.request.Request(self.plane.url + path)
        request.add_header("Authorization", f"Bearer {self.plane.tokens['admin']}")
        context = self.plane._context()
        with urllib.request.urlopen(request, timeout=10, context=context) as response:
            for line in response:
                if self._stop.is_set():
                    return version
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    return ""  # 410 Gone: the version is too old, list again
                pod = event["object"]
                version = str(pod["metadata"].get("resourceVersion") or version)
                if event["type"] == "DELETED":
                    self._release(pod)
                else:
                    self._handle(pod)
        return version

    def _release(self, pod: Obj) -> None:
        uid = pod["metadata"]["uid"]
        ip = self.ips.pop(uid, None)
        node = pod["spec"].get("nodeName")
        if ip and node in self.pools and not pod["spec"].get("hostNetwork"):
            self.pools[node].release(ip)

    def _handle(self, pod: Obj) -> None:
        meta, spec = pod["metadata"], pod["spec"]
        node_name = spec.get("nodeName")
        node = self.topology.by_name.get(node_name or "")
        if node is None:
            return  # not bound yet (the scheduler's MODIFIED event comes next)
        where = f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}"
        if meta.get("deletionTimestamp"):
            body = {"gracePeriodSeconds": 0, "preconditions": {"uid": meta["uid"]}}
            code, answer = self.plane.request("DELETE", where, body)
            if code not in (200, 404, 409):
                self.errors.append(f"delete {where}: {code} {answer}")
            return
        if meta["uid"] in self.ips:
            return  # already started; its readiness does not change in the catalogue
        if spec.get("hostNetwork"):
            ip: str | None = node.internal_ip
        else:
            ip = self.pools[node.name].allocate()
        if ip is None:
            self.errors.append(f"no Pod address left on {node.name}")
            return
        self.ips[meta["uid"]] = ip
        status = pod_status(pod, ip, node.internal_ip, _now())
        code, answer = self.plane.request(
            "PATCH", f"{where}/status", {"status": status}, content_type=MERGE
        )
        if code != 200:
            self._release(pod)
            if code != 404:
                self.errors.append(f"status of {where}: {code} {answer}")
