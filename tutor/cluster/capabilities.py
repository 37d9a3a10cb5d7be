"""Which lab capabilities a cluster offers, read from what it shows (nodes and classes).

Its own module so that the client (`kube.py`), the kind lifecycle and `doctor` share it
without importing one another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tutor.cluster.base import Obj
from tutor.cluster.kind_config import CLASS_NAME, NODEPORTS, PORT_MAPPING_ADDRESS, ZONE_LABEL

CAPABILITIES = ("nodeport-host", "loadbalancer", "ingress", "gateway", "zones", "dns")

LOCAL_BACKENDS = frozenset({"kind", "sim"})
"""Backends on this machine whose NodePorts the host reaches."""


def node_ready(node: Obj) -> bool:
    """True when the Node's Ready condition is True."""
    for condition in node.get("status", {}).get("conditions") or []:
        if condition.get("type") == "Ready":
            return bool(condition.get("status") == "True")
    return False


def capabilities_from(
    nodes: Sequence[Obj],
    ingress_classes: Sequence[Obj],
    gateway_classes: Sequence[Obj],
    *,
    cloud_provider_running: bool,
    host_reaches_nodeports: bool = True,
) -> dict[str, str]:
    """Which lab capabilities work, each with the reason, from what the cluster shows.

    Returns `{capability: reason}` for the capabilities that work; the ones missing from
    the result do not (see `missing_reasons`)."""
    works: dict[str, str] = {}
    ready = [n for n in nodes if node_ready(n)]
    if ready:
        works["dns"] = "the cluster answers and CoreDNS runs in it"
        if host_reaches_nodeports:
            works["nodeport-host"] = (
                f"NodePorts {NODEPORTS[0]}-{NODEPORTS[-1]} are mapped to {PORT_MAPPING_ADDRESS}"
            )
    zones = {n.get("metadata", {}).get("labels", {}).get(ZONE_LABEL) for n in nodes}
    zones.discard(None)
    if len(zones) >= 2:
        works["zones"] = f"nodes are labelled in {len(zones)} zones"
    if cloud_provider_running and ready:
        works["loadbalancer"] = "cloud-provider-kind gives LoadBalancer Services an address"
        names = {c.get("metadata", {}).get("name") for c in ingress_classes}
        if CLASS_NAME in names:
            works["ingress"] = f"IngressClass {CLASS_NAME} exists"
        names = {c.get("metadata", {}).get("name") for c in gateway_classes}
        if CLASS_NAME in names:
            works["gateway"] = f"GatewayClass {CLASS_NAME} exists"
    return works


def simulator_capabilities() -> dict[str, str]:
    """The simulator models every capability (its API server is on this machine)."""
    return {cap: "the simulator models it" for cap in CAPABILITIES}


def missing_reasons(
    works: Mapping[str, str], *, cloud_provider_running: bool, cluster_running: bool = True
) -> dict[str, str]:
    """Why each capability absent from `works` does not work, and what to do."""
    if not cluster_running:
        down = "the cluster is not running: run `kube-tutor cluster up`"
        return {cap: down for cap in CAPABILITIES if cap not in works}
    not_running = (
        "cloud-provider-kind is not running: run `kube-tutor cluster up` (see `kube-tutor doctor`)"
    )
    why = {
        "dns": "the cluster is not running: run `kube-tutor cluster up`",
        "nodeport-host": "the cluster is not running: run `kube-tutor cluster up`",
        "zones": "the nodes carry no zone labels (recreate with `kube-tutor cluster up`)",
        "loadbalancer": not_running,
        "ingress": (
            f"IngressClass {CLASS_NAME} is missing: this cloud-provider-kind is too old "
            "(Ingress needs v0.9.0 or newer); upgrade it"
            if cloud_provider_running
            else not_running
        ),
        "gateway": (
            f"GatewayClass {CLASS_NAME} is missing: this cloud-provider-kind is too old or was "
            "started with --gateway-channel disabled (Gateway API needs v0.8.0 or newer)"
            if cloud_provider_running
            else not_running
        ),
    }
    return {cap: why[cap] for cap in CAPABILITIES if cap not in works}
