"""Simulator at scale: apply 2,000 Services and 2,000 Deployments x 10 replicas (20,000 Pods).

Budget (DESIGN.md section 9): apply and converge in < 3 s. The default kind topology has 3
workers with kubelet's 110-Pod limit, so this runs on a scaled topology (200 workers) of the
same shape. Run: `python benchmarks/sim_scale.py [--services N] [--replicas R]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

from tutor.cluster.sim.cluster import SimCluster
from tutor.cluster.sim.topology import make_topology

Obj = dict[str, Any]
NAMESPACES = 20
BUDGET_SECONDS = 3.0
TRACE_BUDGET_MS = 10.0


def manifests(services: int, replicas: int) -> dict[str, list[Obj]]:
    """Deployments and Services, spread over `NAMESPACES` namespaces."""
    by_ns: dict[str, list[Obj]] = {}
    for i in range(services):
        ns = f"scale-{i % NAMESPACES:02d}"
        app = f"app-{i:04d}"
        by_ns.setdefault(ns, []).extend(
            [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": {"name": app},
                    "spec": {
                        "replicas": replicas,
                        "selector": {"matchLabels": {"app": app}},
                        "template": {
                            "metadata": {"labels": {"app": app}},
                            "spec": {
                                "containers": [
                                    {
                                        "name": "web",
                                        "image": "registry.k8s.io/e2e-test-images/agnhost:2.39",
                                        "args": ["netexec", "--http-port=8080"],
                                        "ports": [{"name": "http", "containerPort": 8080}],
                                        "readinessProbe": {
                                            "httpGet": {"path": "/readyz", "port": "http"}
                                        },
                                    }
                                ]
                            },
                        },
                    },
                },
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": {"name": app},
                    "spec": {
                        "selector": {"app": app},
                        "ports": [{"name": "http", "port": 80, "targetPort": "http"}],
                    },
                },
            ]
        )
    return by_ns


def main(argv: list[str] | None = None) -> int:
    """Build, apply, and report the time; exit 1 when over budget."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, default=2000)
    parser.add_argument("--replicas", type=int, default=10)
    args = parser.parse_args(argv)
    workers = max(3, -(-args.services * args.replicas // 100))
    docs = manifests(args.services, args.replicas)
    cluster = SimCluster(make_topology(min(workers, 250)))
    for ns in docs:
        cluster.ensure_namespace(ns, {})
    start = time.perf_counter()
    for ns, objects in docs.items():
        cluster.apply(objects, ns)
    elapsed = time.perf_counter() - start
    pods = cluster.store.count("Pod") - 2  # minus CoreDNS
    ready = sum(
        1
        for s in cluster.store.list("EndpointSlice")
        for e in s.get("endpoints") or ()
        if e["conditions"]["ready"]
    )
    print(
        f"sim_scale: {args.services} Services + {pods} Pods ({ready} ready endpoints) "
        f"applied in {elapsed:.2f} s (budget {BUDGET_SECONDS:.1f} s)"
    )
    traced = trace_time(cluster)
    print(
        f"sim_scale: one trace of http://app-0001/ on that cluster: {traced:.2f} ms (budget 10 ms)"
    )
    return 0 if elapsed < BUDGET_SECONDS and traced < TRACE_BUDGET_MS else 1


def trace_time(cluster: SimCluster, runs: int = 20) -> float:
    """Median time of one hop-by-hop trace of a Service request on the big simulator."""
    from tutor.cluster.base import ProbeRequest
    from tutor.cluster.sim.trace import trace

    request = ProbeRequest(
        protocol="http",
        target="http://app-0001/",
        namespace="scale-01",
        source="pod:" + cluster.list("Pod", "scale-01")[0]["metadata"]["name"],
    )
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = trace(cluster.view, request)
        times.append((time.perf_counter() - started) * 1000)
    assert result.ok, result.render(plain=True)
    return statistics.median(times)


if __name__ == "__main__":
    sys.exit(main())
