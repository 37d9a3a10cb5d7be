"""Latency of one trace and one probe in the traffic model (budgets: trace < 5 ms on a
lab-sized cluster, < 10 ms with 2,000 Services / 20,000 Pods).

Run: `python benchmarks/trace_latency.py`. The objects are built directly in an indexed
in-memory `ObjectSource` (kind's four nodes; Services with Pods and EndpointSlices as the
EndpointSlice controller writes them), so the figures measure the model, not a store.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Mapping
from typing import Any

from tutor.cluster.base import Obj, ProbeRequest, matches_selector
from tutor.cluster.sim.dataplane import DataPlane
from tutor.cluster.sim.trace import trace

LAB_BUDGET_MS = 5.0
BIG_BUDGET_MS = 10.0
RUNS = 50
NODES = [
    ("kube-tutor-control-plane", "172.18.0.2", 0, "zone-a"),
    ("kube-tutor-worker", "172.18.0.3", 1, "zone-a"),
    ("kube-tutor-worker2", "172.18.0.4", 2, "zone-b"),
    ("kube-tutor-worker3", "172.18.0.5", 3, "zone-c"),
]


class IndexedSource:
    """Objects by kind and namespace, EndpointSlices also by Service name (like a store)."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str | None, str], Obj] = {}
        self.by_kind_ns: dict[tuple[str, str | None], list[Obj]] = {}
        self.by_kind: dict[str, list[Obj]] = {}
        self.slices: dict[tuple[str, str], list[Obj]] = {}

    def add(self, obj: Obj) -> None:
        meta = obj["metadata"]
        ns = meta.get("namespace")
        self.objects[(obj["kind"], ns, meta["name"])] = obj
        self.by_kind_ns.setdefault((obj["kind"], ns), []).append(obj)
        self.by_kind.setdefault(obj["kind"], []).append(obj)
        if obj["kind"] == "EndpointSlice":
            owner = meta["labels"]["kubernetes.io/service-name"]
            self.slices.setdefault((ns, owner), []).append(obj)

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        return self.objects.get((kind, namespace, name))

    def list(
        self, kind: str, namespace: str | None = None, selector: Mapping[str, str] | None = None
    ) -> list[Obj]:
        if (
            kind == "EndpointSlice"
            and namespace
            and selector
            and list(selector) == ["kubernetes.io/service-name"]
        ):
            return list(self.slices.get((namespace, selector["kubernetes.io/service-name"]), []))
        pool = (
            self.by_kind.get(kind, [])
            if namespace is None
            else self.by_kind_ns.get((kind, namespace), [])
        )
        return [o for o in pool if matches_selector(o["metadata"].get("labels"), selector)]


def vip_of(s: int) -> str:
    """ClusterIP of Service number `s`."""
    return f"10.96.{s // 250}.{s % 250 + 2}"


def build(services: int, pods_per_service: int, probe_ns: str) -> IndexedSource:
    src = IndexedSource()
    for name, ip, index, zone in NODES:
        labels: dict[str, Any] = {"topology.kubernetes.io/zone": zone}
        if index == 0:
            labels["node-role.kubernetes.io/control-plane"] = ""
        src.add(
            {
                "kind": "Node",
                "metadata": {"name": name, "labels": labels},
                "spec": {"podCIDR": f"10.244.{index}.0/24"},
                "status": {"addresses": [{"type": "InternalIP", "address": ip}]},
            }
        )
    counter = 0
    for s in range(services):
        ns = f"team-{s % 50}"
        name = f"svc-{s}"
        vip = vip_of(s)
        src.add(
            {
                "kind": "Service",
                "metadata": {"name": name, "namespace": ns},
                "spec": {
                    "type": "ClusterIP",
                    "clusterIP": vip,
                    "clusterIPs": [vip],
                    "selector": {"app": name},
                    "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
                },
            }
        )
        endpoints = []
        for p in range(pods_per_service):
            counter += 1
            node, _, index, zone = NODES[1 + counter % 3]
            pip = f"10.{100 + index}.{counter // 250 % 250}.{counter % 250 + 1}"
            pod_name = f"{name}-{p}"
            src.add(
                {
                    "kind": "Pod",
                    "metadata": {"name": pod_name, "namespace": ns, "labels": {"app": name}},
                    "spec": {
                        "nodeName": node,
                        "containers": [
                            {
                                "name": "web",
                                "image": "registry.k8s.io/e2e-test-images/agnhost:2.39",
                                "args": ["netexec", "--http-port=8080"],
                            }
                        ],
                    },
                    "status": {"phase": "Running", "podIP": pip, "podIPs": [{"ip": pip}]},
                }
            )
            endpoints.append(
                {
                    "addresses": [pip],
                    "conditions": {"ready": True},
                    "nodeName": node,
                    "zone": zone,
                    "targetRef": {"kind": "Pod", "name": pod_name, "namespace": ns},
                }
            )
        src.add(
            {
                "kind": "EndpointSlice",
                "metadata": {
                    "name": f"{name}-abcde",
                    "namespace": ns,
                    "labels": {"kubernetes.io/service-name": name},
                },
                "addressType": "IPv4",
                "endpoints": endpoints,
                "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            }
        )
    src.add(
        {
            "kind": "Pod",
            "metadata": {"name": "kube-tutor-probe", "namespace": probe_ns},
            "spec": {
                "nodeName": "kube-tutor-worker",
                "containers": [{"name": "p", "image": "agnhost", "args": ["pause"]}],
            },
            "status": {"podIP": "10.244.1.250", "podIPs": [{"ip": "10.244.1.250"}]},
        }
    )
    return src


def median_ms(fn: Any) -> float:
    fn()  # warm up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure(label: str, services: int, per: int, target: int, budget: float) -> bool:
    """Print the figures for one cluster size; True when a trace is over its budget."""
    ns = f"team-{target % 50}"
    started = time.perf_counter()
    src = build(services, per, ns)
    built = (time.perf_counter() - started) * 1000
    by_name = ProbeRequest("http", f"http://svc-{target}/hostname", ns)
    by_vip = ProbeRequest("http", f"http://{vip_of(target)}/hostname", ns)
    twenty = ProbeRequest("http", f"http://svc-{target}/", ns, count=20)
    plane = DataPlane(src)
    assert trace(src, by_name).ok and trace(src, by_vip).ok
    figures = {
        "trace (Service name)": median_ms(lambda: trace(src, by_name)),
        "trace (ClusterIP)": median_ms(lambda: trace(src, by_vip)),
        "probe x1 (Service name)": median_ms(lambda: plane.probe(by_name)),
        "probe x20 (Service name)": median_ms(lambda: plane.probe(twenty)),
    }
    print(f"{label}: built in {built:.0f} ms")
    failed = False
    for name, value in figures.items():
        mark = ""
        if name.startswith("trace"):
            over = value >= budget
            failed |= over
            mark = f"  ({'OVER' if over else 'within'} the {budget:.0f} ms budget)"
        print(f"  {name:<26} median {value:7.3f} ms{mark}")
    return failed


def main() -> int:
    lab = measure("lab-sized (5 Services, 15 Pods)", 5, 3, 3, LAB_BUDGET_MS)
    big = measure("big (2,000 Services, 20,000 Pods)", 2000, 10, 1207, BIG_BUDGET_MS)
    return 1 if lab or big else 0


if __name__ == "__main__":
    sys.exit(main())
