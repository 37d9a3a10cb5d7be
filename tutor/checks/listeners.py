"""What a Pod really listens on, from the image catalogue, for diagnosers that must judge
what happens rather than what a manifest declares (a `containerPort` is documentation: the
process decides which port it opens)."""

from __future__ import annotations

from tutor.cluster.base import Obj


def listening_ports(pod: Obj) -> frozenset[int] | None:
    """TCP ports the Pod's containers listen on, or None when a running container's image is
    not in the catalogue (then nothing is known, and a diagnoser must stay silent)."""
    from tutor.cluster.sim.images import pod_workloads

    ports: set[int] = set()
    for _, workload in pod_workloads(pod):
        if workload.program == "unknown" and workload.runs:
            return None
        if workload.runs:
            ports |= workload.tcp_ports
    return frozenset(ports)


def virtual_hosts(pod: Obj) -> tuple[str, ...] | None:
    """The host names an nginx container answers for (`NGINX_HOST`), or None when the Pod
    does not route by Host (any Host is answered)."""
    from tutor.cluster.sim.images import pod_workloads

    for _, workload in pod_workloads(pod):
        hosts = getattr(workload, "vhosts", ())
        if hosts:
            return tuple(hosts)
    return None
