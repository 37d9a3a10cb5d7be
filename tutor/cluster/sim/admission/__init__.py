"""Admission for the simulator: the API server's defaults, allocations and validation.

`Admission.admit` turns one manifest (plus the stored object, on update) into the object to
store, or collects `FieldProblem`s in the API server's words. Allocations (ClusterIPs,
nodePorts) go through an `Allocations` object that `apply` copies first, so a batch with one
invalid object changes nothing.
"""

from __future__ import annotations

from tutor.cluster.sim.admission.admit import Admission
from tutor.cluster.sim.admission.allocations import (
    CLUSTER_IP_STATIC_BAND,
    NODE_PORT_STATIC_BAND,
    Allocations,
    stable_hash,
)
from tutor.cluster.sim.admission.common import (
    API_VERSIONS,
    DNS_LABEL_MSG,
    DNS_SUBDOMAIN_MSG,
    GATEWAY_GROUP,
    SYSTEM_KINDS,
    Admitted,
    Obj,
    Problems,
    invalid_error,
    is_iana_svc_name,
    selector_matches,
)

__all__ = [
    "API_VERSIONS",
    "Admission",
    "Admitted",
    "Allocations",
    "CLUSTER_IP_STATIC_BAND",
    "DNS_LABEL_MSG",
    "DNS_SUBDOMAIN_MSG",
    "GATEWAY_GROUP",
    "NODE_PORT_STATIC_BAND",
    "Obj",
    "Problems",
    "SYSTEM_KINDS",
    "invalid_error",
    "is_iana_svc_name",
    "selector_matches",
    "stable_hash",
]
